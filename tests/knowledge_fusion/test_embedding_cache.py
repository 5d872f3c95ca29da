"""The embedder's per-text cache: same vectors, and repeated texts are not re-encoded."""

import numpy as np


def test_cached_vectors_equal_fresh_ones_and_skip_the_model(embedder) -> None:  # type: ignore[no-untyped-def]
    texts = ["how do I reset my password", "refund for annual plan", "how do I reset my password"]
    first = embedder.embed(texts, cache=True)
    calls: list[list[str]] = []
    original = embedder._encode

    def counting(batch: list[str]) -> np.ndarray:
        calls.append(batch)
        return original(batch)

    embedder._encode = counting
    try:
        again = embedder.embed(["refund for annual plan", "a brand new question"], cache=True)
        uncached = embedder.embed(["refund for annual plan"])  # ingest-style: always encodes
    finally:
        embedder._encode = original
    assert np.allclose(first[0], first[2])
    assert np.allclose(again[0], first[1])
    assert calls == [["a brand new question"], ["refund for annual plan"]]
    assert np.allclose(uncached[0], first[1], atol=1e-5)
    assert np.allclose(np.linalg.norm(again, axis=1), 1.0, atol=1e-5)
