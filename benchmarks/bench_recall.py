"""Recall@10 of both vector search paths against exact numpy search, at 100k chunks.

- The default path (up to `memory_max_rows`): the in-memory snapshot of the table
  (knowledge.vector_snapshot), with the customers' visibility filter, as search runs it.
- The fallback for tables over the memory budget: LanceDB's IVF_PQ index with nprobes and
  refine_factor from knowledge.index.IndexConfig.
Both run on the synthetic clustered vectors of _synthetic.py. Queries are fresh points
near the same cluster centres (a question about a topic the knowledge base covers). The
truth is the exact top 10 by cosine from a numpy matrix product over all vectors (all
synthetic rows are public). Target: recall@10 >= 0.95.

    python benchmarks/bench_recall.py [--size 100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from _common import percentiles, print_machine, timed
from _synthetic import CLUSTERS, SPREAD, synthetic_index

from knowledge.embedding import EMBEDDING_DIM
from knowledge.index import ChunkIndex, IndexConfig
from knowledge.search import SearchFilters

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
    memory = ChunkIndex(path)
    lance = ChunkIndex(path, IndexConfig(memory_max_rows=0))
    snapshot = memory.vector_snapshot()
    assert snapshot is not None, "the table is over memory_max_rows"
    customers = SearchFilters()
    ids = np.array([f"doc-{i // 4}#{i % 4}" for i in range(len(vectors))])
    queries = query_vectors(vectors, args.queries)
    exact_ms, memory_ms, ann_ms, memory_recalls, ann_recalls = [], [], [], [], []
    for q in queries:
        ms, truth = timed(lambda q=q: np.argsort(-(vectors @ q))[:10])
        exact_ms.append(ms)
        want = set(ids[truth])
        ms, found = timed(lambda q=q: snapshot.nearest(q, customers.mask(snapshot), 10))
        memory_ms.append(ms)
        memory_recalls.append(len({str(snapshot.chunk_ids[r]) for r, _ in found} & want) / 10)
        ms, rows = timed(lambda q=q: lance.vector_search(q, customers.where(), 10))
        ann_ms.append(ms)
        ann_recalls.append(len({row["chunk_id"] for row in rows} & want) / 10)
    recall, ann_recall = float(np.mean(memory_recalls)), float(np.mean(ann_recalls))
    e50, e95 = percentiles(exact_ms)
    m50, m95 = percentiles(memory_ms)
    a50, a95 = percentiles(ann_ms)
    cfg = lance.config
    verdict = "met" if min(recall, ann_recall) >= TARGET_RECALL else "MISSED"
    print(
        f"{memory.count_rows()} chunks ({CLUSTERS} clusters), recall@10 vs exact "
        f"(target >= {TARGET_RECALL}: {verdict}): in-memory snapshot "
        f"({'int8 scan + exact re-rank' if snapshot.scan else 'float32'}) {recall:.3f}, "
        f"p50 {m50:.1f} / p95 {m95:.1f} ms; LanceDB IVF_PQ (nprobes={cfg.nprobes}, "
        f"refine_factor={cfg.refine_factor}) {ann_recall:.3f}, p50 {a50:.1f} / p95 {a95:.1f} ms "
        f"with rows; bare numpy product p50 {e50:.1f} / p95 {e95:.1f} ms",
        flush=True,
    )
    if args.json:
        print(
            json.dumps(
                {
                    "machine": info,
                    "recall_at_10": recall,
                    "ivf_pq_recall_at_10": ann_recall,
                    "memory_p50_ms": m50,
                    "memory_p95_ms": m95,
                    "ann_p50_ms": a50,
                    "ann_p95_ms": a95,
                    "exact_p50_ms": e50,
                    "exact_p95_ms": e95,
                }
            )
        )


if __name__ == "__main__":
    main()
