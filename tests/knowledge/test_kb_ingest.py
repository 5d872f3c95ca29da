"""Ingest embeds only what changed, replaces changed documents, prunes what is gone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge import KnowledgeBase, Stage

WriteFile = Callable[[str, str | bytes], Path]
MakeKb = Callable[..., KnowledgeBase]

REFUNDS = """---
title: Refund policy
category: billing
---
## Window

Refunds are possible within 30 days of purchase.

## Method

Refunds go back to the original card.
"""
PASSWORD = "# Password reset\n\nUse the Forgot password link on the sign-in page.\n"


def _texts(kb: KnowledgeBase) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in kb.export():
        out.setdefault(row["doc_id"], []).append(row["text"])
    return out


def test_reingesting_unchanged_content_embeds_and_writes_nothing(
    make_kb: MakeKb, write: WriteFile, docs: Path
) -> None:
    write("billing/refunds.md", REFUNDS)
    write("password.md", PASSWORD)
    kb = make_kb()
    first = kb.ingest([docs])
    # 3 passages, and each one's heading context alone (knowledge/chunking.py)
    assert (first.documents_added, first.chunks_written, first.chunks_embedded) == (2, 3, 6)
    version = kb.index.table().version
    again = kb.ingest([docs])
    assert again.documents_unchanged == 2
    assert (again.documents_added, again.documents_updated, again.chunks_embedded) == (0, 0, 0)
    assert again.chunks_written == 0
    assert kb.index.table().version == version  # nothing was committed
    assert "2 documents (0 added, 0 updated, 2 unchanged)" in again.summary()


def test_a_changed_document_replaces_its_chunks_and_reuses_unchanged_vectors(
    make_kb: MakeKb, write: WriteFile, docs: Path
) -> None:
    write("billing/refunds.md", REFUNDS)
    write("password.md", PASSWORD)
    kb = make_kb()
    kb.ingest([docs])
    write("billing/refunds.md", REFUNDS.replace("30 days", "60 days"))
    report = kb.ingest([docs])
    assert (report.documents_updated, report.documents_unchanged) == (1, 1)
    assert report.chunks_embedded == 1  # only the edited section
    assert report.chunks_written == 2
    texts = _texts(kb)["billing/refunds.md"]
    assert texts == [
        "Refunds are possible within 60 days of purchase.",
        "Refunds go back to the original card.",
    ]
    assert kb.stats().chunks == 3
    hit = kb.search("how many days do I have to ask for a refund")[0]
    assert "60 days" in hit.text


def test_metadata_change_rewrites_without_embedding(
    make_kb: MakeKb, write: WriteFile, docs: Path
) -> None:
    write("billing/refunds.md", REFUNDS)
    kb = make_kb()
    kb.ingest([docs])
    write("billing/refunds.md", REFUNDS.replace("category: billing", "category: payments"))
    report = kb.ingest([docs])
    assert (report.documents_updated, report.chunks_embedded, report.chunks_written) == (1, 0, 2)
    assert kb.categories() == ["payments"]


def test_prune_removes_documents_that_are_gone_and_only_with_prune(
    make_kb: MakeKb, write: WriteFile, docs: Path
) -> None:
    write("billing/refunds.md", REFUNDS)
    gone = write("password.md", PASSWORD)
    kb = make_kb()
    kb.ingest([docs])
    gone.unlink()
    assert kb.ingest([docs]).documents_removed == 0
    assert set(_texts(kb)) == {"billing/refunds.md", "password.md"}
    report = kb.ingest([docs], prune=True)
    assert report.documents_removed == 1
    assert set(_texts(kb)) == {"billing/refunds.md"}
    assert kb.search("forgot password sign-in link", per_doc=False)[0].doc_id != "password.md"


def test_prune_is_scoped_to_the_ingested_paths(
    make_kb: MakeKb, write: WriteFile, docs: Path, tmp_path: Path
) -> None:
    write("billing/refunds.md", REFUNDS)
    other = tmp_path / "other"
    other.mkdir()
    (other / "password.md").write_text(PASSWORD)
    kb = make_kb()
    kb.ingest([docs, other])
    (docs / "billing/refunds.md").unlink()
    write("billing/new.md", "# New\n\nA new page.\n")
    report = kb.ingest([docs], prune=True)
    assert report.documents_removed == 1
    assert set(_texts(kb)) == {"billing/new.md", "password.md"}


def test_prune_keeps_the_old_version_of_a_file_that_became_unreadable(
    make_kb: MakeKb, write: WriteFile, docs: Path
) -> None:
    write("billing/refunds.md", REFUNDS)
    write("faq.jsonl", '{"id": "f1", "question": "Ship abroad?", "answer": "Yes."}\n'
          '{"id": "f2", "question": "Gift cards?", "answer": "Not yet."}\n')  # fmt: skip
    kb = make_kb()
    kb.ingest([docs])
    write("billing/refunds.md", b"\x00\x01\x02 broken")
    write("faq.jsonl", '{"id": "f1", "question": "Ship abroad?"}\n'
          '{"id": "f2", "question": "Gift cards?", "answer": "Not yet."}\n')  # fmt: skip
    report = kb.ingest([docs], prune=True)
    assert report.documents_removed == 0
    assert len(report.errors) == 2
    assert set(_texts(kb)) == {"billing/refunds.md", "f1", "f2"}


def test_sync_mirrors_the_sources_and_is_idempotent(
    make_kb: MakeKb, write: WriteFile, docs: Path, tmp_path: Path
) -> None:
    write("billing/refunds.md", REFUNDS)
    other = tmp_path / "other"
    other.mkdir()
    (other / "password.md").write_text(PASSWORD)
    kb = make_kb()
    kb.ingest([docs, other])
    report = kb.sync([docs])
    assert report.documents_removed == 1  # not in the configured sources any more
    assert set(_texts(kb)) == {"billing/refunds.md"}
    again = kb.sync([docs])
    assert (again.documents_unchanged, again.chunks_embedded, again.documents_removed) == (1, 0, 0)
    with pytest.raises(ValueError, match="at least one source"):
        kb.sync([])


def test_sync_keeps_documents_of_a_missing_source(
    make_kb: MakeKb, write: WriteFile, docs: Path, tmp_path: Path
) -> None:
    write("password.md", PASSWORD)
    kb = make_kb()
    kb.sync([docs])
    moved = tmp_path / "moved"
    docs.rename(moved)  # e.g. an unmounted share
    report = kb.sync([docs])
    assert report.documents_removed == 0
    assert "no such file or directory" in report.errors[0][1]
    assert set(_texts(kb)) == {"password.md"}


def test_default_category_applies_only_to_documents_without_one(
    make_kb: MakeKb, write: WriteFile, docs: Path
) -> None:
    write("billing/refunds.md", REFUNDS)
    write("password.md", PASSWORD)
    kb = make_kb()
    kb.ingest([docs], category="Account")
    assert kb.stats().categories == {"account": 1, "billing": 1}


def test_progress_is_reported_per_stage(make_kb: MakeKb, write: WriteFile, docs: Path) -> None:
    write("password.md", PASSWORD)
    seen: list[tuple[Stage, int, int]] = []
    make_kb().ingest([docs], progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert (Stage.READING, 1, 1) in seen
    assert (Stage.EMBEDDING, 2, 2) in seen  # the passage and its context line
    assert seen[-1] == (Stage.WRITING, 1, 1)


def test_chunk_ids_are_the_same_in_two_separate_indexes(
    make_kb: MakeKb, write: WriteFile, docs: Path
) -> None:
    write("billing/refunds.md", REFUNDS)
    first, second = make_kb("one"), make_kb("two")
    first.ingest([docs])
    second.ingest([docs])
    ids = [row["chunk_id"] for row in first.export()]
    assert ids == [row["chunk_id"] for row in second.export()]
    assert ids[0].startswith("billing/refunds.md#0-")


def test_stats_and_export_describe_the_index(make_kb: MakeKb, write: WriteFile, docs: Path) -> None:
    kb = make_kb()
    assert kb.is_empty() and kb.stats().documents == 0 and kb.stats().index_kind == "empty"
    assert kb.stats().last_ingest is None and list(kb.export()) == []
    write("billing/refunds.md", REFUNDS)
    write("password.md", PASSWORD)
    kb.ingest([docs])
    stats = kb.stats()
    assert (stats.documents, stats.chunks, stats.sources) == (2, 3, 2)
    assert stats.categories == {"billing": 1} and stats.index_kind == "memory"
    assert stats.last_ingest is not None
    row = next(iter(kb.export()))
    assert "vector" not in row
    assert row["heading_path"] == ["Window"] and row["title"] == "Refund policy"
