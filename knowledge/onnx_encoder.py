"""The bundled MiniLM run by ONNX Runtime: the model's own vectors, in less time.

A customer's question is ~20 tokens; at that size PyTorch spends most of its 13-15 ms per
call dispatching small operators one by one. ONNX Runtime runs the same graph with fused
kernels in 6-7 ms on one core (measured on the 2-core benchmark machine). The graph is
exported from the already loaded PyTorch weights when the model loads (about 1.5 s,
in memory, nothing downloaded or written), so the vectors are the model's own: the largest
difference from `SentenceTransformer.encode` over 200 questions was 2e-7, cosine 0.9999999
(tests/knowledge_fusion/test_onnx_encoder.py checks it). Existing indexes stay valid.

Ingest batches run on the same session in parallel streams (see OnnxEncoder): on
~180-token chunks every runtime is bound by the same matrix products, so the gain there is
smaller (32 texts/s against PyTorch's 26 on 2 cores).
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.embedding import EMBEDDING_DIM

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxEncoder:
    """Mean-pooled, normalized MiniLM embeddings from one single-threaded ONNX Runtime session.

    A question runs as one call. A bulk call (ingest) is cut into length-sorted batches run
    by `streams` threads at once on the same session (ONNX Runtime allows concurrent runs):
    on 2 cores, 2 single-threaded streams embedded 32 chunk texts/s where one 2-threaded
    run did 30 and PyTorch 26. The tokenizer is not safe to share mid-call, so it is locked.
    """

    BULK_BATCH = 16

    def __init__(self, model: SentenceTransformer, *, streams: int = 1) -> None:
        import onnxruntime as ort

        self._tokenizer = model.tokenizer
        self._tokenizer_lock = threading.Lock()
        self._max_tokens = int(model.max_seq_length or 256)
        self._streams = max(1, streams)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only
        self._session = ort.InferenceSession(
            _export(model), options, providers=["CPUExecutionProvider"]
        )
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One run over all texts (a question, a conversation's few messages)."""
        with self._tokenizer_lock:
            batch = self._tokenizer(
                list(texts),
                padding=True,
                truncation=True,
                max_length=self._max_tokens,
                return_tensors="np",
            )
        feed = {name: np.asarray(batch[name], dtype=np.int64) for name in INPUTS}
        hidden = self._session.run(None, feed)[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def encode_many(self, texts: Sequence[str]) -> np.ndarray:
        """Many texts in length-sorted batches (little padding), `streams` at a time."""
        order = np.argsort([len(t) for t in texts], kind="stable")
        batches = [order[i : i + self.BULK_BATCH] for i in range(0, len(order), self.BULK_BATCH)]
        out = np.empty((len(texts), EMBEDDING_DIM), dtype=np.float32)

        def run(rows: np.ndarray) -> None:
            out[rows] = self.encode([texts[i] for i in rows])

        if self._streams == 1 or len(batches) == 1:
            for rows in batches:
                run(rows)
        else:
            list(self._executor().map(run, batches))  # list(): re-raises a batch's error
        return out

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._streams, thread_name_prefix="embed")
        return self._pool


def _export(model: SentenceTransformer) -> bytes:
    """The transformer of a loaded SentenceTransformer as an ONNX graph (bytes)."""
    import torch

    transformer = model[0].auto_model.eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    sample = model.tokenizer(["a sample question"], return_tensors="pt")
    dynamic = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
    buffer = io.BytesIO()
    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes it may not generalize
        torch.onnx.export(
            LastHiddenState(),
            tuple(sample[name] for name in INPUTS),
            buffer,
            input_names=list(INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )
    return buffer.getvalue()
