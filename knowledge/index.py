"""The LanceDB table of chunks: schema, all-or-nothing writes, indexes, and raw retrieval.

One table, `chunks`, one row per embedded text: a chunk is row `variant = 0`; an FAQ's
alternate phrasings are rows `variant >= 1` with the same chunk_id, text and metadata but
their own vector. Full-text search reads only `variant = 0` rows, vector search reads all
and search keeps the best variant per chunk.

Writes are all-or-nothing. Ingest computes and embeds everything first; then one
`merge_insert` (keyed on chunk_id + variant) inserts new rows, updates matched ones and
deletes the old rows of replaced or pruned documents, in a single commit. Index upkeep
follows; if it fails, the table is restored to the version it had before the write, so a
failed ingest leaves the previous index searchable. (Were another process writing at the
same moment, its commit would be rolled back too: ingests are expected to run one at a time.)

Vector search strategy (measured on this 2-core machine, MiniLM vectors):
- Up to `memory_max_rows` (default 200,000) rows, vector search is exact, in memory: a
  numpy matrix product over a copy of the vectors kept per table version
  (knowledge.vector_snapshot), from `quantize_min_rows` (20,000) on preceded by an int8
  scan that picks the candidates with a proven error bound (knowledge.quantized_scan):
  2.6 ms at 100k rows against 9.4 for float32 alone on one core and 17-20 ms for the
  LanceDB query below, and recall@10 = 1. The hit columns are read from that copy
  too. Memory: 1.5 KB of vector per row plus the text; the process grew by 530 MB at 100k.
- Beyond it (or with `memory_max_rows=0`) LanceDB searches. Below `ann_threshold_rows`
  (default 10,000) there is no vector index: LanceDB's flat scan is exact.
- From the threshold on, an IVF_PQ index (cosine, 48 sub-vectors of 8 dims) is built, and
  queries use `nprobes` (20) and `refine_factor` (10): PQ codes pick `limit * refine`
  candidates whose full vectors are then re-scored exactly. At 100k chunks this gave
  recall@10 = 0.994-1.000 against exact search, with the visibility prefilter, at about
  20 ms per vector query under load. PQ without refine is what fails: recall@10 0.03-0.32
  on clustered vectors. New rows after the build are searched exactly until `optimize()`
  (run after every write) folds them into the index.
- Bitmap indexes on the filter columns and a B-tree on doc_id keep prefilters and deletes
  cheap (-6 ms per retriever at 100k).
(An earlier measurement under heavy load had the numpy product at 16 ms, no faster than
IVF_PQ; on an idle machine it is 3-4x faster, and the IVF_PQ path stays for big tables.)
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from knowledge.embedding import EMBEDDING_DIM
from knowledge.vector_snapshot import VectorSnapshot

if TYPE_CHECKING:
    from lancedb.table import Table

log = logging.getLogger(__name__)

# LanceDB's Rust core reads LANCEDB_LOG when it loads: quiet by default, still overridable.
os.environ.setdefault("LANCEDB_LOG", "error")

CHUNKS_TABLE = "chunks"
MIN_ROWS_FOR_IVF_PQ = 256  # PQ trains 256 centroids per sub-vector: fewer rows cannot train
FTS_COLUMNS = ("text", "context")
FILTER_COLUMNS = ("visibility", "category", "product", "variant")  # few distinct values
HIT_COLUMNS = [
    "chunk_id", "variant", "doc_id", "position", "text", "title", "heading_path", "url",
    "category", "product", "visibility", "source", "updated",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class IndexConfig:
    """Vector index knobs. The defaults gave recall@10 >= 0.99 vs exact at 100k chunks."""

    memory_max_rows: int = 200_000  # exact in-memory vector search up to here (0: never)
    # In-memory searches start with an int8 scan from here on (None: never); see
    # knowledge.quantized_scan. Below it a float32 product costs under 2 ms anyway.
    quantize_min_rows: int | None = 20_000
    ann_threshold_rows: int = 10_000
    nprobes: int = 20
    refine_factor: int = 10
    num_sub_vectors: int | None = 48  # 8 dims per PQ code: better codes than the default
    read_consistency: timedelta = timedelta(seconds=5)  # see other processes' ingests


class IndexKind(StrEnum):
    EMPTY = "empty"
    MEMORY = "memory"  # exact, numpy over an in-memory copy of the vectors
    FLAT = "flat"  # exact scan
    IVF_PQ = "ivf_pq"


class IndexWriteError(Exception):
    """Writing to the index failed; the previous version is still in place."""


@dataclass(frozen=True, slots=True)
class StoredDocument:
    doc_hash: str
    source: str


def chunk_schema(dim: int = EMBEDDING_DIM) -> pa.Schema:
    return pa.schema(
        [
            pa.field("chunk_id", pa.string(), nullable=False),
            pa.field("variant", pa.int16(), nullable=False),
            pa.field("doc_id", pa.string(), nullable=False),
            pa.field("position", pa.int32(), nullable=False),
            pa.field("text", pa.string(), nullable=False),
            pa.field("context", pa.string(), nullable=False),
            pa.field("title", pa.string(), nullable=False),
            pa.field("heading_path", pa.list_(pa.string())),
            pa.field("url", pa.string()),
            pa.field("category", pa.string()),
            pa.field("product", pa.string(), nullable=False),
            pa.field("visibility", pa.string(), nullable=False),
            pa.field("source", pa.string(), nullable=False),
            pa.field("updated", pa.string()),
            pa.field("content_hash", pa.string(), nullable=False),
            pa.field("doc_hash", pa.string(), nullable=False),
            pa.field("vector", pa.list_(pa.float32(), dim), nullable=False),
        ]
    )


def sql_string(value: str) -> str:
    """A SQL string literal; quotes are doubled, so any value is safe inside a filter."""
    return "'" + value.replace("'", "''") + "'"


def in_filter(column: str, values: Collection[str]) -> str:
    return f"{column} IN ({', '.join(sql_string(v) for v in sorted(values))})"


class ChunkIndex:
    """Opening is cheap: nothing is read until the first query or write."""

    def __init__(self, path: Path | str, config: IndexConfig | None = None) -> None:
        self.path = path
        self.config = config or IndexConfig()
        self._db: Any = None
        self._table: Table | None = None
        self._snapshot: VectorSnapshot | None = None
        self._oversized_version: int | None = None  # too many rows to hold at this version
        self._snapshot_lock = threading.Lock()

    # --- opening -----------------------------------------------------------------------
    def _connect(self) -> Any:
        if self._db is None:
            import lancedb  # here: importing it takes seconds, and opening must stay cheap

            self._db = lancedb.connect(
                str(self.path), read_consistency_interval=self.config.read_consistency
            )
        return self._db

    def table(self) -> Table | None:
        """The chunks table, or None while nothing was ever ingested (checked again each call)."""
        if self._table is None:
            db = self._connect()
            if CHUNKS_TABLE not in db.list_tables().tables:
                return None
            self._table = db.open_table(CHUNKS_TABLE)
        return self._table

    def _table_for_write(self) -> Table:
        table = self.table()
        if table is None:
            table = self._connect().create_table(CHUNKS_TABLE, schema=chunk_schema())
            self._table = table
        return table

    # --- reading -----------------------------------------------------------------------
    def scan(self, columns: Sequence[str], where: str | None = None) -> pa.Table:
        table = self.table()
        if table is None:
            return chunk_schema().empty_table().select(list(columns))
        query = table.search()
        if where:
            query = query.where(where)
        return query.select(list(columns)).limit(None).to_arrow()

    def documents(self) -> dict[str, StoredDocument]:
        """Every stored document's content hash and source: what ingest compares against."""
        rows = self.scan(["doc_id", "doc_hash", "source"], "variant = 0")
        docs: dict[str, StoredDocument] = {}
        for doc_id, doc_hash, source in zip(
            rows["doc_id"].to_pylist(),
            rows["doc_hash"].to_pylist(),
            rows["source"].to_pylist(),
            strict=True,
        ):
            docs.setdefault(doc_id, StoredDocument(doc_hash, source))
        return docs

    def vectors_by_hash(self, doc_ids: Collection[str]) -> dict[str, np.ndarray]:
        """Stored vectors of these documents by content hash, so unchanged texts are reused."""
        if not doc_ids:
            return {}
        rows = self.scan(["content_hash", "vector"], in_filter("doc_id", doc_ids))
        if rows.num_rows == 0:
            return {}
        matrix = np.asarray(
            rows["vector"].combine_chunks().flatten().to_numpy(zero_copy_only=False),
            dtype=np.float32,
        ).reshape(rows.num_rows, -1)
        return dict(zip(rows["content_hash"].to_pylist(), matrix, strict=True))

    def count_rows(self) -> int:
        table = self.table()
        return 0 if table is None else table.count_rows()

    def kind(self) -> IndexKind:
        table = self.table()
        if table is None or table.count_rows() == 0:
            return IndexKind.EMPTY
        if table.count_rows() <= self.config.memory_max_rows:
            return IndexKind.MEMORY
        return IndexKind.IVF_PQ if self._has_vector_index(table) else IndexKind.FLAT

    def last_changed(self) -> datetime | None:
        """When the table was last written (an ingest that changed nothing writes nothing)."""
        table = self.table()
        if table is None:
            return None
        stamp = table.list_versions()[-1]["timestamp"]
        return stamp if stamp.tzinfo else stamp.astimezone(UTC)

    # --- writing -----------------------------------------------------------------------
    def replace_documents(self, rows: pa.Table, replaced_doc_ids: Collection[str]) -> None:
        """In one commit: upsert `rows`, and delete other rows of `replaced_doc_ids`.

        Raises IndexWriteError with the table as it was before, if anything fails.
        """
        if rows.num_rows == 0 and not replaced_doc_ids:
            return
        table = self._table_for_write()
        before = table.version
        try:
            if rows.num_rows == 0:
                table.delete(in_filter("doc_id", replaced_doc_ids))
            else:
                merge = (
                    table.merge_insert(["chunk_id", "variant"])
                    .when_matched_update_all()
                    .when_not_matched_insert_all()
                )
                if replaced_doc_ids:
                    merge = merge.when_not_matched_by_source_delete(
                        in_filter("doc_id", replaced_doc_ids)
                    )
                merge.execute(rows.cast(chunk_schema()))
            self._maintain_indexes(table)
        except Exception as exc:
            self._roll_back(table, before)
            message = f"writing the index failed ({type(exc).__name__}: {exc})"
            raise IndexWriteError(message) from exc
        if self._snapshot is not None:
            # This process searches (a bot re-syncing on its schedule): load the new
            # version's copy now, so the next customer does not wait for it (1.2 s at 100k
            # rows). A process that never searched (`kb ingest`) skips it.
            self.vector_snapshot()

    @staticmethod
    def _roll_back(table: Table, before: int) -> None:
        """Make `before` the latest version again (ingests are expected to run one at a time)."""
        try:
            table.checkout_latest()
            if table.version != before:
                table.restore(before)
                log.warning("index write failed; restored the index to version %s", before)
        except Exception:  # the write error is the one worth reporting
            log.exception("could not restore the index to version %s", before)

    def _maintain_indexes(self, table: Table) -> None:
        from lancedb.index import FTS, Bitmap, BTree, IvfPq

        indexed = {tuple(index.columns) for index in table.list_indices()}
        for column in FTS_COLUMNS:
            if (column,) not in indexed:
                table.create_index(column, config=FTS(), replace=True)
        # Scalar indexes make the prefilters cheap (about -6 ms per retriever at 100k rows)
        # and let deletes by doc_id find their rows without a scan.
        for column in FILTER_COLUMNS:
            if (column,) not in indexed:
                table.create_index(column, config=Bitmap(), replace=True)
        if ("doc_id",) not in indexed:
            table.create_index("doc_id", config=BTree(), replace=True)
        threshold = max(self.config.ann_threshold_rows, MIN_ROWS_FOR_IVF_PQ)
        if ("vector",) not in indexed and table.count_rows() >= threshold:
            table.create_index(
                "vector",
                config=IvfPq(distance_type="cosine", num_sub_vectors=self.config.num_sub_vectors),
            )
        else:
            table.optimize()

    @staticmethod
    def _has_vector_index(table: Table) -> bool:
        return any(tuple(index.columns) == ("vector",) for index in table.list_indices())

    # --- retrieval ---------------------------------------------------------------------
    def vector_snapshot(self) -> VectorSnapshot | None:
        """The in-memory vectors of the current table version, or None where LanceDB searches.

        Rebuilt when the version moved (an ingest here or, within `read_consistency`, in
        another process); a search holding the previous snapshot finishes with it.
        """
        table = self.table()
        if table is None or self.config.memory_max_rows <= 0:
            return None
        version = table.version
        if version == self._oversized_version:
            return None
        snapshot = self._snapshot
        if snapshot is None or snapshot.version != version:
            with self._snapshot_lock:
                snapshot = self._snapshot
                if version == self._oversized_version:
                    return None
                if snapshot is None or snapshot.version != version:
                    snapshot = self._load_snapshot(table, version)
                    self._snapshot = snapshot
        return snapshot

    def _load_snapshot(self, table: Table, version: int) -> VectorSnapshot | None:
        rows_now = table.count_rows()
        if rows_now > self.config.memory_max_rows:
            log.info("%s rows, over memory_max_rows: LanceDB searches the vectors", rows_now)
            self._oversized_version = version
            return None
        columns = [*HIT_COLUMNS, "vector"]
        rows = table.search().select(columns).with_row_id(True).limit(None).to_arrow()
        return VectorSnapshot.from_arrow(
            version, rows, HIT_COLUMNS, quantize_min_rows=self.config.quantize_min_rows
        )

    def take_rows(self, row_ids: Sequence[int]) -> list[dict[str, Any]]:
        """Hit columns of rows by LanceDB row id (ids from the current version's snapshot)."""
        table = self.table()
        if table is None or not row_ids:
            return []
        return table.take_row_ids([int(r) for r in row_ids]).select(HIT_COLUMNS).to_list()

    def rows_by_chunk(self, chunk_ids: Collection[str]) -> list[dict[str, Any]]:
        """Hit columns of these chunks (variant 0): the fallback when row ids went stale."""
        if not chunk_ids:
            return []
        where = f"{in_filter('chunk_id', chunk_ids)} AND variant = 0"
        return self.scan(HIT_COLUMNS, where).to_pylist()

    def vector_search(self, vector: np.ndarray, where: str, limit: int) -> list[dict[str, Any]]:
        """Nearest rows by cosine, filtered inside the query; adds `_distance` (1 - cosine)."""
        table = self.table()
        if table is None:
            return []
        query = (
            table.search(vector, vector_column_name="vector")
            .distance_type("cosine")
            .nprobes(self.config.nprobes)
            .refine_factor(self.config.refine_factor)
            .select([*HIT_COLUMNS, "_distance"])
            .limit(limit)
        )
        if where:
            query = query.where(where, prefilter=True)
        return query.to_list()

    def text_search(self, text: str, where: str, limit: int) -> list[dict[str, Any]]:
        """BM25 over chunk text and its 'title > headings' context.

        Returns only chunk_id, doc_id, `_score` and `_rowid`: search reads the full rows of
        the few winners afterwards, which keeps this query (run beside the query embedding)
        light on I/O and on the GIL.
        """
        from lancedb.query import MultiMatchQuery

        table = self.table()
        if table is None:
            return []
        query = (
            table.search(MultiMatchQuery(text, list(FTS_COLUMNS)), query_type="fts")
            .where(f"({where}) AND variant = 0" if where else "variant = 0", prefilter=True)
            .select(["chunk_id", "doc_id", "_score"])
            .with_row_id(True)
            .limit(limit)
        )
        return query.to_list()


def rows_table(rows: Sequence[Mapping[str, object]]) -> pa.Table:
    """Rows (each with a numpy `vector`) as an Arrow table of the chunk schema."""
    schema = chunk_schema()
    if not rows:
        return schema.empty_table()
    vectors = np.stack([np.asarray(row["vector"], dtype=np.float32) for row in rows])
    plain_schema = pa.schema([f for f in schema if f.name != "vector"])
    plain = [{name: row.get(name) for name in plain_schema.names} for row in rows]
    table = pa.Table.from_pylist(plain, schema=plain_schema)
    column = pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), vectors.shape[1])
    return table.append_column(schema.field("vector"), column)
