"""Bad input is skipped or rejected with a clear message per file, and the rest goes in."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge import IngestReport, KnowledgeBase, KnowledgeConfig
from knowledge.embedding import Embedder

WriteFile = Callable[[str, str | bytes], Path]
BadTree = tuple[KnowledgeBase, IngestReport]
MakeKb = Callable[..., KnowledgeBase]

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


def _errors_by_file(errors: list[tuple[str, str]]) -> dict[str, str]:
    return {Path(source).name: message for source, message in errors}


@pytest.fixture(scope="module")
def bad_tree_report(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> BadTree:
    """One ingest of a tree holding one good document and every kind of bad input."""
    docs = tmp_path_factory.mktemp("bad") / "docs"
    docs.mkdir()
    (docs / "good.md").write_text("# Shipping\n\nOrders ship within two days.\n")
    (docs / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage\x00\xff")
    (docs / "image.md").write_bytes(PNG)
    (docs / "empty.md").write_bytes(b"")
    (docs / "blank.txt").write_text("   \n\n  ")
    (docs / "report.docx").write_bytes(b"PK\x03\x04 not supported")
    (docs / "legacy.txt").write_bytes("Café prices – 5€ per month".encode("cp1252"))
    with (docs / "huge.txt").open("wb") as handle:  # sparse: instant, no 50 MB written
        handle.truncate(50 * 1024 * 1024)
    (docs / "faq.jsonl").write_text(
        '{"id": "f1", "question": "Do you ship abroad?", "answer": "Yes, to 40 countries."}\n'
        '{"id": "f2", "question": "Missing its answer"}\n'
        '{"id": "f1", "question": "Duplicate id", "answer": "Second f1."}\n'
        "{not json\n"
        '{"question": "No id", "answer": "x"}\n'
    )
    (docs / "all-bad.csv").write_text("id,title,text\n,No id,Text\nd2,No text,\n")
    (docs / "bad-front-matter.md").write_text("---\ntitle: [unclosed\n---\nBody\n")
    kb = KnowledgeBase(tmp_path_factory.mktemp("kb") / "lancedb", embedder=embedder)
    report = kb.ingest([docs])
    return kb, report


def test_good_documents_still_get_in(bad_tree_report: BadTree) -> None:
    kb, report = bad_tree_report
    ids = {row["doc_id"] for row in kb.export()}
    assert ids == {"good.md", "legacy.txt", "f1"}
    assert report.documents_added == 3
    assert kb.search("how long does shipping take")[0].doc_id == "good.md"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("corrupt.pdf", "not a readable PDF"),
        ("image.md", "binary"),
        ("empty.md", "empty file"),
        ("blank.txt", "empty file"),
        ("report.docx", "unsupported file type .docx"),
        ("huge.txt", "file is 50 MB, above the 20 MB limit for one file"),
        ("all-bad.csv", "no usable records: skipped 2 of 2 records: line 2: missing 'id'"),
        ("bad-front-matter.md", "invalid YAML front matter"),
    ],
)
def test_each_bad_file_has_a_clear_message(
    bad_tree_report: BadTree, name: str, expected: str
) -> None:
    _, report = bad_tree_report
    errors = _errors_by_file(report.errors)
    assert name in errors, errors
    assert expected in errors[name]


def test_bad_records_are_listed_and_the_good_ones_kept(bad_tree_report: BadTree) -> None:
    kb, report = bad_tree_report
    message = _errors_by_file(report.errors)["faq.jsonl"]
    assert message.startswith("skipped 4 of 5 records")
    assert "line 2: missing 'answer'" in message
    assert "line 3: duplicate id 'f1' (first on line 1)" in message
    assert "line 4: invalid JSON" in message
    assert "line 5: missing 'id'" in message
    (faq,) = [row for row in kb.export() if row["doc_id"] == "f1"]
    assert "40 countries" in faq["text"]  # the first f1 won


def test_non_utf8_text_is_decoded_with_a_warning(bad_tree_report: BadTree) -> None:
    kb, report = bad_tree_report
    warnings = _errors_by_file(report.warnings)
    assert "decoded as Windows-1252" in warnings["legacy.txt"]
    (row,) = [row for row in kb.export() if row["doc_id"] == "legacy.txt"]
    assert row["text"] == "Café prices – 5€ per month"


def test_size_limit_is_configurable(make_kb: MakeKb, write: WriteFile, docs: Path) -> None:
    write("small.md", "# A\n\n" + "Enough text here. " * 100)
    kb = make_kb(config=KnowledgeConfig(max_file_bytes=1000))
    report = kb.ingest([docs])
    assert report.documents_loaded == 0
    assert "file is 1.8 KB, above the 1000 bytes limit" in report.errors[0][1]
    assert kb.is_empty()


def test_duplicate_doc_id_across_files_keeps_the_first(
    make_kb: MakeKb, write: WriteFile, docs: Path
) -> None:
    write("a.jsonl", '{"id": "same", "title": "A", "text": "From file a."}\n')
    write("b.jsonl", '{"id": "same", "title": "B", "text": "From file b."}\n')
    kb = make_kb()
    report = kb.ingest([docs])
    assert report.documents_added == 1
    (source, message) = report.errors[0]
    assert source.endswith("b.jsonl") and "'same' already came from" in message
    assert [row["text"] for row in kb.export()] == ["From file a."]


def test_everything_bad_means_nothing_loaded(make_kb: MakeKb, write: WriteFile, docs: Path) -> None:
    write("empty.md", "")
    write("x.bin", b"\x00\x01")
    report = make_kb().ingest([docs])
    assert report.documents_loaded == 0 and len(report.errors) == 2
