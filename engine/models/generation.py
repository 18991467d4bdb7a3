"""Text generation with a local GGUF model through llama.cpp (llama-cpp-python).

The model loads once per process, lazily, so the CLI and the app start fast. Prompts
arrive as token segments: Docent's own scaffolding may contain the model's control
tokens, document text never does (a PDF that says "<end_of_turn>" stays plain text).
The prompt is evaluated in slices with a cancel check between them and whatever prefix
is already in the KV cache (the fixed instructions) is reused, not recomputed.

LoRA adapters switch at run time without reloading the model; the KV cache is never
reused across adapter sets (each set keeps its own copy, see kv_snapshots).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from engine.adapters.runtime import ActiveAdapter, LoadedAdapters, set_key
from engine.errors import GenerationError
from engine.jobs import CancelToken
from engine.models.choice import check_model
from engine.models.gguf_file import GgufFile
from engine.models.kv_snapshots import KvSnapshots
from engine.models.native_stderr import native_stderr_silenced

if TYPE_CHECKING:
    import numpy as np
    from llama_cpp import Llama

log = logging.getLogger(__name__)

EVAL_SLICE = 256  # prompt tokens evaluated between cancel checks


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a prompt; `special` lets its text spell the model's control tokens."""

    text: str
    special: bool = False


class Generator(Protocol):
    """What prompting and the assistant need from a language model."""

    @property
    def model_id(self) -> str: ...

    @property
    def n_ctx(self) -> int: ...

    @property
    def chat_template(self) -> str | None: ...

    def tokenize(self, segments: Sequence[Segment], bos: bool = False) -> list[int]: ...

    def detokenize(self, tokens: Sequence[int]) -> str: ...

    def special_token(self, which: str) -> str: ...

    def prepare(self, tokens: Sequence[int], cancel: CancelToken | None = None) -> None: ...

    def next_logits(
        self, tokens: Sequence[int], cancel: CancelToken | None = None
    ) -> np.ndarray | None: ...

    def stream(
        self,
        tokens: Sequence[int],
        max_tokens: int,
        stop: Sequence[str] = (),
        cancel: CancelToken | None = None,
    ) -> Iterator[str]: ...


