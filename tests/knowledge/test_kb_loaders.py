"""Loaders read each supported format into documents with the right ids and metadata."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from knowledge.loaders import DocFormat, Document, FileTreeLoader, ItemFailure, LoadError
from knowledge.types import Visibility

WriteFile = Callable[[str, str | bytes], Path]


def _documents(*paths: Path) -> list[Document]:
    docs: list[Document] = []
    for item in FileTreeLoader(list(paths)).items():
        assert not isinstance(item, ItemFailure), item
        docs.extend(item.load().documents)
    return docs


def test_markdown_front_matter_becomes_metadata(write: WriteFile, docs: Path) -> None:
    write(
        "billing/refunds.md",
        "---\ntitle: Refund policy\ncategory: Billing\nurl: https://help.x/refunds\n"
        "updated: 2024-05-01\nproduct: Web\nvisibility: internal\n---\n"
        "# Refunds\n\nWithin 30 days.\n",
    )
    (doc,) = _documents(docs)
    assert doc.doc_id == "billing/refunds.md"
    assert (doc.title, doc.category, doc.url, doc.updated, doc.product) == (
        "Refund policy", "billing", "https://help.x/refunds", "2024-05-01", "web",
    )  # fmt: skip
    assert doc.visibility is Visibility.INTERNAL
    assert doc.format is DocFormat.MARKDOWN
    assert doc.source == (docs / "billing/refunds.md").resolve().as_posix()


def test_markdown_title_falls_back_to_h1_then_file_name(write: WriteFile, docs: Path) -> None:
    write("a.md", "Intro.\n\n# Getting started\n\nText.\n")
    write("reset-your-password.md", "Just text, no heading.\n")
    by_id = {d.doc_id: d for d in _documents(docs)}
    assert by_id["a.md"].title == "Getting started"
    assert by_id["reset-your-password.md"].title == "Reset your password"
    assert by_id["a.md"].product == "all" and by_id["a.md"].visibility is Visibility.PUBLIC


def test_single_file_doc_id_is_its_name_and_hidden_files_are_skipped(
    write: WriteFile, docs: Path
) -> None:
    path = write("deep/nested/note.txt", "Plain text note.")
    write(".git/config", "[core]")
    write(".DS_Store", b"\x00\x01")
    write("__pycache__/x.cpython-311.pyc", b"\x00")
    assert [d.doc_id for d in _documents(path)] == ["note.txt"]
    assert [d.doc_id for d in _documents(docs)] == ["deep/nested/note.txt"]
    assert _documents(path)[0].format is DocFormat.TEXT


def test_html_drops_chrome_and_keeps_headings(write: WriteFile, docs: Path) -> None:
    write(
        "page.html",
        """<html><head><title>Two-factor login</title><script>track()</script>
        <link rel="canonical" href="https://help.x/2fa"></head><body>
        <nav><a href="/">Home</a> | <a href="/docs">Docs</a></nav>
        <header>Site banner</header>
        <article><h1>Two-factor login</h1><p>Turn it   on in
        <b>Settings</b>.</p><h2>Backup codes</h2><ul><li>Print them</li><li>Keep them safe</li></ul>
        </article><footer>Copyright</footer></body></html>""",
    )
    (doc,) = _documents(docs)
    assert doc.title == "Two-factor login" and doc.url == "https://help.x/2fa"
    assert "Turn it on in Settings." in doc.body
    assert "## Backup codes" in doc.body and "- Print them" in doc.body
    for chrome in ("track()", "Home", "Site banner", "Copyright"):
        assert chrome not in doc.body


def test_html_title_falls_back_to_h1(write: WriteFile, docs: Path) -> None:
    write("x.htm", "<body><h1>Exports</h1><p>CSV and JSON.</p></body>")
    assert _documents(docs)[0].title == "Exports"


def test_pdf_text_and_title(write: WriteFile, docs: Path, pdf_bytes) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(["Invoices are sent monthly."]))))
    writer.add_metadata({"/Title": "Billing handbook"})
    buffer = io.BytesIO()
    writer.write(buffer)
    write("handbook.pdf", buffer.getvalue())
    write("plain.pdf", pdf_bytes(["Second file."]))
    by_id = {d.doc_id: d for d in _documents(docs)}
    assert by_id["handbook.pdf"].title == "Billing handbook"
    assert "Invoices are sent monthly." in by_id["handbook.pdf"].body
    assert by_id["plain.pdf"].title == "Plain" and by_id["plain.pdf"].format is DocFormat.TEXT


def test_jsonl_documents_and_faq_entries(write: WriteFile, docs: Path) -> None:
    write(
        "kb.jsonl",
        '{"id": "doc-1", "title": "Exports", "text": "CSV export.", "category": "Data", '
        '"url": "https://x/e", "updated": "2024-02-03"}\n'
        "\n"
        '{"id": "faq-1", "question": "How do I get a refund?", "alt_questions": '
        '["money back?", "refund request"], "answer": "Open Billing.", "category": "billing"}\n',
    )
    doc, faq = _documents(docs)
    assert (doc.doc_id, doc.title, doc.body, doc.category, doc.updated) == (
        "doc-1", "Exports", "CSV export.", "data", "2024-02-03",
    )  # fmt: skip
    assert doc.format is DocFormat.MARKDOWN
    assert (faq.doc_id, faq.title, faq.body, faq.format) == (
        "faq-1", "How do I get a refund?", "Open Billing.", DocFormat.FAQ,
    )  # fmt: skip
    assert faq.questions == ("money back?", "refund request")


def test_csv_faq_with_pipe_separated_alternates(write: WriteFile, docs: Path) -> None:
    write(
        "faq.csv",
        "id,question,alt_questions,answer,category\n"
        'f1,Where is my invoice?,"invoice missing | no receipt",Invoices are emailed.,billing\n'
        "d1,,,,\n",
    )
    item = next(iter(FileTreeLoader([docs]).items()))
    loaded = item.load()
    (faq,) = loaded.documents
    assert faq.questions == ("invoice missing", "no receipt")
    assert faq.category == "billing"


def test_unknown_visibility_is_rejected_not_published(write: WriteFile, docs: Path) -> None:
    write("x.md", "---\nvisibility: staff-only\n---\nSecret.\n")
    item = next(iter(FileTreeLoader([docs]).items()))
    with pytest.raises(LoadError, match="visibility"):
        item.load()


def test_missing_path_is_reported(tmp_path: Path) -> None:
    (failure,) = list(FileTreeLoader([tmp_path / "nope"]).items())
    assert isinstance(failure, ItemFailure)
    assert "no such file or directory" in failure.message
