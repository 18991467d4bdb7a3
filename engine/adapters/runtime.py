"""Applying LoRA adapters to a loaded llama.cpp model, switchable at run time.

llama.cpp applies adapters inside the compute graph, so the base weights stay as they
are (memory-mapped) and a switch only changes which adapters, at which scales, the next
evaluation uses: no reload. Handles come from `llama_adapter_lora_init` after Docent's
own checks, and are freed once no longer set on the context, never while they are.
(`Llama(lora_path=...)` is not used: it crashes on a mismatched file in 0.3.36.)
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.adapters.files import check_adapter
from engine.errors import AdapterError
from engine.models.gguf_file import GgufFile
from engine.models.native_stderr import native_stderr_silenced

log = logging.getLogger(__name__)

FileIdentity = tuple[str, int, int]  # resolved path, size, mtime_ns


@dataclass(frozen=True, slots=True)
class ActiveAdapter:
    """An adapter file and the scale to apply it at."""

    path: Path
    scale: float = 1.0
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.path.stem


def file_identity(path: Path) -> FileIdentity:
    """Tells a replaced file from the one that was loaded (same name, new training)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise AdapterError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


AdapterSetKey = tuple[tuple[FileIdentity, float], ...]


def set_key(adapters: Sequence[ActiveAdapter]) -> AdapterSetKey:
    """What identifies the adapters a KV state was computed under (order kept)."""
    return tuple((file_identity(a.path), float(a.scale)) for a in adapters)


class LoadedAdapters:
    """The adapter handles of one llama.cpp model and the set active on its context."""

    def __init__(self, model_header: GgufFile) -> None:
        self.model_header = model_header
        self._handles: dict[FileIdentity, Any] = {}
        self.active: tuple[ActiveAdapter, ...] = ()
        self.active_key: AdapterSetKey = ()

    @property
    def loaded(self) -> int:
        return len(self._handles)

    def prepare(self, llm: Any, adapters: Sequence[ActiveAdapter]) -> list[Any]:
        """Check each file against the model and load it; the handles in order.

        On any failure nothing changes: handles loaded by this call are freed again.
        """
        import llama_cpp

        fresh: list[FileIdentity] = []
        handles: list[Any] = []
        try:
            for adapter in adapters:
                check_adapter(adapter.path, self.model_header)
                identity = file_identity(adapter.path)
                handle = self._handles.get(identity)
                if handle is None:
                    with native_stderr_silenced(not log.isEnabledFor(logging.DEBUG)):
                        handle = llama_cpp.llama_adapter_lora_init(
                            llm._model.model, str(adapter.path).encode()
                        )
                    if not handle:
                        raise AdapterError(f"{adapter.path}: llama.cpp could not load this adapter")
                    self._handles[identity] = handle
                    fresh.append(identity)
                handles.append(handle)
        except BaseException:
            for identity in fresh:
                llama_cpp.llama_adapter_lora_free(self._handles.pop(identity))
            raise
        return handles

    def activate(self, llm: Any, adapters: Sequence[ActiveAdapter], handles: Sequence[Any]) -> None:
        """Set exactly `adapters` on the context, then free handles no longer set."""
        import llama_cpp

        count = len(handles)
        array = (llama_cpp.llama_adapter_lora_p_ctypes * count)(*handles) if count else None
        scales = (ctypes.c_float * count)(*(a.scale for a in adapters)) if count else None
        if llama_cpp.llama_set_adapters_lora(llm._ctx.ctx, array, count, scales) != 0:
            raise AdapterError(
                "llama.cpp refused the adapter set "
                + (", ".join(a.label for a in adapters) or "(none)")
            )
        self.active = tuple(adapters)
        self.active_key = set_key(adapters)
        keep = {identity for identity, _ in self.active_key}
        for identity in [i for i in self._handles if i not in keep]:
            llama_cpp.llama_adapter_lora_free(self._handles.pop(identity))

    def release(self, llm: Any) -> None:
        """Unset and free every adapter (before the model itself is freed)."""
        import llama_cpp

        if self.active:
            llama_cpp.llama_set_adapters_lora(llm._ctx.ctx, None, 0, None)
        self.active, self.active_key = (), ()
        for handle in self._handles.values():
            llama_cpp.llama_adapter_lora_free(handle)
        self._handles.clear()