def physical_cores() -> int:
    """Physical CPU cores: llama.cpp runs best with one thread per core, not per SMT thread."""
    siblings: set[str] = set()
    base = Path("/sys/devices/system/cpu")
    for topology in base.glob("cpu[0-9]*/topology/thread_siblings_list"):
        try:
            siblings.add(topology.read_text().strip())
        except OSError:
            continue
    if siblings:
        return len(siblings)
    try:  # macOS
        import subprocess

        out = subprocess.run(
            ["sysctl", "-n", "hw.physicalcpu"], capture_output=True, text=True, timeout=2
        )
        if out.returncode == 0 and out.stdout.strip().isdigit():
            return int(out.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return max(1, (os.cpu_count() or 2) // 2)


class LlamaGenerator:
    """A GGUF model in llama.cpp, loaded on first use and kept for the process."""

    def __init__(
        self,
        model_path: str | Path,
        n_ctx: int = 4096,
        threads: int = 0,
        chat_template: str | None = None,
        temperature: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.path = Path(model_path)
        self.header: GgufFile = check_model(self.path)
        trained = self.header.context_length
        self._n_ctx = min(n_ctx, trained) if trained else n_ctx
        self.threads = threads if threads > 0 else physical_cores()
        self._template_override = chat_template
        self.temperature = temperature
        self.seed = seed
        self._llm: Llama | None = None
        self.last_reused = 0  # prompt tokens the last evaluation found in the KV cache
        self._adapters = LoadedAdapters(self.header)
        self._snapshots = KvSnapshots()
        self.last_restored = 0  # tokens the last adapter switch found in its set's cache
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.path.name

    @property
    def n_ctx(self) -> int:
        return self._n_ctx

    @property
    def chat_template(self) -> str | None:
        return self._template_override or self.header.chat_template

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    @property
    def llama(self) -> Llama:
        """The llama.cpp model (loading it on first use)."""
        if self._llm is None:
            with self._load_lock:
                if self._llm is None:
                    self._llm = self._load()
        return self._llm

    def load(self) -> None:
        self.llama  # noqa: B018 (the property loads)

    def _load(self) -> Llama:
        from llama_cpp import Llama

        log.info("loading %s (n_ctx %d, %d threads)", self.path, self._n_ctx, self.threads)
        try:
            with native_stderr_silenced(not log.isEnabledFor(logging.DEBUG)):
                return Llama(
                    str(self.path),
                    n_ctx=self._n_ctx,
                    n_threads=self.threads,
                    n_threads_batch=self.threads,
                    # Keep every position of sliding-window layers (Gemma 3): without it
                    # a reused prefix silently attends to evicted cells.
                    swa_full=True,
                    seed=self.seed,
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise GenerationError(
                f"{self.path}: llama.cpp could not load this model ({exc})"
            ) from exc

    @property
    def adapters(self) -> tuple[ActiveAdapter, ...]:
        """The adapters applied to every evaluation now (scale 0 ones are left out)."""
        return self._adapters.active

    def set_adapters(self, adapters: Sequence[ActiveAdapter]) -> None:
        """Apply exactly `adapters` from the next evaluation on, without reloading.

        Each file is checked against this model first; on AdapterError nothing changes.
        The KV cache computed under the previous set is set aside (never reused under
        this one) and this set's own earlier cache, if any, comes back.
        """
        wanted = tuple(a for a in adapters if a.scale != 0.0)
        if not wanted and not self._adapters.active:
            return  # already bare (the model need not even be loaded)
        with self._run_lock:
            llm = self.llama
            key = set_key(wanted)
            if key == self._adapters.active_key:
                self._adapters.active = wanted  # same files and scales, maybe new names
                return
            handles = self._adapters.prepare(llm, wanted)
            self._snapshots.save(self._adapters.active_key, llm)
            if not _truncate_cache(llm, 0):
                llm.reset()
            self._adapters.activate(llm, wanted, handles)
            self.last_restored = self._snapshots.restore(key, llm)
            log.info(
                "adapters now: %s (%d cached tokens back)",
                ", ".join(f"{a.label}x{a.scale:g}" for a in wanted) or "none",
                self.last_restored,
            )

    def tokenize(self, segments: Sequence[Segment], bos: bool = False) -> list[int]:
        llm = self.llama
        tokens: list[int] = []
        if bos:
            bos_id = llm.token_bos()
            if bos_id >= 0:
                tokens.append(bos_id)
        for segment in segments:
            if segment.text:
                tokens.extend(
                    llm.tokenize(segment.text.encode(), add_bos=False, special=segment.special)
                )
        return tokens

    def detokenize(self, tokens: Sequence[int]) -> str:
        return self.llama.detokenize(list(tokens)).decode("utf-8", errors="ignore")

    def special_token(self, which: str) -> str:
        """The text of the 'bos' or 'eos' token (chat templates refer to them)."""
        llm = self.llama
        token = llm.token_bos() if which == "bos" else llm.token_eos()
        if token < 0:
            return ""
        return llm.detokenize([token], special=True).decode("utf-8", errors="ignore")

    def prepare(self, tokens: Sequence[int], cancel: CancelToken | None = None) -> None:
        """Evaluate `tokens` into the KV cache, reusing what already matches."""
        with self._run_lock:
            self._evaluate(list(tokens), cancel)

    def stream(
        self,
        tokens: Sequence[int],
        max_tokens: int,
        stop: Sequence[str] = (),
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        """Yield the continuation of `tokens` piece by piece (about a token each).

        Cancelling stops before the next token is computed; closing the iterator does too.
        """
        prompt = list(tokens)
        if len(prompt) + max_tokens > self._n_ctx:
            raise GenerationError(
                f"prompt of {len(prompt)} tokens plus {max_tokens} to generate exceeds the "
                f"context of {self._n_ctx} tokens"
            )
        with self._run_lock:
            llm = self.llama
            # All but the last token: generate() then finds them cached and evaluates
            # only the last one, which yields the logits of the first new token.
            self._evaluate(prompt[:-1], cancel)
            if cancel is not None and cancel.cancelled:
                return
            pieces = llm.create_completion(
                prompt,
                max_tokens=max_tokens,
                temperature=self.temperature,
                stop=list(stop),
                stream=True,
            )
            try:
                for chunk in pieces:
                    if cancel is not None and cancel.cancelled:
                        break
                    yield chunk["choices"][0]["text"]  # type: ignore[index]  # streamed: a dict
            finally:
                close = getattr(pieces, "close", None)
                if close is not None:
                    close()

    def next_logits(
        self, tokens: Sequence[int], cancel: CancelToken | None = None
    ) -> np.ndarray | None:
        """The logits of the token after `tokens` (a copy); None when cancelled first."""
        sequence = list(tokens)
        if not sequence:
            raise ValueError("next_logits needs at least one token")
        with self._run_lock:
            llm = self.llama
            self._evaluate(sequence[:-1], cancel)
            if cancel is not None and cancel.cancelled:
                return None
            llm.eval([sequence[-1]])
            return _last_logits(llm).copy()

    def target_nll(
        self, tokens: Sequence[int], start: int, cancel: CancelToken | None = None
    ) -> tuple[float, int]:
        """Summed negative log-likelihood of tokens[start:], each given all before it.

        For perplexity: evaluated one token at a time, since only the last position's
        logits are kept. Returns (sum, count); cancelling returns what was summed so far.
        """
        import numpy as np

        sequence = list(tokens)
        if not 0 < start < len(sequence):
            raise ValueError("start must leave at least one token before and after it")
        total, count = 0.0, 0
        with self._run_lock:
            llm = self.llama
            self._evaluate(sequence[: start - 1], cancel)
            llm.eval([sequence[start - 1]])
            for index in range(start, len(sequence)):
                if cancel is not None and cancel.cancelled:
                    break
                logits = _last_logits(llm)
                peak = float(logits.max())
                log_norm = peak + float(np.log(np.exp(logits - peak).sum()))
                total += log_norm - float(logits[sequence[index]])
                count += 1
                if index + 1 < len(sequence):
                    llm.eval([sequence[index]])
        return total, count

    def _evaluate(self, tokens: list[int], cancel: CancelToken | None) -> None:
        llm = self.llama
        cached = llm.input_ids[: llm.n_tokens].tolist()
        keep = 0
        for have, want in zip(cached, tokens, strict=False):
            if have != want:
                break
            keep += 1
        if keep < len(cached) and not _truncate_cache(llm, keep):
            llm.reset()
            keep = 0
        self.last_reused = keep
        for start in range(keep, len(tokens), EVAL_SLICE):
            if cancel is not None and cancel.cancelled:
                return
            llm.eval(tokens[start : start + EVAL_SLICE])

    def close(self) -> None:
        with self._load_lock:
            if self._llm is not None:
                self._adapters.release(self._llm)  # adapters go before their model
                self._snapshots.clear()
                self._llm.close()
                self._llm = None


def _last_logits(llm: Any) -> np.ndarray:
    """A view of the logits llama.cpp keeps for the last evaluated position."""
    import numpy as np

    return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))


def _truncate_cache(llm: Any, keep: int) -> bool:
    """Drop KV cells from position `keep` on; False when the cache cannot do it.

    llama-cpp-python 0.3.36 (pinned) has no public call for this; generate() itself uses
    the same context method for its prefix reuse.
    """
    if not llm._ctx.kv_cache_seq_rm(-1, keep, -1):
        return False
    llm.n_tokens = keep
    return True
