"""Plain-text files, and the byte-to-text decoding every text format shares.

Decoding policy (chosen so a legacy export is still searchable rather than dropped):
UTF-8 (a BOM is honoured, also UTF-16 with a BOM); otherwise Windows-1252, and failing
that Latin-1, each with a warning in the ingest report naming the encoding used.
A file with NUL bytes or mostly control characters is rejected as binary, whatever its
extension says.
"""

from __future__ import annotations

import codecs

from knowledge.loaders.document import DocFormat, Document, Loaded, LoadError
from knowledge.loaders.protocols import FileRef

_SNIFF_BYTES = 8192
_CONTROL_OK = {"\t", "\n", "\r", "\f"}


def decode_text(data: bytes) -> tuple[str, str | None]:
    """Return (text, warning or None); raise LoadError for empty or binary content."""
    if not data.strip():
        raise LoadError("empty file")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), None
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise LoadError("looks like a binary file (contains NUL bytes), not text")
    try:
        text, warning = data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        text, warning = _decode_legacy(data, exc)
    sample = text[:_SNIFF_BYTES]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in _CONTROL_OK)
    if controls > len(sample) * 0.05:
        raise LoadError("looks like a binary file (mostly control characters), not text")
    if not text.strip():
        raise LoadError("empty file")
    return text, warning


def _decode_legacy(data: bytes, exc: UnicodeDecodeError) -> tuple[str, str]:
    where = f"byte {exc.start}"
    try:
        return data.decode("cp1252"), f"not valid UTF-8 (at {where}); decoded as Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), f"not valid UTF-8 (at {where}); decoded as Latin-1"


def title_from_filename(file: FileRef) -> str:
    """'getting-started.txt' -> 'Getting started': the fallback title for any file."""
    words = file.path.stem.replace("_", " ").replace("-", " ").split()
    text = " ".join(words) or file.path.name
    return text[:1].upper() + text[1:]


class TextReader:
    """`.txt` files: one document titled after the file name, split by paragraphs."""

    suffixes = (".txt", ".text")

    def read(self, file: FileRef, data: bytes) -> Loaded:
        text, warning = decode_text(data)
        doc = Document(
            doc_id=file.doc_id,
            title=title_from_filename(file),
            body=text,
            format=DocFormat.TEXT,
            source=file.source,
        )
        return Loaded(documents=[doc], warnings=[warning] if warning else [])
