"""What every loader produces: documents before chunking, and per-item problems.

A loader never raises for bad input it can describe: it raises `LoadError` (nothing in the
item was usable) or returns `Loaded` with the usable documents and a note per skipped part,
so one bad file never stops an ingest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from knowledge.types import Visibility


class DocFormat(StrEnum):
    """How the chunker reads a document's body."""

    MARKDOWN = "markdown"  # headings split it into sections (HTML is converted to this)
    TEXT = "text"  # no structure: paragraphs and sentences only (plain text, PDF)
    FAQ = "faq"  # one question with its answer: never split


@dataclass(frozen=True, slots=True)
class Document:
    """One unit of knowledge as found at its source, with the metadata chunks inherit.

    `doc_id` is the id citations and search results use: a record's own `id`, or for a
    file its path relative to the ingested root (see knowledge/loaders/files.py).
    `source` says where it was read from (an absolute file path today, a URL later) and is
    what a scoped prune compares against.
    """

    doc_id: str
    title: str
    body: str
    format: DocFormat
    source: str
    url: str | None = None
    category: str | None = None
    updated: str | None = None  # ISO date
    product: str = "all"  # "all" matches a search for any product
    visibility: Visibility = Visibility.PUBLIC
    questions: tuple[str, ...] = ()  # FAQ only: alternate phrasings of the title question


class LoadError(Exception):
    """Nothing usable in one source item; the message is one line for the ingest report."""


@dataclass(slots=True)
class Loaded:
    """What one source item yielded: documents, plus what was skipped inside it and why."""

    documents: list[Document] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # parts skipped (e.g. bad records)
    warnings: list[str] = field(default_factory=list)  # used, but worth telling (encoding)
    kept_doc_ids: set[str] = field(default_factory=set)  # skipped ids: keep their old version
