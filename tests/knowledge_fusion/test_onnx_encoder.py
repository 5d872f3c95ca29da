"""Questions embedded by ONNX Runtime must give the model's own vectors, so an index built by
PyTorch ingest stays valid; ingest batches stay on PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.embedding import BULK_TEXTS, Embedder, _query_encoder

QUESTIONS = [
    "how do I reset my password",
    "Refund for the annual plan?",
    "Ünïcödé and emoji 🙂 in a question",
    "error E-4012 when uploading a 2 GB file from the mobile app on Android 14",
    "word " * 400,  # past the model's 256 tokens: truncated the same way by both runtimes
]


def test_onnx_vectors_equal_pytorch_ones(embedder: Embedder) -> None:
    assert embedder.runtime == "onnx"
    expected = embedder._model.encode(QUESTIONS, normalize_embeddings=True)
    one_by_one = np.vstack([embedder.embed([q]) for q in QUESTIONS])
    padded_batch = embedder.embed(QUESTIONS)  # different lengths: padding must not leak in
    for got in (one_by_one, padded_batch):
        assert np.abs(got - expected).max() < 1e-5
        assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_ingest_batches_run_on_pytorch(embedder: Embedder) -> None:
    texts = [f"chunk number {i} about billing" for i in range(BULK_TEXTS + 1)]
    encoder = embedder._query_encoder
    embedder._query_encoder = None  # what the bulk path must not need
    try:
        bulk = embedder.embed(texts)
    finally:
        embedder._query_encoder = encoder
    assert np.abs(bulk - embedder.embed(texts)).max() == 0.0  # same path both times
    assert np.abs(bulk[:3] - embedder.embed(texts[:3])).max() < 1e-5  # ONNX for 3


def test_runtime_setting(embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTBOT_EMBEDDING_RUNTIME", "torch")
    assert _query_encoder(embedder._model, 1) is None
    monkeypatch.setenv("SUPPORTBOT_EMBEDDING_RUNTIME", "tensorrt")
    with pytest.raises(ValueError, match="must be onnx or torch"):
        _query_encoder(embedder._model, 1)
