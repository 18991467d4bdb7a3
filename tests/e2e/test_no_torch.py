"""Indexing, search, answers and voices run without torch (issue 18): the engine process
the desktop app starts, and the `docent` command, never import torch, transformers or
sentence-transformers. Only training does, when it starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real models in separate processes

REPO = Path(__file__).resolve().parents[2]
BLOCK_NETWORK = REPO / "tests" / "e2e" / "no_network"
SAMPLE_DOCS = REPO / "resources" / "sample-docs"
HEAVY = ("torch", "transformers", "sentence_transformers")
QUESTION = "How much does membership cost per month?"

# The engine process as the app runs it (engine.service.host.serve at the far end of a
# pipe), driven through its protocol: open, index the sample folder, load the model,
# answer, switch the voice, answer in it, shut down. Prints what it saw and what it loaded.
ENGINE_PROCESS = """
import json, sys, threading
from multiprocessing import Pipe

def main():
    from engine.adapters.library import AdapterChoice
    from engine.service.host import serve
    from engine.service.protocol import CLOSED, SHUTDOWN

    home, sample = sys.argv[1], sys.argv[2]
    ours, theirs = Pipe()
    threading.Thread(target=serve, args=(theirs, home), daemon=True).start()
    seen = {}

    def wait(done):
        while not done():
            if not ours.poll(600):
                raise SystemExit(f"the engine went silent; it said {sorted(seen)}")
            event, args = ours.recv()
            seen.setdefault(event, []).append(args)
            if event == "failed":
                raise SystemExit(f"engine failed: {args[0]}")

    def finished(request):
        return lambda: any(args[0] == request for args in seen.get("answer_finished", ()))

    ours.send(("start", 1, (sample,)))
    wait(lambda: "index_finished" in seen and len(seen.get("model_state", ())) >= 2)
    ours.send(("ask", 2, (None, sys.argv[3])))
    wait(finished(2))
    ours.send(("apply_voice", 3, ((AdapterChoice("concise", 1.0),),)))
    wait(lambda: "voice_applied" in seen)
    ours.send(("ask", 4, (None, sys.argv[3])))
    wait(finished(4))
    ours.send((SHUTDOWN, 0, ()))
    wait(lambda: CLOSED in seen)
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
    answers = [a[1].text for a in seen["answer_event"] if hasattr(a[1], "citations")]
    state = seen["model_state"][-1]
    print(json.dumps({"heavy": heavy, "model": state, "answers": answers}))

if __name__ == "__main__":
    main()
""".replace("HEAVY", repr(HEAVY))

# `docent ARGS...` in this process, then what it loaded, on the last line of stderr.
CLI_PROCESS = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(
    m for m in sys.modules if m.split(".")[0] in HEAVY)), file=sys.stderr))
from engine.cli.main import main
if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
""".replace("HEAVY", repr(HEAVY))


def _environment(log: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(BLOCK_NETWORK), str(REPO)])
    env["DOCENT_NETWORK_LOG"] = str(log)
    return env


def test_the_engine_process_indexes_answers_and_switches_voices_without_torch(tmp_path):
    script = tmp_path / "engine_process.py"
    script.write_text(ENGINE_PROCESS, encoding="utf-8")
    sample = tmp_path / "sample-docs"
    sample.mkdir()
    for file in SAMPLE_DOCS.iterdir():
        (sample / file.name).write_bytes(file.read_bytes())
    log = tmp_path / "network.log"
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "home"), str(sample), QUESTION],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=_environment(log),
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert not log.exists(), log.read_text()
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["model"][0] == "ready"
    assert len(report["answers"]) == 2 and all(report["answers"])
    assert report["heavy"] == []


def test_the_docent_command_indexes_searches_and_answers_without_torch(tmp_path):
    script = tmp_path / "docent_process.py"
    script.write_text(CLI_PROCESS, encoding="utf-8")
    home, log = tmp_path / "home", tmp_path / "network.log"
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "bees.md").write_text(
        "# Bees\n\nA honey bee colony keeps one queen, who can lay 2000 eggs a day.\n",
        encoding="utf-8",
    )

    def docent(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, str(script), "--home", str(home), *args],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=_environment(log),
            timeout=600,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert json.loads(result.stderr.strip().splitlines()[-1]) == [], args
        return result.stdout

    docent("folders", "add", str(folder))
    assert "1 added" in docent("index")
    assert "bees.md" in docent("search", "how many eggs does a queen lay")
    answer = json.loads(
        docent("ask", "How many eggs can the queen lay?", "--adapter", "concise", "--json")
    )
    assert answer["answer"] and answer["sources"]
    assert not log.exists(), log.read_text()
