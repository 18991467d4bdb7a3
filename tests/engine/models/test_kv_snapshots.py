"""KV cache copies per adapter set, on the bundled model in llama.cpp for real."""

from __future__ import annotations

import numpy as np
import pytest

from engine.models.generation import LlamaGenerator, Segment
from engine.models.kv_snapshots import KvSnapshots


@pytest.fixture(scope="module")
def own_model(model_path):
    """A model of this module's own: its cache is emptied and refilled here."""
    model = LlamaGenerator(model_path, n_ctx=512)
    model.load()
    yield model
    model.close()


def _empty(llm) -> None:
    assert llm._ctx.kv_cache_seq_rm(-1, 0, -1)
    llm.n_tokens = 0


def test_a_cache_copied_aside_comes_back_with_its_tokens(own_model):
    llm = own_model.llama
    tokens = own_model.tokenize([Segment("The boiler in the cellar is inspected every")], bos=True)
    expected = own_model.next_logits(tokens)
    snapshots = KvSnapshots()
    snapshots.save("reader", llm)
    assert len(snapshots) == 1 and snapshots.bytes_held > 0
    _empty(llm)
    own_model.next_logits(own_model.tokenize([Segment("Something else entirely")], bos=True))
    _empty(llm)
    assert snapshots.restore("reader", llm) == llm.n_tokens >= len(tokens) - 1
    assert list(llm.input_ids[: len(tokens) - 1]) == tokens[: len(tokens) - 1]
    again = own_model.next_logits(tokens)  # evaluates at most the last token again
    assert np.allclose(again, expected, atol=1e-3)
    assert snapshots.restore("nothing saved", llm) == 0


def test_the_budget_bounds_what_is_kept(own_model):
    llm = own_model.llama
    _empty(llm)
    own_model.next_logits(own_model.tokenize([Segment("word " * 100)], bos=True))
    none = KvSnapshots(budget_bytes=0)
    none.save("a", llm)
    assert len(none) == 0
    small = KvSnapshots(budget_bytes=64 * 1024)
    small.save("a", llm)  # keeps a prefix that fits, or nothing
    assert small.bytes_held <= 64 * 1024
