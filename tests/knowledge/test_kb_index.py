"""The LanceDB index: exact in-memory vector search up to `memory_max_rows`; past it LanceDB
searches, flat below the ANN threshold and IVF_PQ with refine above it; filters that are safe
for any value and mean the same on both paths. Vectors here are synthetic (no model needed)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from knowledge.index import ChunkIndex, IndexConfig, IndexKind, rows_table, sql_string
from knowledge.search import HybridSearcher, SearchFilters


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
            "product": ("all", "mobile", "web")[i % 3],
            "visibility": "internal" if i % 5 == 0 else "public",
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
    config = IndexConfig(memory_max_rows=0, ann_threshold_rows=threshold)
    index = ChunkIndex(tmp_path / "db", config)
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
    index = ChunkIndex(tmp_path / "db", IndexConfig(memory_max_rows=0, ann_threshold_rows=256))
    index.replace_documents(rows_table(_rows(vectors)), set())
    assert index.kind() is IndexKind.IVF_PQ
    rows = index.vector_search(vectors[1], "category = 'even'", 50)
    assert len(rows) == 50 and {row["category"] for row in rows} == {"even"}


def test_sql_strings_double_their_quotes() -> None:
    assert sql_string("partner's") == "'partner''s'"
    assert sql_string("x' OR '1'='1") == "'x'' OR ''1''=''1'"


FILTERS = [
    SearchFilters(),
    SearchFilters(include_internal=True),
    SearchFilters(category="Even"),
    SearchFilters(product="mobile"),
    SearchFilters(category="odd", product="web", include_internal=True),
    SearchFilters(category="no such category"),
]


@pytest.mark.parametrize("quantize_min_rows", [None, 0], ids=["float32", "int8-scan"])
@pytest.mark.parametrize("filters", FILTERS, ids=str)
def test_in_memory_search_is_exact_and_filters_like_the_sql_where(
    tmp_path: Path, filters: SearchFilters, quantize_min_rows: int | None
) -> None:
    vectors = _clustered(400)
    index = ChunkIndex(tmp_path / "db", IndexConfig(quantize_min_rows=quantize_min_rows))
    index.replace_documents(rows_table(_rows(vectors)), set())
    assert index.kind() is IndexKind.MEMORY
    lance = ChunkIndex(tmp_path / "db", IndexConfig(memory_max_rows=0))  # exact flat scan
    snapshot = index.vector_snapshot()
    assert snapshot is not None and lance.vector_snapshot() is None
    assert (snapshot.scan is not None) == (quantize_min_rows is not None)
    for query in _clustered(10, seed=5):
        found = snapshot.nearest(query, filters.mask(snapshot), 20)
        in_memory = [str(snapshot.chunk_ids[row]) for row, _ in found]
        expected = [row["chunk_id"] for row in lance.vector_search(query, filters.where(), 20)]
        assert in_memory == expected
        cosines = [cosine for _, cosine in found]
        assert cosines == sorted(cosines, reverse=True)
    if filters.category == "no such category":
        assert in_memory == []


def test_the_snapshot_follows_writes_and_stale_row_ids_fall_back_to_chunk_ids(
    tmp_path: Path,
) -> None:
    vectors = _clustered(60)
    index = ChunkIndex(tmp_path / "db")
    rows = _rows(vectors)
    index.replace_documents(rows_table(rows[:40]), set())
    searcher = HybridSearcher(index)
    old = index.vector_snapshot()
    assert old is not None and len(old) == 40
    public = SearchFilters(include_internal=True)

    # A write (here: 20 new documents, doc-0..doc-9 deleted) gives a new version.
    index.replace_documents(rows_table(rows[40:]), {f"doc-{i}" for i in range(10)})
    new = index.vector_snapshot()
    assert new is not None and new.version != old.version and len(new) == 50
    hits = searcher.search("text", vectors[45], public, k=3)
    assert hits[0].doc_id == "doc-45" and hits[0].text == "text 45"

    # A search on the old snapshot while the full-text search already sees the new version
    # (a write landed mid-search): vector hits come from the snapshot it started with, and
    # a newer row that only full text found is read from LanceDB (its row id is unknown to
    # the snapshot) instead of being dropped or mixed up with another row.
    index._snapshot = dataclasses.replace(old, version=index.table().version)
    hits = searcher.search("45", vectors[45], public, k=60)
    by_doc = {hit.doc_id: hit.text for hit in hits}
    assert by_doc["doc-45"] == "text 45"
    assert all(text == f"text {doc_id[4:]}" for doc_id, text in by_doc.items())


def test_past_memory_max_rows_lancedb_searches_the_vectors(tmp_path: Path) -> None:
    vectors = _clustered(300)
    index = ChunkIndex(tmp_path / "db", IndexConfig(memory_max_rows=299, ann_threshold_rows=256))
    index.replace_documents(rows_table(_rows(vectors)), set())
    assert index.kind() is IndexKind.IVF_PQ and index.vector_snapshot() is None
    hits = HybridSearcher(index).search("x", vectors[3], SearchFilters(), k=3)
    assert hits[0].doc_id == "doc-3" and hits[0].vector_score == pytest.approx(1.0, abs=1e-3)


def test_agreement_is_the_documents_share_of_the_nearest_rows_when_it_can_fill_them(
    tmp_path: Path,
) -> None:
    """A dense FAQ entry (30 phrasings near one point) against 150 one-row documents."""
    rng = np.random.default_rng(4)
    centre = _clustered(1, seed=21)[0]
    phrasings = centre + 0.02 * rng.normal(size=(30, 384))
    phrasings = (phrasings / np.linalg.norm(phrasings, axis=1, keepdims=True)).astype(np.float32)
    sparse = _clustered(150)
    rows = _rows(sparse)
    dense = [
        dict(rows[0], chunk_id="faq#0-x", doc_id="faq", variant=i, vector=vector)
        for i, vector in enumerate(phrasings)
    ]
    index = ChunkIndex(tmp_path / "db")
    index.replace_documents(rows_table(rows + dense), set())
    searcher = HybridSearcher(index)
    everyone = SearchFilters(include_internal=True)

    hits = searcher.search("x", centre, everyone, k=3)
    assert hits[0].doc_id == "faq" and hits[0].agreement == 1.0
    assert all(hit.agreement is None for hit in hits[1:])  # one row each: cannot fill 20

    between = centre + 1.3 * sparse[7]  # some phrasings and some other documents nearby
    between = (between / np.linalg.norm(between)).astype(np.float32)
    everything = np.vstack([sparse, phrasings])
    nearest = np.argsort(-(everything @ between))[:20]
    expected = np.count_nonzero(nearest >= len(sparse)) / 20
    assert 0 < expected < 1
    faq = next(h for h in searcher.search("x", between, everyone, k=60) if h.doc_id == "faq")
    assert faq.agreement == pytest.approx(expected)

    tiny = ChunkIndex(tmp_path / "tiny")  # fewer rows than the window: nothing to measure
    tiny.replace_documents(rows_table(dense[:12]), set())
    assert HybridSearcher(tiny).search("x", centre, everyone, k=1)[0].agreement is None


def test_a_searching_process_reloads_its_copy_on_write_and_an_ingest_only_one_does_not(
    tmp_path: Path,
) -> None:
    rows = _rows(_clustered(40))
    searching = ChunkIndex(tmp_path / "db")
    searching.replace_documents(rows_table(rows[:20]), set())
    assert searching._snapshot is None  # nothing searched yet: no copy loaded
    first = searching.vector_snapshot()
    assert first is not None and len(first) == 20

    searching.replace_documents(rows_table(rows[20:]), set())
    reloaded = searching._snapshot  # taken by the write itself, before any search
    assert reloaded is not None and reloaded.version == searching.table().version
    assert len(reloaded) == 40 and searching.vector_snapshot() is reloaded

    ingest_only = ChunkIndex(tmp_path / "db")
    ingest_only.replace_documents(rows_table(rows[:5]), {"doc-39"})
    assert ingest_only._snapshot is None
