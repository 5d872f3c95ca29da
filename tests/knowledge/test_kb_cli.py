"""`supportbot kb ...` through typer's CliRunner, against a real state home and model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli.kb import kb_app
from knowledge.embedding import Embedder

runner = CliRunner()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "billing").mkdir(parents=True)
    (docs / "billing/refunds.md").write_text(
        "---\ntitle: Refund policy\ncategory: billing\nurl: https://help.x/refunds\n---\n"
        "## Window\n\nRefunds are possible within 30 days of purchase.\n"
    )
    (docs / "offline.md").write_text("# Offline mode\n\nThe app works offline and syncs later.\n")
    (docs / "notes.docx").write_bytes(b"PK\x03\x04")
    return docs


@pytest.fixture
def ingested(home: Path, corpus: Path, embedder: Embedder) -> Path:
    result = runner.invoke(kb_app, ["ingest", str(corpus)])
    assert result.exit_code == 0, result.output
    return corpus


def test_ingest_prints_the_summary_and_per_file_errors(
    home: Path, corpus: Path, embedder: Embedder
) -> None:
    result = runner.invoke(kb_app, ["ingest", str(corpus), "--category", "general"])
    assert result.exit_code == 0, result.output
    assert "2 documents (2 added, 0 updated, 0 unchanged)" in result.stderr
    assert "notes.docx: unsupported file type .docx" in result.stderr
    assert result.stdout == ""
    assert (home / "lancedb").is_dir()


def test_ingest_exits_1_when_everything_failed(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.md").write_text("")
    result = runner.invoke(kb_app, ["ingest", str(bad), str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert "empty.md: empty file" in result.stderr
    assert "missing: no such file or directory" in result.stderr


def test_search_json_prints_hits(ingested: Path) -> None:
    result = runner.invoke(kb_app, ["search", "how long can I get a refund", "--json", "--k", "2"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert len(hits) == 2
    assert {"doc_id", "chunk_id", "title", "url", "category", "score", "text"} <= set(hits[0])
    assert hits[0]["doc_id"] == "billing/refunds.md"
    assert hits[0]["url"] == "https://help.x/refunds"


def test_search_prints_a_table_by_default(ingested: Path) -> None:
    result = runner.invoke(kb_app, ["search", "offline", "--category", "billing"])
    assert result.exit_code == 0
    assert "Refund policy" in result.stdout and "Offline mode" not in result.stdout


def test_search_batch_answers_each_line_and_reports_bad_ones(
    ingested: Path, tmp_path: Path
) -> None:
    batch = tmp_path / "queries.jsonl"
    batch.write_text(
        '{"query": "refund window"}\n'
        "{not json}\n"
        "\n"
        '{"text": "no query field"}\n'
        '{"query": "does it work offline"}\n'
    )
    result = runner.invoke(kb_app, ["search", "--batch", str(batch), "--k", "1"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 4
    assert lines[0][0]["doc_id"] == "billing/refunds.md"
    assert lines[1] == {"error": "line 2: invalid JSON (Expecting property name enclosed in "
                        "double quotes at column 2)"}  # fmt: skip
    assert lines[2] == {"error": "line 4: missing 'query' (a non-empty string)"}
    assert lines[3][0]["doc_id"] == "offline.md"


def test_memory_max_rows_setting_moves_vector_search_to_lancedb(
    ingested: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPPORTBOT_KB_MEMORY_MAX_ROWS", "0")
    info = json.loads(runner.invoke(kb_app, ["stats", "--json"]).stdout)
    assert info["index_kind"] == "flat"  # LanceDB's exact scan; the same hits as in memory
    hits = json.loads(runner.invoke(kb_app, ["search", "refund window", "--json"]).stdout)
    assert hits[0]["doc_id"] == "billing/refunds.md" and "30 days" in hits[0]["text"]


def test_search_needs_a_query_or_a_batch(home: Path) -> None:
    result = runner.invoke(kb_app, ["search"])
    assert result.exit_code == 2
    assert "either a query" in result.stderr


def test_stats_and_export(ingested: Path, tmp_path: Path) -> None:
    stats = runner.invoke(kb_app, ["stats", "--json"])
    assert stats.exit_code == 0
    info = json.loads(stats.stdout)
    assert (info["documents"], info["chunks"], info["categories"]) == (2, 2, {"billing": 1})
    assert info["index_kind"] == "memory" and info["last_ingest"]
    table = runner.invoke(kb_app, ["stats"])
    assert "documents" in table.stdout and "billing (1)" in table.stdout

    exported = runner.invoke(kb_app, ["export"])
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [row["doc_id"] for row in rows] == ["billing/refunds.md", "offline.md"]
    assert "vector" not in rows[0]
    out = tmp_path / "kb.jsonl"
    to_file = runner.invoke(kb_app, ["export", "--out", str(out)])
    assert to_file.exit_code == 0 and to_file.stdout == ""
    assert out.read_text().splitlines() == exported.stdout.splitlines()


def test_sync_uses_the_configured_sources(
    home: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch, embedder: Embedder
) -> None:
    missing = runner.invoke(kb_app, ["sync"])
    assert missing.exit_code == 2 and "SUPPORTBOT_KB_SOURCES" in missing.stderr
    monkeypatch.setenv("SUPPORTBOT_KB_SOURCES", str(corpus))
    result = runner.invoke(kb_app, ["sync"])
    assert result.exit_code == 0, result.output
    assert "2 added" in result.stderr
    again = runner.invoke(kb_app, ["sync"])
    assert "2 unchanged" in again.stderr and "0 embedded" in again.stderr


def test_bad_settings_exit_2_with_one_line(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTBOT_KB_CHUNK_CHARS", "5")
    result = runner.invoke(kb_app, ["stats"])
    assert result.exit_code == 2
    assert "SUPPORTBOT_KB_CHUNK_CHARS" in result.stderr
