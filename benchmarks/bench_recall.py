"""Recall@10 of the index's vector search against exact numpy search, at 100k chunks.

The index (IVF_PQ with nprobes and refine_factor from knowledge.index.IndexConfig) is
built on the synthetic clustered vectors of _synthetic.py. Queries are fresh points near
the same cluster centres (a question about a topic the knowledge base covers). The truth
is the exact top 10 by cosine from a numpy matrix product over all vectors. Target:
recall@10 >= 0.95.

    python benchmarks/bench_recall.py [--size 100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from _common import percentiles, print_machine, timed
from _synthetic import CLUSTERS, SPREAD, synthetic_index

from knowledge.embedding import EMBEDDING_DIM
from knowledge.index import ChunkIndex

TARGET_RECALL = 0.95


def query_vectors(vectors: np.ndarray, n: int, seed: int = 11) -> np.ndarray:
    """New points near stored ones: a stored vector plus the clusters' own noise level."""
    rng = np.random.default_rng(seed)
    base = vectors[rng.integers(0, len(vectors), size=n)]
    scale = SPREAD / np.sqrt(EMBEDDING_DIM)
    noise = rng.standard_normal((n, EMBEDDING_DIM)).astype(np.float32) * scale
    q = base + noise
    return (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    info = print_machine()
    path, vectors, _ = synthetic_index(args.size)
    index = ChunkIndex(path)
    ids = np.array([f"doc-{i // 4}#{i % 4}" for i in range(len(vectors))])
    queries = query_vectors(vectors, args.queries)
    exact_ms, ann_ms, recalls = [], [], []
    for q in queries:
        ms, truth = timed(lambda q=q: np.argsort(-(vectors @ q))[:10])
        exact_ms.append(ms)
        ms, found = timed(lambda q=q: index.vector_search(q, "", 10))
        ann_ms.append(ms)
        got = {row["chunk_id"] for row in found}
        recalls.append(len(got & set(ids[truth])) / 10)
    recall = float(np.mean(recalls))
    e50, e95 = percentiles(exact_ms)
    a50, a95 = percentiles(ann_ms)
    cfg = index.config
    print(
        f"{index.count_rows()} chunks, {index.kind()} (nprobes={cfg.nprobes}, "
        f"refine_factor={cfg.refine_factor}, {CLUSTERS} clusters): recall@10 {recall:.3f} "
        f"(target >= {TARGET_RECALL}: {'met' if recall >= TARGET_RECALL else 'MISSED'}); "
        f"index search p50 {a50:.1f} / p95 {a95:.1f} ms; "
        f"exact numpy p50 {e50:.1f} / p95 {e95:.1f} ms",
        flush=True,
    )
    if args.json:
        timings = {"ann_p50_ms": a50, "ann_p95_ms": a95, "exact_p50_ms": e50, "exact_p95_ms": e95}
        print(json.dumps({"machine": info, "recall_at_10": recall, **timings}))


if __name__ == "__main__":
    main()
