"""Ingest: read sources, chunk, compare with the index, embed only what changed, write once.

The order matters for the two promises ingest makes:
- Unchanged content is never re-embedded: every document gets a hash of all its rows
  (text, metadata, and the name of the embedding model); a document whose hash is already
  stored is skipped before anything is embedded, and inside a changed document, texts whose
  vector is already stored are reused.
- A failed ingest never leaves the index half-written: everything is loaded and embedded in
  memory first, and written in one commit (see ChunkIndex.replace_documents). Bad files are
  reported per file and skipped; they never stop the others.

Prune removes documents that were not seen in this ingest, but never those of a source that
failed to load (a file that became unreadable keeps its previous version until it is fixed
or deleted), nor records skipped for an error.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

from knowledge.chunking import Chunk, Chunker
from knowledge.embedding import Embedder
from knowledge.index import ChunkIndex, StoredDocument, rows_table
from knowledge.loaders import Document, ItemFailure, Loader, LoadError, SourceItem
from knowledge.loaders.metadata import normalize_label

EMBED_BATCH = 256  # texts per progress step; the embedder batches further inside


class Stage(StrEnum):
    READING = "reading"
    EMBEDDING = "embedding"
    WRITING = "writing"


class ProgressCallback(Protocol):
    """Told how far each stage is; the CLI draws a progress bar, a job may log or ignore it."""

    def __call__(self, stage: Stage, done: int, total: int) -> None: ...


class PruneScope(StrEnum):
    NONE = "none"
    COVERED = "covered"  # documents whose source lies under the ingested paths
    ALL = "all"  # everything not seen: the index mirrors exactly these sources


@dataclass(slots=True)
class IngestReport:
    """What an ingest did. `errors` and `warnings` are (source, one-line message) pairs."""

    documents_added: int = 0
    documents_updated: int = 0
    documents_removed: int = 0
    documents_unchanged: int = 0
    chunks_embedded: int = 0  # texts embedded: chunks, plus FAQ alternate phrasings
    chunks_written: int = 0  # chunks (not phrasings) written to the index
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def documents_loaded(self) -> int:
        """Documents read successfully this time, changed or not."""
        return self.documents_added + self.documents_updated + self.documents_unchanged

    def summary(self) -> str:
        errors = f"{len(self.errors)} error{'s' if len(self.errors) != 1 else ''}"
        return (
            f"{self.documents_loaded} documents ({self.documents_added} added, "
            f"{self.documents_updated} updated, {self.documents_unchanged} unchanged), "
            f"{self.documents_removed} removed; {self.chunks_embedded} embedded, "
            f"{self.chunks_written} chunks written; {errors}; {self.seconds:.1f} s"
        )


class IngestAborted(Exception):
    """Embedding or writing failed; nothing was written, the previous index is in place."""

    def __init__(self, message: str, report: IngestReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass(slots=True)
class _Protections:
    """What a prune must keep because we could not see whether it still exists."""

    sources: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    doc_ids: set[str] = field(default_factory=set)

    def keeps(self, doc_id: str, stored: StoredDocument) -> bool:
        return (
            doc_id in self.doc_ids
            or stored.source in self.sources
            or any(stored.source.startswith(p) for p in self.prefixes)
        )


@dataclass(slots=True)
class _PlannedDoc:
    doc_id: str
    rows: list[dict[str, object]]
    doc_hash: str
    chunks: int


class Ingestor:
    """Runs one ingest against a ChunkIndex; the embedder is asked for only if needed."""

    def __init__(
        self,
        index: ChunkIndex,
        chunker: Chunker,
        embedder: Callable[[], Embedder],
        model_name: str,
    ) -> None:
        self._index = index
        self._chunker = chunker
        self._embedder = embedder
        self._model_name = model_name

    def run(
        self,
        loaders: Sequence[Loader],
        *,
        category: str | None = None,
        prune: PruneScope = PruneScope.NONE,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        notify = progress or _no_progress
        protections = _Protections()
        documents = self._read(loaders, normalize_label(category), report, protections, notify)

        stored = self._index.documents()
        planned = [self._plan(doc, chunks) for doc, chunks in documents]
        changed: list[_PlannedDoc] = []
        for plan in planned:
            previous = stored.get(plan.doc_id)
            if previous is None:
                report.documents_added += 1
                changed.append(plan)
            elif previous.doc_hash != plan.doc_hash:
                report.documents_updated += 1
                changed.append(plan)
            else:
                report.documents_unchanged += 1
        seen = {plan.doc_id for plan in planned}
        removed = self._to_prune(stored, seen, prune, loaders, protections)
        report.documents_removed = len(removed)

        updated_ids = {p.doc_id for p in changed if p.doc_id in stored}
        rows = [row for plan in changed for row in plan.rows]
        try:
            report.chunks_embedded = self._attach_vectors(rows, updated_ids, notify)
            notify(Stage.WRITING, 0, 1)
            self._index.replace_documents(rows_table(rows), updated_ids | removed)
            notify(Stage.WRITING, 1, 1)
        except Exception as exc:
            report.seconds = time.perf_counter() - started
            raise IngestAborted(
                f"ingest aborted, the index is unchanged: {type(exc).__name__}: {exc}", report
            ) from exc
        report.chunks_written = sum(p.chunks for p in changed)
        report.seconds = time.perf_counter() - started
        return report

    # --- reading -----------------------------------------------------------------------
    def _read(
        self,
        loaders: Sequence[Loader],
        category: str | None,
        report: IngestReport,
        protections: _Protections,
        notify: ProgressCallback,
    ) -> list[tuple[Document, list[Chunk]]]:
        items: list[SourceItem] = []
        for loader in loaders:
            for item in loader.items():
                if isinstance(item, ItemFailure):
                    report.errors.append((item.source, item.message))
                    if item.protects:
                        protections.prefixes.add(item.protects)
                    protections.sources.add(item.source)
                else:
                    items.append(item)
        documents: list[tuple[Document, list[Chunk]]] = []
        origin: dict[str, str] = {}
        for done, item in enumerate(items):
            notify(Stage.READING, done, len(items))
            for doc in self._load(item, report, protections):
                if category and doc.category is None:
                    doc = replace(doc, category=category)
                if doc.doc_id in origin:
                    report.errors.append(
                        (
                            doc.source,
                            f"doc_id {doc.doc_id!r} already came from "
                            f"{origin[doc.doc_id]}; this one was skipped",
                        )
                    )
                    continue
                chunks = self._chunker.chunk(doc)
                if not chunks:
                    report.errors.append((doc.source, f"{doc.doc_id!r} has no text to index"))
                    protections.doc_ids.add(doc.doc_id)
                    continue
                origin[doc.doc_id] = doc.source
                documents.append((doc, chunks))
        notify(Stage.READING, len(items), len(items))
        return documents

    @staticmethod
    def _load(
        item: SourceItem, report: IngestReport, protections: _Protections
    ) -> Iterable[Document]:
        try:
            loaded = item.load()
        except LoadError as exc:
            report.errors.append((item.source, str(exc)))
            protections.sources.add(item.source)
            return []
        except Exception as exc:  # a reader bug must not stop the other files
            report.errors.append((item.source, f"could not be read ({type(exc).__name__}: {exc})"))
            protections.sources.add(item.source)
            return []
        report.warnings.extend((item.source, message) for message in loaded.warnings)
        report.errors.extend((item.source, message) for message in loaded.problems)
        protections.doc_ids |= loaded.kept_doc_ids
        return loaded.documents

    # --- planning ----------------------------------------------------------------------
    def _plan(self, doc: Document, chunks: list[Chunk]) -> _PlannedDoc:
        rows: list[dict[str, object]] = []
        digest = hashlib.sha256(self._model_name.encode())
        for chunk in chunks:
            for variant, embed_text in enumerate(chunk.embed_texts):
                row: dict[str, object] = {
                    "chunk_id": chunk.chunk_id,
                    "variant": variant,
                    "doc_id": chunk.doc_id,
                    "position": chunk.position,
                    "text": chunk.text,
                    "context": chunk.context,
                    "title": chunk.title,
                    "heading_path": list(chunk.heading_path),
                    "url": chunk.url,
                    "category": chunk.category,
                    "product": chunk.product,
                    "visibility": str(chunk.visibility),
                    "source": chunk.source,
                    "updated": chunk.updated,
                    "content_hash": self._text_hash(embed_text),
                }
                digest.update(json.dumps(row, sort_keys=True).encode())
                row["_embed_text"] = embed_text
                rows.append(row)
        doc_hash = digest.hexdigest()[:32]
        for row in rows:
            row["doc_hash"] = doc_hash
        return _PlannedDoc(doc.doc_id, rows, doc_hash, len(chunks))

    def _text_hash(self, text: str) -> str:
        """Identifies a vector: same model, same text, same vector."""
        return hashlib.sha256(f"{self._model_name}\x00{text}".encode()).hexdigest()[:32]

    @staticmethod
    def _to_prune(
        stored: dict[str, StoredDocument],
        seen: set[str],
        prune: PruneScope,
        loaders: Sequence[Loader],
        protections: _Protections,
    ) -> set[str]:
        if prune is PruneScope.NONE:
            return set()
        removed: set[str] = set()
        for doc_id, doc in stored.items():
            if doc_id in seen or protections.keeps(doc_id, doc):
                continue
            if prune is PruneScope.ALL or any(loader.covers(doc.source) for loader in loaders):
                removed.add(doc_id)
        return removed

    # --- embedding ---------------------------------------------------------------------
    def _attach_vectors(
        self, rows: list[dict[str, object]], updated_ids: set[str], notify: ProgressCallback
    ) -> int:
        """Give every row a vector, reusing stored ones; returns how many texts were embedded."""
        known = self._index.vectors_by_hash(updated_ids)
        missing: dict[str, str] = {}
        for row in rows:
            key = str(row["content_hash"])
            if key not in known:
                missing.setdefault(key, str(row["_embed_text"]))
        if missing:
            embedder = self._embedder()
            keys, texts = list(missing), list(missing.values())
            for start in range(0, len(texts), EMBED_BATCH):
                notify(Stage.EMBEDDING, start, len(texts))
                vectors = embedder.embed(texts[start : start + EMBED_BATCH])
                known.update(zip(keys[start : start + EMBED_BATCH], vectors, strict=True))
            notify(Stage.EMBEDDING, len(texts), len(texts))
        for row in rows:
            del row["_embed_text"]
            row["vector"] = known[str(row["content_hash"])]
        return len(missing)


def _no_progress(stage: Stage, done: int, total: int) -> None:
    return None
