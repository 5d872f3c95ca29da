"""Hybrid search: vector and full-text candidates, filtered before ranking, fused, deduplicated.

Each retriever fetches a candidate pool (default 50) with the metadata filters applied in
the query itself (the full-text query's `prefilter=True`; a row mask before ranking in the
in-memory vector search, knowledge.vector_snapshot), never afterwards, so a filter cannot
starve the pool:
- visibility: internal documents only with `include_internal=True` (never for customers);
- category: exact match (labels are lower-cased at ingest and here);
- product: the product asked for, or documents for 'all' products.
An FAQ's alternate phrasings are separate vector rows of one chunk: the best one counts.
`knowledge.fusion.fuse` orders the candidates and gives each a confidence in [0, 1], which
becomes `SearchHit.score`; `rank_score` keeps the raw fused score. With `per_doc=True` only
the best chunk of each document is returned.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from knowledge.fusion import Candidate, FusionConfig, fuse
from knowledge.index import ChunkIndex, sql_string
from knowledge.loaders.metadata import ALL_PRODUCTS, normalize_label
from knowledge.types import SearchHit, Visibility
from knowledge.vector_snapshot import VectorSnapshot

log = logging.getLogger(__name__)

DEFAULT_CANDIDATE_POOL = 50
# How many nearest vector rows `SearchHit.agreement` looks at: an in-scope question pulls
# many phrasings of its FAQ entry to the top, an out-of-scope one a scatter of entries
# (docs/routing.md, "Agreement"). Chosen on CLINC150's tuning split over 5 / 10 / 20.
AGREEMENT_ROWS = 20
MAX_FTS_QUERY_CHARS = 1000


@dataclass(frozen=True, slots=True)
class SearchFilters:
    category: str | None = None
    product: str | None = None
    include_internal: bool = False

    def mask(self, snapshot: VectorSnapshot) -> np.ndarray | None:
        """The same filter as `where()`, as a row mask over an in-memory snapshot."""
        masks: list[np.ndarray] = []
        if not self.include_internal:
            masks.append(snapshot.labels["visibility"].isin([Visibility.PUBLIC]))
        category = normalize_label(self.category)
        if category:
            masks.append(snapshot.labels["category"].isin([category]))
        product = normalize_label(self.product)
        if product and product != ALL_PRODUCTS:
            masks.append(snapshot.labels["product"].isin([product, ALL_PRODUCTS]))
        if not masks:
            return None
        return np.logical_and.reduce(masks) if len(masks) > 1 else masks[0]

    def where(self) -> str:
        """The SQL filter for LanceDB; every value is quoted by sql_string."""
        clauses: list[str] = []
        if not self.include_internal:
            clauses.append(f"visibility = {sql_string(Visibility.PUBLIC)}")
        category = normalize_label(self.category)
        if category:
            clauses.append(f"category = {sql_string(category)}")
        product = normalize_label(self.product)
        if product and product != ALL_PRODUCTS:
            clauses.append(f"product IN ({sql_string(product)}, {sql_string(ALL_PRODUCTS)})")
        return " AND ".join(clauses)


class HybridSearcher:
    """Runs both retrievers for one embedded query and fuses their candidates."""

    def __init__(
        self,
        index: ChunkIndex,
        fusion: FusionConfig | None = None,
        pool: int = DEFAULT_CANDIDATE_POOL,
    ) -> None:
        self._index = index
        self._fusion = fusion or FusionConfig()
        self._pool = pool
        self._threads: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def search(
        self,
        query: str,
        vector: np.ndarray | Callable[[], np.ndarray],
        filters: SearchFilters,
        *,
        k: int,
        per_doc: bool = True,
    ) -> list[SearchHit]:
        where = filters.where()
        pool = max(self._pool, k)
        snapshot = self._index.vector_snapshot()  # None: LanceDB searches the vectors
        rows: dict[str, dict[str, Any]] = {}  # full rows, from LanceDB's vector search only
        row_ids: dict[str, int] = {}  # the rest: read from LanceDB by row id if they win
        candidates: dict[str, Candidate] = {}
        window: list[str] = []  # documents of the AGREEMENT_ROWS nearest vector rows

        # Both retrievers at once: LanceDB releases the GIL, so latency is the slower one.
        text_rows = self._executor().submit(self._text_rows, query, where, pool)
        if callable(vector):  # embed while the full-text search (which needs no vector) runs
            vector = vector()

        def add(chunk_id: str, doc_id: str, cosine: float) -> bool:
            """False for a weaker phrasing of an FAQ chunk already counted."""
            if chunk_id in candidates:
                return False
            rank = len(candidates) + 1
            candidates[chunk_id] = Candidate(chunk_id, doc_id, cosine, vector_rank=rank)
            return True

        if snapshot is not None:
            nearest = snapshot.nearest(vector, filters.mask(snapshot), max(pool, AGREEMENT_ROWS))
            window = [str(snapshot.doc_ids[row]) for row, _ in nearest[:AGREEMENT_ROWS]]
            for row, cosine in nearest[:pool]:
                chunk_id = str(snapshot.chunk_ids[row])
                if add(chunk_id, str(snapshot.doc_ids[row]), cosine):
                    row_ids[chunk_id] = int(snapshot.row_ids[row])
        else:
            for row in self._index.vector_search(vector, where, pool):
                if add(row["chunk_id"], row["doc_id"], 1.0 - float(row["_distance"])):
                    rows[row["chunk_id"]] = row
        for rank, row in enumerate(text_rows.result(), start=1):
            chunk_id = row["chunk_id"]
            row_ids.setdefault(chunk_id, int(row["_rowid"]))
            cand = candidates.setdefault(chunk_id, Candidate(chunk_id, row["doc_id"]))
            cand.text_score = float(row["_score"])
            cand.text_rank = rank

        picked = []
        seen_docs: set[str] = set()
        for fused in fuse(list(candidates.values()), self._fusion):
            cand = fused.candidate
            if per_doc and cand.doc_id in seen_docs:
                continue
            seen_docs.add(cand.doc_id)
            picked.append(fused)
            if len(picked) == k:
                break
        winners = [f.candidate.chunk_id for f in picked]
        rows.update(self._read_rows(winners, rows, row_ids, snapshot))
        return [
            _hit(
                rows[f.candidate.chunk_id],
                f.confidence,
                f.rank_score,
                f.candidate.vector_score,
                _agreement(f.candidate.doc_id, window, snapshot),
            )
            for f in picked
            if f.candidate.chunk_id in rows  # gone only if deleted in the last milliseconds
        ]

    def _read_rows(
        self,
        chunk_ids: list[str],
        known: dict[str, dict[str, Any]],
        row_ids: dict[str, int],
        snapshot: VectorSnapshot | None,
    ) -> dict[str, dict[str, Any]]:
        """The stored rows of the winning chunks: from memory, else LanceDB by row id.

        Row ids can be stale when another writer committed mid-search (the full-text
        search may even see a newer version than the snapshot); such rows are read by
        chunk id, and a chunk deleted meanwhile is simply not returned.
        """
        missing = [c for c in chunk_ids if c not in known]
        found: dict[str, dict[str, Any]] = {}
        if snapshot is not None and missing:
            positions = snapshot.positions([row_ids[c] for c in missing])
            at = [
                (chunk_id, pos)
                for chunk_id, pos in zip(missing, positions, strict=True)
                if pos is not None and snapshot.chunk_ids[pos] == chunk_id
            ]
            rows = snapshot.hit_rows([pos for _, pos in at])
            found.update({chunk_id: row for (chunk_id, _), row in zip(at, rows, strict=True)})
            missing = [c for c in missing if c not in found]
        if missing:
            try:
                for row in self._index.take_rows([row_ids[c] for c in missing]):
                    if row["chunk_id"] in missing:
                        found[row["chunk_id"]] = row
            except Exception:
                log.info("row ids went stale; reading the hits by chunk id", exc_info=True)
        stale = [c for c in missing if c not in found]
        if stale:  # stale row ids find nothing (or other chunks): read these by chunk id
            log.debug("reading %d hits by chunk id", len(stale))
            found.update({row["chunk_id"]: row for row in self._index.rows_by_chunk(stale)})
        return found

    def _executor(self) -> ThreadPoolExecutor:
        if self._threads is None:
            with self._lock:
                if self._threads is None:
                    self._threads = ThreadPoolExecutor(4, thread_name_prefix="kb-fulltext")
        return self._threads

    def _text_rows(self, query: str, where: str, pool: int) -> list[dict[str, Any]]:
        """chunk_id, doc_id, _score and _rowid of the best full-text matches."""
        try:
            return self._index.text_search(query[:MAX_FTS_QUERY_CHARS], where, pool)
        except Exception:  # vectors alone still answer; say so in the log
            log.warning("full-text search failed; using vector results only", exc_info=True)
            return []


def _agreement(doc_id: str, window: list[str], snapshot: VectorSnapshot | None) -> float | None:
    """Share of the nearest rows that are this document's, if it has rows to fill them all."""
    if snapshot is None or len(window) < AGREEMENT_ROWS:  # tiny or tightly filtered index
        return None
    if snapshot.doc_rows.get(doc_id, 0) < AGREEMENT_ROWS:
        return None
    return window.count(doc_id) / AGREEMENT_ROWS


def _hit(
    row: dict[str, Any],
    confidence: float,
    rank_score: float,
    vector_score: float | None = None,
    agreement: float | None = None,
) -> SearchHit:
    extra = {key: str(row[key]) for key in ("product", "visibility", "updated") if row.get(key)}
    extra["kind"] = chunk_kind(row)
    return SearchHit(
        doc_id=row["doc_id"],
        chunk_id=row["chunk_id"],
        title=row["title"],
        url=row.get("url"),
        category=row.get("category"),
        score=float(confidence),
        text=row["text"],
        heading_path=tuple(row.get("heading_path") or ()),
        source=row.get("source") or "",
        rank_score=float(rank_score),
        extra=extra,
        vector_score=vector_score,
        agreement=agreement,
    )


def chunk_kind(row: dict[str, Any]) -> str:
    """ "faq" for an FAQ entry (its text opens with its question, the title), else "passage".

    Callers need it because closeness means different things: a question matched against
    an FAQ's phrasings is question-to-question, against a passage question-to-prose.
    """
    text, title = str(row.get("text") or ""), str(row.get("title") or "")
    if not row.get("heading_path") and title and text.startswith(title + "\n"):
        return "faq"
    return "passage"
