"""A standalone retrieval library: load docs, chunk by headings, index in LanceDB, search
hybrid (vectors + full text, fused) with metadata filters. Imports nothing from `bot` or
`adapters`.

Importing this package is cheap: the embedding model loads on first use.
"""

from knowledge.base import KnowledgeBase, KnowledgeConfig, KnowledgeStats
from knowledge.index import IndexConfig, IndexKind, IndexWriteError
from knowledge.ingest import IngestAborted, IngestReport, ProgressCallback, Stage
from knowledge.types import SearchHit, Visibility

__all__ = [
    "IndexConfig",
    "IndexKind",
    "IndexWriteError",
    "IngestAborted",
    "IngestReport",
    "KnowledgeBase",
    "KnowledgeConfig",
    "KnowledgeStats",
    "ProgressCallback",
    "SearchHit",
    "Stage",
    "Visibility",
]
