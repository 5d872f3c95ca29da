"""`KnowledgeBase`: the one object the bot, the CLI and evaluation scripts use.

It composes the pieces (loaders, chunker, LanceDB index, embedder, hybrid search) and keeps
opening cheap: no model is loaded and no table is read until a call needs it, so the bot
can start, and `kb stats` can answer, without paying for the model.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from knowledge.chunking import DEFAULT_CHUNK_CHARS, Chunker
from knowledge.embedding import MODEL_NAME, Embedder, load_embedder
from knowledge.fusion import FusionConfig
from knowledge.index import ChunkIndex, IndexConfig
from knowledge.ingest import Ingestor, IngestReport, ProgressCallback, PruneScope
from knowledge.loaders import DEFAULT_MAX_FILE_BYTES, FileTreeLoader
from knowledge.search import DEFAULT_CANDIDATE_POOL, HybridSearcher, SearchFilters
from knowledge.types import SearchHit

EXPORT_COLUMNS = [
    "chunk_id", "doc_id", "position", "title", "heading_path", "text", "url", "category",
    "product", "visibility", "source", "updated", "content_hash",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class KnowledgeConfig:
    """Knobs beyond chunk size; the defaults are the measured, documented choices."""

    index: IndexConfig = field(default_factory=IndexConfig)
    candidate_pool: int = DEFAULT_CANDIDATE_POOL  # per retriever, before fusion
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # larger files are skipped with a message
    overlap_chars: int | None = None  # None: min(200, chunk_chars // 8)


@dataclass(frozen=True, slots=True)
class KnowledgeStats:
    documents: int
    chunks: int
    categories: dict[str, int]  # documents per category
    sources: int  # distinct files (or other sources) the documents came from
    last_ingest: datetime | None  # when an ingest last changed the index
    index_kind: str  # "empty", "memory" (exact, in memory), "flat" (exact scan) or "ivf_pq"
    path: str

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["last_ingest"] = self.last_ingest.isoformat() if self.last_ingest else None
        return data


class KnowledgeBase:
    """Ingest documents into a LanceDB directory and search them (hybrid, filtered)."""

    def __init__(
        self,
        path: Path,
        *,
        chunk_chars: int = DEFAULT_CHUNK_CHARS,
        embedder: Embedder | None = None,
        fusion: FusionConfig | None = None,
        config: KnowledgeConfig | None = None,
    ) -> None:
        self.path = Path(path)
        self.config = config or KnowledgeConfig()
        self._chunker = Chunker(chunk_chars, self.config.overlap_chars)
        self._embedder = embedder
        self._embedder_lock = threading.Lock()
        self._index = ChunkIndex(self.path, self.config.index)
        self._searcher = HybridSearcher(self._index, fusion, self.config.candidate_pool)

    @property
    def index(self) -> ChunkIndex:
        """The LanceDB index underneath, for diagnostics and benchmarks (raw retrievers)."""
        return self._index

    @property
    def embedder(self) -> Embedder:
        """The embedder, loaded on first use (seconds, once per process)."""
        if self._embedder is None:
            with self._embedder_lock:
                if self._embedder is None:
                    self._embedder = load_embedder()
        return self._embedder

    # --- ingest ------------------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[Path],
        *,
        category: str | None = None,
        prune: bool = False,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Add or update documents from files and directory trees.

        `category` applies to documents without their own. With `prune`, documents whose
        file lies under these paths but is gone are removed (other sources are untouched).
        Raises IngestAborted when embedding or writing fails; the index is then unchanged.
        """
        scope = PruneScope.COVERED if prune else PruneScope.NONE
        return self._ingest(paths, category=category, prune=scope, progress=progress)

    def sync(
        self, sources: Sequence[Path | str], *, progress: ProgressCallback | None = None
    ) -> IngestReport:
        """Make the index mirror exactly these sources: ingest all, prune everything else.

        Idempotent: a second sync with nothing changed embeds and writes nothing.
        """
        if not sources:
            raise ValueError("sync needs at least one source; an empty list would prune all")
        return self._ingest(
            [Path(s) for s in sources], category=None, prune=PruneScope.ALL, progress=progress
        )

    def _ingest(
        self,
        paths: Sequence[Path],
        *,
        category: str | None,
        prune: PruneScope,
        progress: ProgressCallback | None,
    ) -> IngestReport:
        loader = FileTreeLoader(paths, max_file_bytes=self.config.max_file_bytes)
        model_name = self._embedder.name if self._embedder is not None else MODEL_NAME
        ingestor = Ingestor(self._index, self._chunker, lambda: self.embedder, model_name)
        return ingestor.run([loader], category=category, prune=prune, progress=progress)

    # --- search ------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        k: int = 5,
        category: str | None = None,
        product: str | None = None,
        include_internal: bool = False,
        per_doc: bool = True,
    ) -> list[SearchHit]:
        """The k best passages for a query; `score` is the fused confidence in [0, 1].

        The query is embedded while the full-text search runs (it needs no vector), which
        takes the embedding off the critical path of a single search.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        text = query.strip() if query else ""
        if not text or self._index.table() is None:
            return []
        return self._searcher.search(
            text,
            lambda: self.embedder.embed([text], cache=True)[0],
            SearchFilters(category, product, include_internal),
            k=k,
            per_doc=per_doc,
        )

    def search_many(
        self,
        queries: Sequence[str],
        *,
        k: int = 5,
        category: str | None = None,
        product: str | None = None,
        include_internal: bool = False,
        per_doc: bool = True,
    ) -> list[list[SearchHit]]:
        """Like search for each query, embedding all of them in one batch."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        results: list[list[SearchHit]] = [[] for _ in queries]
        wanted = [i for i, q in enumerate(queries) if q and q.strip()]
        if not wanted or self._index.table() is None:
            return results
        vectors = self.embedder.embed([queries[i].strip() for i in wanted], cache=True)
        filters = SearchFilters(category, product, include_internal)
        for i, vector in zip(wanted, vectors, strict=True):
            results[i] = self._searcher.search(
                queries[i].strip(), vector, filters, k=k, per_doc=per_doc
            )
        return results

    async def asearch(self, query: str, **kwargs: Any) -> list[SearchHit]:
        """search() in a worker thread, so the event loop keeps serving other chats."""
        return await asyncio.to_thread(self.search, query, **kwargs)

    # --- inspection --------------------------------------------------------------------
    def stats(self) -> KnowledgeStats:
        rows = self._index.scan(["doc_id", "category", "source"], "variant = 0")
        doc_categories = dict(
            zip(rows["doc_id"].to_pylist(), rows["category"].to_pylist(), strict=True)
        )
        categories = Counter(c for c in doc_categories.values() if c)
        return KnowledgeStats(
            documents=len(doc_categories),
            chunks=rows.num_rows,
            categories=dict(sorted(categories.items())),
            sources=len(pc.unique(rows["source"])) if rows.num_rows else 0,
            last_ingest=self._index.last_changed(),
            index_kind=str(self._index.kind()),
            path=str(self.path),
        )

    def categories(self) -> list[str]:
        rows = self._index.scan(["category"], "variant = 0 AND category IS NOT NULL")
        return sorted(set(rows["category"].to_pylist()))

    def is_empty(self) -> bool:
        return self._index.count_rows() == 0

    def export(self) -> Iterator[dict[str, Any]]:
        """Every chunk with its metadata (no vector), ordered by document and position."""
        rows = self._index.scan(EXPORT_COLUMNS, "variant = 0")
        rows = rows.sort_by([("doc_id", "ascending"), ("position", "ascending")])
        for batch in rows.to_batches(max_chunksize=1000):
            yield from batch.to_pylist()
