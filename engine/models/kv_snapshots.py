"""Prompt caches kept per adapter set.

Keys and values in the KV cache depend on every weight that produced them, adapters
included: a prefix computed under one voice is wrong under another. So when the
adapter set changes, the cache is emptied, but first copied aside under the old set's
key; switching back restores it and the shared instructions (or a whole question being
regenerated in the earlier voice) need not be evaluated again.

Copies are bounded by a byte budget, least recently used first out; a copy larger than
the budget keeps only its first tokens.
"""

from __future__ import annotations

import ctypes
import logging
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

SEQUENCE = 0  # Docent evaluates everything in one sequence
DEFAULT_BUDGET = 256 * 1024 * 1024


@dataclass(slots=True)
class _Snapshot:
    tokens: list[int]
    data: Any  # ctypes uint8 array
    size: int


class KvSnapshots:
    """Copies of a llama.cpp context's KV cache, one per adapter set."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET) -> None:
        self.budget = budget_bytes
        self._saved: OrderedDict[Hashable, _Snapshot] = OrderedDict()

    @property
    def bytes_held(self) -> int:
        return sum(len(s.data) for s in self._saved.values())

    def __len__(self) -> int:
        return len(self._saved)

    def save(self, key: Hashable, llm: Any) -> None:
        """Copy the cache's tokens and state aside under `key` (replacing an older copy)."""
        import llama_cpp

        count = llm.n_tokens
        earlier = self._saved.pop(key, None)
        if count <= 0 or self.budget <= 0:
            return
        tokens = llm.input_ids[:count].tolist()
        if earlier is not None and earlier.tokens == tokens:
            self._saved[key] = earlier  # restored and not extended since: the same state
            return
        ctx = llm._ctx.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, SEQUENCE)
        if size > self.budget:  # keep a prefix that fits (these cells are dropped anyway)
            keep = max(0, count * self.budget // size - 1)
            if keep == 0 or not llm._ctx.kv_cache_seq_rm(-1, keep, -1):
                return
            llm.n_tokens = count = keep
            tokens = tokens[:keep]
            size = llama_cpp.llama_state_seq_get_size(ctx, SEQUENCE)
        if earlier is not None and len(earlier.data) >= size:
            buffer = earlier.data  # reuse: no new allocation to fault in
        else:
            buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, SEQUENCE)
        if written == 0:
            log.warning("could not copy the KV cache aside; it will be recomputed")
            return
        self._saved[key] = _Snapshot(tokens, buffer, written)
        while self.bytes_held > self.budget and len(self._saved) > 1:
            self._saved.popitem(last=False)

    def restore(self, key: Hashable, llm: Any) -> int:
        """Put the copy saved under `key` back into the (emptied) cache; tokens restored."""
        import llama_cpp

        snapshot = self._saved.get(key)
        if snapshot is None:
            return 0
        self._saved.move_to_end(key)
        ctx = llm._ctx.ctx
        if not llama_cpp.llama_state_seq_set_data(ctx, snapshot.data, snapshot.size, SEQUENCE):
            log.warning("could not restore the KV cache copy; it will be recomputed")
            llm._ctx.kv_cache_seq_rm(-1, 0, -1)
            llm.n_tokens = 0
            del self._saved[key]
            return 0
        count = len(snapshot.tokens)
        llm.input_ids[:count] = snapshot.tokens
        llm.n_tokens = count
        return count

    def clear(self) -> None:
        self._saved.clear()
