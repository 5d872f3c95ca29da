"""A failed ingest never leaves the index half-written: the previous version stays searchable.

Faults are injected into LanceDB and sentence-transformers (third-party code) at the moment
of writing or embedding; our own components run for real.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lancedb.table import LanceTable

from knowledge import IngestAborted, KnowledgeBase
from knowledge.embedding import Embedder

WriteFile = Callable[[str, str | bytes], Path]
MakeKb = Callable[..., KnowledgeBase]

V1 = "# Refunds\n\nRefunds are possible within 30 days.\n\n## Method\n\nTo the original card.\n"
V2 = "# Refunds\n\nRefunds are possible within 90 days.\n\n## Method\n\nAs store credit.\n"


def _boom(*args: object, **kwargs: object) -> None:
    raise OSError("disk full (injected)")


def _snapshot(kb: KnowledgeBase) -> list[tuple[str, str]]:
    return [(row["chunk_id"], row["text"]) for row in kb.export()]


@pytest.fixture
def indexed(make_kb: MakeKb, write: WriteFile, docs: Path) -> KnowledgeBase:
    write("refunds.md", V1)
    write("shipping.md", "# Shipping\n\nOrders ship in two days.\n")
    kb = make_kb()
    kb.ingest([docs])
    write("refunds.md", V2)
    (docs / "shipping.md").unlink()
    write("new.md", "# Gift cards\n\nGift cards never expire.\n")
    return kb


@pytest.mark.parametrize("method", ["merge_insert", "optimize"])
def test_a_failed_write_keeps_the_previous_index(
    indexed: KnowledgeBase, docs: Path, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    before = _snapshot(indexed)
    with monkeypatch.context() as patch:
        patch.setattr(LanceTable, method, _boom)
        with pytest.raises(IngestAborted, match=r"index is unchanged.*disk full") as failure:
            indexed.ingest([docs], prune=True)
    assert failure.value.report.documents_updated == 1  # what it was about to do
    assert _snapshot(indexed) == before
    assert "30 days" in indexed.search("refund period", k=1)[0].text
    assert "new.md" not in {row["doc_id"] for row in indexed.export()}
    # the next ingest, without the fault, applies everything
    report = indexed.ingest([docs], prune=True)
    assert (report.documents_added, report.documents_updated, report.documents_removed) == (1, 1, 1)
    assert "90 days" in indexed.search("refund period", k=1)[0].text


def test_a_failure_while_embedding_writes_nothing(
    indexed: KnowledgeBase, docs: Path, monkeypatch: pytest.MonkeyPatch, embedder: Embedder
) -> None:
    before = _snapshot(indexed)
    version = indexed.index.table().version
    monkeypatch.setattr(embedder._model, "encode", _boom)  # PyTorch
    if embedder._onnx is not None:  # ONNX Runtime, the default
        monkeypatch.setattr(embedder._onnx._session, "run", _boom)
    with pytest.raises(IngestAborted, match="disk full"):
        indexed.ingest([docs], prune=True)
    monkeypatch.undo()
    assert indexed.index.table().version == version
    assert _snapshot(indexed) == before


def test_a_failed_first_ingest_leaves_an_empty_index(
    make_kb: MakeKb, write: WriteFile, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("refunds.md", V1)
    kb = make_kb()
    monkeypatch.setattr(LanceTable, "create_index", _boom)
    with pytest.raises(IngestAborted):
        kb.ingest([docs])
    monkeypatch.undo()
    assert kb.is_empty() and kb.search("refund") == []
    assert kb.ingest([docs]).documents_added == 1
    assert kb.search("refund")[0].doc_id == "refunds.md"
