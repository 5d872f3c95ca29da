"""Directory trees and single files on disk: the `Loader` the CLI and `sync` use.

doc_id of a file = its path relative to the ingested root, with '/' separators and its
extension (`billing/refunds.md`); for a single file given directly, the root is its folder,
so the doc_id is its file name. Ids are therefore stable across machines and checkouts as
long as the same root is ingested. Record files (`.jsonl`, `.csv`) give each record its own
`id` instead. Hidden files and folders (`.git`, `.DS_Store`) and packaging or OS litter
(`__pycache__`, `__init__.py`, `Thumbs.db`, Office lock files) are skipped silently; every
other file is either read or reported (unsupported type, too big, unreadable).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from knowledge.loaders.document import Loaded, LoadError
from knowledge.loaders.html import HtmlReader
from knowledge.loaders.markdown import MarkdownReader
from knowledge.loaders.pdf import PdfTextReader
from knowledge.loaders.protocols import FileReader, FileRef, ItemFailure
from knowledge.loaders.records import RecordReader
from knowledge.loaders.text import TextReader

DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024
IGNORED_DIRS = frozenset({"__pycache__", "node_modules"})
IGNORED_FILES = ("__init__.py", "*.pyc", "Thumbs.db", "desktop.ini", "~$*")
DEFAULT_READERS: tuple[FileReader, ...] = (
    MarkdownReader(),
    TextReader(),
    HtmlReader(),
    PdfTextReader(),
    RecordReader(),
)


def source_of(path: Path) -> str:
    """The stored `source` of a file: its absolute path, '/'-separated."""
    return path.resolve().as_posix()


@dataclass(frozen=True, slots=True)
class FileItem:
    """One file of a tree, read by the reader its extension selects."""

    file: FileRef
    reader: FileReader
    max_bytes: int

    @property
    def source(self) -> str:
        return self.file.source

    def load(self) -> Loaded:
        try:
            size = self.file.path.stat().st_size
        except OSError as exc:
            raise LoadError(f"cannot read the file ({exc.strerror or exc})") from None
        if size > self.max_bytes:
            raise LoadError(
                f"file is {_size(size)}, above the {_size(self.max_bytes)} limit for one file "
                "(max_file_bytes); split it or raise the limit"
            )
        try:
            data = self.file.path.read_bytes()
        except OSError as exc:
            raise LoadError(f"cannot read the file ({exc.strerror or exc})") from None
        return self.reader.read(self.file, data)


class FileTreeLoader:
    """Files and directory trees given as paths; each directory is a root for doc_ids."""

    def __init__(
        self,
        paths: Sequence[Path],
        *,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        readers: Sequence[FileReader] = DEFAULT_READERS,
    ) -> None:
        self._paths = [Path(p).expanduser() for p in paths]
        self._max_bytes = max_file_bytes
        self._by_suffix = {s: r for r in readers for s in r.suffixes}

    @property
    def supported_suffixes(self) -> list[str]:
        return sorted(self._by_suffix)

    def items(self) -> Iterator[FileItem | ItemFailure]:
        for path in self._paths:
            if path.is_dir():
                root = path.resolve()
                for file in _walk(root):
                    yield self._item(file, root)
            elif path.is_file():
                yield self._item(path.resolve(), path.resolve().parent)
            else:
                yield ItemFailure(
                    source_of(path), "no such file or directory", protects=_prefix(path)
                )

    def covers(self, source: str) -> bool:
        for path in self._paths:
            root = source_of(path)
            if source == root or source.startswith(root.rstrip("/") + "/"):
                return True
        return False

    def _item(self, file: Path, root: Path) -> FileItem | ItemFailure:
        reader = self._by_suffix.get(file.suffix.lower())
        source = source_of(file)
        if reader is None:
            kind = file.suffix or "(no extension)"
            return ItemFailure(
                source,
                f"unsupported file type {kind}; supported: {', '.join(self.supported_suffixes)}",
            )
        doc_id = file.relative_to(root).as_posix()
        return FileItem(FileRef(file, doc_id, source), reader, self._max_bytes)


def _walk(root: Path) -> Iterator[Path]:
    """Files under root in a stable order, hidden entries skipped."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in IGNORED_DIRS)
        for name in sorted(files):
            if not name.startswith(".") and not any(
                fnmatch.fnmatch(name, pattern) for pattern in IGNORED_FILES
            ):
                yield Path(folder) / name


def _size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.1f} MB".replace(".0 MB", " MB")
    if n >= 1024:
        return f"{n / 1024:.1f} KB".replace(".0 KB", " KB")
    return f"{n} bytes"


def _prefix(path: Path) -> str:
    return source_of(path).rstrip("/") + "/"
