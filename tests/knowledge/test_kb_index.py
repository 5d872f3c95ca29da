"""The LanceDB index: flat below the threshold, IVF_PQ with refine above it, and filters
that are safe for any value. Vectors here are synthetic (no model needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.index import ChunkIndex, IndexConfig, IndexKind, rows_table, sql_string


def _rows(vectors: np.ndarray) -> list[dict[str, object]]:
    return [
        {
            "chunk_id": f"doc-{i}#0-x",
            "variant": 0,
            "doc_id": f"doc-{i}",
            "position": 0,
            "text": f"text {i}",
            "context": f"Doc {i}",
            "title": f"Doc {i}",
            "heading_path": [],
            "url": None,
            "category": "even" if i % 2 == 0 else "odd",
            "product": "all",
            "visibility": "public",
            "source": "/x",
            "updated": None,
            "content_hash": f"h{i}",
            "doc_hash": f"d{i}",
            "vector": vector,
        }
        for i, vector in enumerate(vectors)
    ]


def _clustered(n: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(12, 384))
    x = centers[rng.integers(0, 12, n)] + 0.35 * rng.normal(size=(n, 384))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize(("threshold", "kind"), [(10_000, IndexKind.FLAT), (500, IndexKind.IVF_PQ)])
def test_vector_index_kind_follows_the_threshold_and_recall_stays_high(
    tmp_path: Path, threshold: int, kind: IndexKind
) -> None:
    vectors = _clustered(600)
    index = ChunkIndex(tmp_path / "db", IndexConfig(ann_threshold_rows=threshold))
    index.replace_documents(rows_table(_rows(vectors)), set())
    assert index.kind() is kind
    queries = _clustered(20, seed=99)
    recalls = []
    for query in queries:
        exact = set(np.argsort(-(vectors @ query))[:10])
        found = {int(row["doc_id"][4:]) for row in index.vector_search(query, "", 10)}
        recalls.append(len(found & exact) / 10)
    assert np.mean(recalls) >= 0.95


def test_filters_apply_inside_the_vector_query(tmp_path: Path) -> None:
    vectors = _clustered(300)
    index = ChunkIndex(tmp_path / "db", IndexConfig(ann_threshold_rows=256))
    index.replace_documents(rows_table(_rows(vectors)), set())
    assert index.kind() is IndexKind.IVF_PQ
    rows = index.vector_search(vectors[1], "category = 'even'", 50)
    assert len(rows) == 50 and {row["category"] for row in rows} == {"even"}


def test_sql_strings_double_their_quotes() -> None:
    assert sql_string("partner's") == "'partner''s'"
    assert sql_string("x' OR '1'='1") == "'x'' OR ''1''=''1'"
