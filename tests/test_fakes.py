"""The fakes behave as the protocols they stand in for promise."""

from __future__ import annotations

import numpy as np

from tests.fakes import FakeEmbedder


def test_the_fake_embedder_is_normalised_deterministic_and_word_sensitive():
    embedder = FakeEmbedder()
    vectors = embedder.embed(["boiler inspection in October", "October: boiler inspection in", ""])
    assert vectors.shape == (3, embedder.dimension) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert float(vectors[0] @ vectors[1]) > 0.99  # the same words
    other = FakeEmbedder().embed(["lease ends during March"])[0]
    assert float(vectors[0] @ other) < 0.3
    assert np.array_equal(
        vectors,
        FakeEmbedder().embed(["boiler inspection in October", "October: boiler inspection in", ""]),
    )
    assert embedder.tokens.token_offsets("a  bc d") == [(0, 1), (3, 5), (6, 7)]
