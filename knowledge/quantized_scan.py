"""Exact nearest neighbours in a quarter of the memory traffic: an int8 scan, then a re-rank.

Why: scoring every vector of a 100k-row snapshot is one matrix-vector product that reads
150 MB of float32; on one core of the 2-core benchmark machine it takes 9.4 ms, bound by
memory bandwidth, not arithmetic. The same product over int8 codes (ONNX Runtime's
MatMulInteger, whose packed AVX2 kernels are already installed with the embedder) reads
38 MB and took 1.7 ms. Its scores are approximate, so the scan only picks candidates:

1. every row gets an approximate score and a proven bound on that score's error (from the
   two rounding steps, below);
2. the best `4 * limit` rows by approximate score are scored exactly (float32);
3. any other row whose approximate score plus its bound reaches the limit-th exact score
   could still belong in the answer, so it is scored exactly too.

The answer is therefore the float32 answer (the bound is a worst case, not an estimate),
up to the order of rows whose scores are equal to float32 rounding (duplicate vectors, e.g.
an FAQ phrasing that repeats its title). Step 3 only costs more when many rows sit within
the bound of the cut-off: at 100k rows, 100 candidates at most for limit 50 (the bound is
about 0.025 in cosine, the real error at most 0.005), and the whole search took 2.6 ms.

Rounding and its bound, per dimension d: document codes b = round(x / s), s = max|x_d| / 63
over the rows (7-bit codes: AVX2's u8 x s8 kernel adds pairs of products in int16 and would
saturate with full 8-bit codes); the query folds s in, w = v * s, and is rounded to
a = round(w / t) with t = max|w| / 127. With e = x / s - b and f = w / t - a (|e|, |f| <= 1/2):

    v . x = t * (a . b) + t * (f . b) + (v * s) . e
    |v . x - t * (a . b)| <= t * |f| * |b| + |v * s * e|  <= t * |f| * |b| + |v| * |s * e|

(Cauchy-Schwarz on both terms). |b| and |s * e| are stored per row when the scan is built.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

DOC_LEVELS = 63  # 7-bit document codes (see the module docstring)
QUERY_LEVELS = 127
QUERY_ZERO_POINT = 128
# Covers float32 rounding in the exact scores and in scaling the integer sums (~1e-6).
FLOAT_SLACK = 1e-4
BUILD_BLOCK = 4096


@dataclass(frozen=True, slots=True)
class QuantizedScan:
    """int8 codes of a float32 matrix, the error terms per row, and the session scoring them."""

    scales: np.ndarray  # (dim,) float32: s
    code_norms: np.ndarray  # (rows,) float32: |b| per row
    residual_norms: np.ndarray  # (rows,) float32: |s * e| per row
    scorer: _Scorer  # an ONNX Runtime session holding the codes as a packed constant

    @classmethod
    def build(cls, vectors: np.ndarray) -> QuantizedScan:
        """Quantize `vectors` (rows, dim) and hand the codes to a single-threaded session.

        About 0.4 s at 100k rows, on top of loading the rest of the snapshot (0.8 s).
        """
        vectors = np.asarray(vectors, dtype=np.float32)
        rows, dim = vectors.shape
        peak = np.abs(vectors).max(axis=0)
        scales = (np.where(peak > 0, peak, 1.0) / DOC_LEVELS).astype(np.float32)
        inverse = (1.0 / scales).astype(np.float32)
        codes = np.empty((dim, rows), dtype=np.int8)  # column per row: MatMulInteger's B
        code_norms = np.empty(rows, dtype=np.float32)
        residual_norms = np.empty(rows, dtype=np.float32)
        for start in range(0, rows, BUILD_BLOCK):  # blocks that stay in cache
            block = vectors[start : start + BUILD_BLOCK]
            levels = np.rint(block * inverse)
            codes[:, start : start + BUILD_BLOCK] = levels.T
            code_norms[start : start + BUILD_BLOCK] = np.sqrt(np.einsum("ij,ij->i", levels, levels))
            residual = block - levels * scales
            residual_norms[start : start + BUILD_BLOCK] = np.sqrt(
                np.einsum("ij,ij->i", residual, residual)
            )
        return cls(scales, code_norms, residual_norms, _session(codes))

    def approximate(self, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(approximate score, bound on its error) of every row for one unit query."""
        weighted = np.asarray(vector, dtype=np.float32) * self.scales
        step = float(np.abs(weighted).max()) / QUERY_LEVELS or 1.0
        levels = np.rint(weighted / step)
        rounding = float(np.linalg.norm(weighted / step - levels))
        query = (levels + QUERY_ZERO_POINT).astype(np.uint8)[None, :]
        sums = self.scorer.sums(query)
        scores = sums.astype(np.float32) * np.float32(step)
        bound = (
            np.float32(step * rounding) * self.code_norms
            + np.float32(np.linalg.norm(vector)) * self.residual_norms
            + np.float32(FLOAT_SLACK)
        )
        return scores, bound


def exact_top(
    vectors: np.ndarray,
    scan: QuantizedScan,
    vector: np.ndarray,
    allowed: np.ndarray | None,
    limit: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, exact float32 scores), best first: the rows of a full float32 scan.

    `allowed` is a boolean row mask (None: every row); at most `limit` rows are returned.
    """
    query = np.asarray(vector, dtype=np.float32)
    approx, bound = scan.approximate(query)
    if allowed is not None:
        approx = np.where(allowed, approx, -np.inf)
        available = int(np.count_nonzero(allowed))
    else:
        available = len(approx)
    if available == 0 or limit < 1:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    first = min(available, 4 * limit)
    rows = np.argpartition(-approx, first - 1)[:first] if first < len(approx) else np.arange(first)
    exact = vectors[rows] @ query
    if available > first:
        cut_off = np.partition(exact, first - limit)[first - limit]  # the limit-th best
        could_beat = np.flatnonzero(approx + bound >= cut_off)
        extra = np.setdiff1d(could_beat, rows, assume_unique=True)
        if len(extra):
            rows = np.concatenate([rows, extra])
            exact = np.concatenate([exact, vectors[extra] @ query])
    order = np.lexsort((rows, -exact))[:limit]  # ties by row, like a stable full sort
    return rows[order], exact[order]


def _session(codes: np.ndarray) -> _Scorer:
    """A MatMulInteger with the codes (dim, rows) as a constant, packed once by ONNX Runtime.

    The codes reach the session as an external initializer (no 38 MB protobuf copy to
    serialize and parse: 65 ms instead of 390 at 100k rows).
    """
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    dim, rows = codes.shape
    constant = TensorProto(name="codes", data_type=TensorProto.INT8, dims=[dim, rows])
    constant.data_location = TensorProto.EXTERNAL
    constant.external_data.add(key="location", value="codes.bin")  # never read: given below
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["query", "codes", "zero_point"], ["sums"])],
        "quantized_scan",
        [helper.make_tensor_value_info("query", TensorProto.UINT8, [1, dim])],
        [helper.make_tensor_value_info("sums", TensorProto.INT32, [1, rows])],
        initializer=[
            constant,
            numpy_helper.from_array(np.array(QUERY_ZERO_POINT, dtype=np.uint8), "zero_point"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    value = ort.OrtValue.ortvalue_from_numpy(codes)  # shares the array's memory
    options.add_external_initializers(["codes"], [value])
    session = ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    return _Scorer(session, (value, codes))


@dataclass(frozen=True, slots=True)
class _Scorer:
    """The session plus what must outlive it: the buffer its constant was read from."""

    session: Any
    keep_alive: tuple[Any, ...]

    def sums(self, query: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"query": query})[0][0]
