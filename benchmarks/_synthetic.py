"""A synthetic chunk index of any size, written straight through the index layer.

Embedding 100k texts would take ~15 minutes on 2 cores, and the model's speed is measured
separately (bench_ingest.py). Search latency and ANN recall depend on the number of rows,
the vector distribution and the text index, not on where the vectors came from, so rows
get clustered random unit vectors (see _common.clustered_vectors) and ~100 words of text
drawn from a Zipfian 30k-word vocabulary (_common.zipf_texts), and go through
`ChunkIndex.replace_documents`, the same write path ingest uses (so the same FTS and
IVF_PQ indexes are built). The built index is cached by size and seed.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
from _common import WORK_DIR, clustered_vectors, zipf_texts, zipf_vocabulary

from knowledge.embedding import EMBEDDING_DIM
from knowledge.index import ChunkIndex, rows_table

CLUSTERS = 1000
SPREAD = 0.8


def synthetic_index(n: int, seed: int = 7, rebuild: bool = False) -> tuple[Path, np.ndarray, float]:
    """(index path, the vectors in row order, seconds it took to build or 0 if cached)."""
    path = WORK_DIR / f"synthetic-zipf-{n}-s{seed}"
    vectors_file = path.with_suffix(".npy")
    vectors = clustered_vectors(n, EMBEDDING_DIM, CLUSTERS, SPREAD, seed)
    if not rebuild and vectors_file.exists() and ChunkIndex(path).count_rows() == n:
        return path, vectors, 0.0
    shutil.rmtree(path, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    index = ChunkIndex(path)
    vocabulary = zipf_vocabulary()
    texts = zipf_texts(n, 100, seed, vocabulary)
    titles = zipf_texts(n // 4 + 1, 5, seed + 1, vocabulary)
    started = time.perf_counter()
    # One write, as one big ingest would do: the IVF_PQ index is trained on all rows.
    rows = [_row(i, vectors[i], texts[i], titles[i // 4]) for i in range(n)]
    index.replace_documents(rows_table(rows), ())
    np.save(vectors_file, vectors)
    return path, vectors, time.perf_counter() - started


def _row(i: int, vector: np.ndarray, text: str, title: str) -> dict[str, object]:
    doc = f"doc-{i // 4}"  # four chunks per document, like a short help page
    return {
        "chunk_id": f"{doc}#{i % 4}",
        "variant": 0,
        "doc_id": doc,
        "position": i % 4,
        "text": text,
        "context": title,
        "title": title,
        "heading_path": [],
        "url": None,
        "category": f"cat-{i % 8}",
        "product": "all",
        "visibility": "public",
        "source": f"synthetic/{doc}.md",
        "updated": None,
        "content_hash": f"h{i}",
        "doc_hash": f"d{i // 4}",
        "vector": vector,
    }
