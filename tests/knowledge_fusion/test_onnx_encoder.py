"""Embeddings from ONNX Runtime must be the model's own (PyTorch's) vectors, for questions
and for ingest batches run in parallel streams, so indexes built either way stay valid."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.embedding import BULK_TEXTS, Embedder, _onnx_encoder

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


def test_ingest_batches_in_parallel_streams_equal_pytorch(embedder: Embedder) -> None:
    # Many batches of mixed lengths, so both streams run and rows must land in their places.
    texts = [f"chunk {i}: " + "billing and refunds explained. " * (i % 9) for i in range(70)]
    assert len(texts) > BULK_TEXTS
    got = embedder.embed(texts)
    expected = embedder._model.encode(texts, normalize_embeddings=True)
    assert np.abs(got - expected).max() < 1e-5


def test_runtime_setting(embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTBOT_EMBEDDING_RUNTIME", "torch")
    assert _onnx_encoder(embedder._model) is None
    monkeypatch.setenv("SUPPORTBOT_EMBEDDING_RUNTIME", "tensorrt")
    with pytest.raises(ValueError, match="must be onnx or torch"):
        _onnx_encoder(embedder._model)
