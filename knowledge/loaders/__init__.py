"""Loaders: where documents come from (`Loader`) and how each file format is read
(`FileReader`). See protocols.py for how to add a website or helpdesk source."""

from knowledge.loaders.document import DocFormat, Document, Loaded, LoadError
from knowledge.loaders.files import DEFAULT_MAX_FILE_BYTES, FileTreeLoader, source_of
from knowledge.loaders.protocols import FileReader, FileRef, ItemFailure, Loader, SourceItem

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "DocFormat",
    "Document",
    "FileReader",
    "FileRef",
    "FileTreeLoader",
    "ItemFailure",
    "LoadError",
    "Loaded",
    "Loader",
    "SourceItem",
    "source_of",
]
