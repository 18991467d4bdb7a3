"""Answers from e-mail against the same text as plain files (held-out SQuAD questions).

The paragraphs of SQuAD v1.1 dev articles 24-29 (never trained or tuned on) are indexed
twice, in two fresh homes: once as one .txt file per paragraph, once as one .eml message per
paragraph (subject, sender, recipient and date headers around the same paragraph as its
body). The same randomly drawn questions are asked of both with the default settings (the
reader on), one by one. Retrieval is the same in both (the gold message is cited as often
as the gold file), so any gap is how the message's own text reaches the model: its header
block shares the first passage with the body, and the reader's excerpt may pick header
lines in place of the body's sentences.
"""

from __future__ import annotations

import random
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from bench import squad
from bench.answer_quality import contains_gold, share

SEED = 7  # the draw the first measurement used (its "before" figures are in the report)
FIRST_ARTICLE = 24  # held out: the reader was trained on articles 0-23
ARTICLES = 6
QUESTIONS = 240
PEOPLE = ("ana.moreau@example.org", "li.wei@example.net", "sam.okafor@example.com")
HEADER_TRACES = ("@", "From:", "To:", "Subject:", "Date:", "+0100")


def _as_text(files: dict[str, str], folder: Path) -> None:
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")


def _as_email(files: dict[str, str], folder: Path) -> None:
    for i, (relative, text) in enumerate(files.items()):
        message = EmailMessage()
        topic = relative.split("/")[0].replace("-", " ")
        message["Subject"] = f"{topic}, part {i % 7 + 1}"
        message["From"] = PEOPLE[i % 3]
        message["To"] = PEOPLE[(i + 1) % 3]
        message["Date"] = f"Mon, {i % 27 + 1:02d} Mar 2026 09:{i % 60:02d}:00 +0100"
        message.set_content(text)
        path = folder / relative.replace(".txt", ".eml")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes(message))


def _ask(
    embedder: Any, files: dict[str, str], questions: list[squad.Question], kind: str
) -> list[dict[str, Any]]:
    from engine.answer.answering import Answer
    from engine.assistant import Assistant

    writer = _as_text if kind == "txt" else _as_email
    records = []
    with tempfile.TemporaryDirectory(prefix=f"docent-bench-email-{kind}-") as tmp:
        folder = Path(tmp) / "docs"
        writer(files, folder)
        with Assistant(home=Path(tmp) / "home", embedder=embedder) as assistant:
            assistant.add_folder(folder)
            assistant.index()
            assistant.preload()
            for question in questions:
                answer = None
                for event in assistant.ask(question.text):
                    if isinstance(event, Answer):
                        answer = event
                assert answer is not None
                gold = question.gold if kind == "txt" else question.gold.replace(".txt", ".eml")
                cited = [str(Path(c.path).relative_to(folder)) for c in answer.citations]
                records.append(
                    {
                        "question": question.text,
                        "answer": answer.text,
                        "contains_gold": not answer.abstained
                        and contains_gold(answer.text, question.answers),
                        "abstained": answer.abstained,
                        "header_in_answer": any(t in answer.text for t in HEADER_TRACES),
                        "gold_cited": gold in cited,
                    }
                )
    return records


def run(embedder: Any) -> dict[str, Any]:
    corpus = squad.load()
    articles = list(dict.fromkeys(path.split("/")[0] for path in corpus.files))
    chosen = set(articles[FIRST_ARTICLE : FIRST_ARTICLE + ARTICLES])
    files = {path: text for path, text in corpus.files.items() if path.split("/")[0] in chosen}
    pool = [q for q in corpus.questions if q.gold in files]
    questions = random.Random(SEED).sample(pool, min(QUESTIONS, len(pool)))
    result: dict[str, Any] = {
        "articles": f"{FIRST_ARTICLE}-{FIRST_ARTICLE + ARTICLES - 1}",
        "paragraphs": len(files),
        "questions": len(questions),
        "seed": SEED,
    }
    per_kind = {}
    for kind in ("txt", "eml"):
        started = time.perf_counter()
        records = _ask(embedder, files, questions, kind)
        per_kind[kind] = records
        result[kind] = {
            key: share(records, key)
            for key in ("contains_gold", "abstained", "header_in_answer", "gold_cited")
        }
        result[kind]["seconds"] = round(time.perf_counter() - started, 1)
        print(f"  {kind}: {result[kind]}", flush=True)
    pairs = list(zip(per_kind["txt"], per_kind["eml"], strict=True))
    result["only_txt_right"] = sum(t["contains_gold"] and not e["contains_gold"] for t, e in pairs)
    result["only_eml_right"] = sum(e["contains_gold"] and not t["contains_gold"] for t, e in pairs)
    result["header_answers"] = [r["answer"] for r in per_kind["eml"] if r["header_in_answer"]]
    return result
