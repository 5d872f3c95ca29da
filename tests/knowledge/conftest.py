"""Fixtures for the knowledge-base tests: tiny corpora written per test, real LanceDB
directories under tmp_path, and the real embedding model (loaded once per session)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge.embedding import Embedder

WriteFile = Callable[[str, str | bytes], Path]


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """An empty directory to build a corpus in."""
    root = tmp_path / "docs"
    root.mkdir()
    return root


@pytest.fixture
def write(docs: Path) -> WriteFile:
    """write("billing/refunds.md", text) creates the file (and folders) under `docs`."""

    def _write(relative: str, content: str | bytes) -> Path:
        path = docs / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def make_kb(tmp_path: Path, embedder: Embedder) -> Callable[..., KnowledgeBase]:
    """A KnowledgeBase in its own LanceDB directory, sharing the session's real model."""

    def _make(name: str = "lancedb", **kwargs: object) -> KnowledgeBase:
        return KnowledgeBase(tmp_path / name, embedder=embedder, **kwargs)

    return _make


def minimal_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF whose text layer holds `lines` (no PDF writer library needed)."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    shows = " ".join(f"({escape(line)}) Tj 0 -16 Td" for line in lines)
    content = f"BT /F1 12 Tf 72 720 Td {shows} ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return out


@pytest.fixture
def pdf_bytes() -> Callable[[list[str]], bytes]:
    return minimal_pdf
