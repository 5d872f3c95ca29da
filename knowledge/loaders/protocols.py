"""The two seams for new kinds of knowledge: a `Loader` (where documents come from) and a
`FileReader` (how one file format becomes documents).

Today there is one Loader, `FileTreeLoader`, over directory trees and single files. A website
crawler or a helpdesk export would be another Loader: it lists `SourceItem`s (pages,
articles) cheaply, and each item loads on its own so one failure is reported and skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from knowledge.loaders.document import Loaded


@dataclass(frozen=True, slots=True)
class ItemFailure:
    """An item that could not even be listed or opened (missing path, unsupported type).

    `protects` is a stored `source` (or a source prefix ending in "/") whose documents must
    survive a prune, because we could not see whether they still exist.
    """

    source: str
    message: str
    protects: str | None = None


class SourceItem(Protocol):
    """One loadable thing: a file, a web page, a helpdesk article."""

    @property
    def source(self) -> str:
        """Where its documents come from; stored with every chunk."""
        ...

    def load(self) -> Loaded:
        """Read it; raise LoadError (one-line message) when nothing in it is usable."""
        ...


class Loader(Protocol):
    """Where documents come from: lists items cheaply so ingest can show progress."""

    def items(self) -> Iterable[SourceItem | ItemFailure]: ...

    def covers(self, source: str) -> bool:
        """Whether a stored `source` belongs to this loader (what a scoped prune may remove)."""
        ...


@dataclass(frozen=True, slots=True)
class FileRef:
    """A file being read: its path, the doc_id a single-document file gets, and its source."""

    path: Path
    doc_id: str
    source: str


class FileReader(Protocol):
    """Turns one file format into documents; `data` is the whole file, already size-checked."""

    suffixes: tuple[str, ...]

    def read(self, file: FileRef, data: bytes) -> Loaded: ...
