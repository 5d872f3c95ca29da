"""The int8 first pass of in-memory vector search: its error bound always holds, so the
rows it returns are exactly those of a full float32 scan, with and without a filter mask."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from knowledge import quantized_scan
from knowledge.quantized_scan import QuantizedScan, exact_top
from knowledge.vector_snapshot import VectorSnapshot


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _vectors(n: int, seed: int = 3) -> np.ndarray:
    """Clustered, with a few dimensions much larger than the rest (as MiniLM's have)."""
    rng = np.random.default_rng(seed)
    spread = np.ones(384)
    spread[rng.choice(384, 12, replace=False)] = 8.0
    centers = rng.normal(size=(40, 384)) * spread
    x = centers[rng.integers(0, 40, n)] + 0.6 * rng.normal(size=(n, 384)) * spread
    return _unit(x)


def _queries(vectors: np.ndarray, seed: int = 11) -> np.ndarray:
    rng = np.random.default_rng(seed)
    near = vectors[rng.integers(0, len(vectors), 30)] + 0.05 * rng.normal(size=(30, 384))
    odd = np.zeros((3, 384))
    odd[0, 0] = 1.0  # one dimension only
    odd[1, :] = 1.0  # every dimension equal
    odd[2, :] = rng.normal(size=384) * 1e-3  # tiny, then normalized
    return _unit(np.vstack([near, rng.normal(size=(10, 384)), odd]))


def _full_scan(vectors: np.ndarray, query: np.ndarray, mask: np.ndarray | None, limit: int):
    scores = vectors @ query
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    order = np.argsort(-scores, kind="stable")[:limit]
    return order[np.isfinite(scores[order])]


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return _vectors(6000)


@pytest.fixture(scope="module")
def scan(vectors: np.ndarray) -> QuantizedScan:
    return QuantizedScan.build(vectors)


def test_the_error_bound_holds_for_every_row_and_query(
    vectors: np.ndarray, scan: QuantizedScan
) -> None:
    widest = 0.0
    for query in _queries(vectors):
        approximate, bound = scan.approximate(query)
        error = np.abs(approximate - vectors @ query)
        assert np.all(error <= bound)
        widest = max(widest, float(error.max()))
    assert widest > 1e-4  # the codes really are approximate: the bound is doing work


@pytest.mark.parametrize("limit", [1, 10, 50, 1500])
@pytest.mark.parametrize("masked", [False, True])
def test_rows_and_scores_equal_a_full_float32_scan(
    vectors: np.ndarray, scan: QuantizedScan, limit: int, masked: bool
) -> None:
    mask = np.random.default_rng(2).random(len(vectors)) < 0.3 if masked else None
    for query in _queries(vectors):
        rows, scores = exact_top(vectors, scan, query, mask, limit)
        expected = _full_scan(vectors, query, mask, limit)
        assert rows.tolist() == expected.tolist()
        np.testing.assert_allclose(scores, (vectors @ query)[expected], rtol=0, atol=1e-6)


def test_near_ties_beyond_the_first_candidates_are_still_found() -> None:
    """Hundreds of rows within the rounding error of each other: step 3 must find them."""
    rng = np.random.default_rng(8)
    base = _unit(rng.normal(size=384))
    crowd = _unit(base + 0.002 * rng.normal(size=(800, 384)))
    vectors = np.vstack([_vectors(3000), crowd])
    scan = QuantizedScan.build(vectors)
    rows, _ = exact_top(vectors, scan, base, None, 20)
    assert rows.tolist() == _full_scan(vectors, base, None, 20).tolist()


def test_an_empty_mask_or_a_small_allowed_set(vectors: np.ndarray, scan: QuantizedScan) -> None:
    query = _queries(vectors)[0]
    none_allowed = np.zeros(len(vectors), dtype=bool)
    assert exact_top(vectors, scan, query, none_allowed, 10)[0].tolist() == []
    three = np.zeros(len(vectors), dtype=bool)
    three[[5, 700, 4000]] = True
    rows, _ = exact_top(vectors, scan, query, three, 10)
    assert rows.tolist() == _full_scan(vectors, query, three, 10).tolist()


def test_a_snapshot_scores_in_float32_when_the_scan_cannot_be_built(
    monkeypatch: pytest.MonkeyPatch, vectors: np.ndarray, caplog: pytest.LogCaptureFixture
) -> None:
    n = 500
    table = pa.table(
        {
            "chunk_id": [f"c{i}" for i in range(n)],
            "doc_id": [f"d{i}" for i in range(n)],
            "visibility": ["public"] * n,
            "category": ["x"] * n,
            "product": ["all"] * n,
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors[:n].ravel()), 384),
            "_rowid": pa.array(range(n), pa.uint64()),
        }
    )

    def broken(codes: np.ndarray) -> object:
        raise RuntimeError("no MatMulInteger kernel")

    monkeypatch.setattr(quantized_scan, "_session", broken)
    snapshot = VectorSnapshot.from_arrow(1, table, ["chunk_id"], quantize_min_rows=0)
    assert snapshot.scan is None
    assert "int8 vector scan unavailable" in caplog.text
    query = _queries(vectors)[0]
    found = [row for row, _ in snapshot.nearest(query, None, 10)]
    assert found == _full_scan(vectors[:n], query, None, 10).tolist()
