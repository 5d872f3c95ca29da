"""`eval retrieval` end to end on a tiny corpus with the real model and a real LanceDB index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli.eval import CACHE_DIR, eval_app

DOCS = [
    ("refund", "Refund policy", "You can get your money back within 30 days of purchase."),
    ("password", "Reset your password", "Click 'Forgot password' when signing in for a link."),
    ("invoice", "Download invoices", "Invoices are in Settings > Billing as PDF files."),
    ("slack", "Slack integration", "Connect Slack to receive task notifications in a channel."),
    ("export", "Export your data", "Export all projects as CSV or JSON from the workspace menu."),
    ("mobile", "Mobile app", "Install the iOS or Android app and sign in with your account."),
]
QUERIES = [
    ("how do I get a refund for my purchase", ["refund"], "valid"),
    ("I forgot my password", ["password"], "valid"),
    ("where can I download a PDF invoice", ["invoice"], "valid"),
    ("send notifications to a slack channel", ["slack"], "train"),
]


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path]:
    kb = tmp_path / "kb.jsonl"
    kb.write_text("\n".join(json.dumps({"id": i, "title": t, "text": x}) for i, t, x in DOCS))
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        "\n".join(json.dumps({"query": q, "gold_ids": g, "split": s}) for q, g, s in QUERIES)
    )
    return kb, queries


def run(*args: str) -> dict:
    result = CliRunner().invoke(eval_app, ["retrieval", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.usefixtures("embedder")
def test_eval_retrieval_scores_and_caches_the_index(home: Path, corpus) -> None:
    kb, queries = corpus
    first = run("--kb", str(kb), "--queries", str(queries), "--split", "valid")
    assert first["n_queries"] == 3
    assert first["recall@1"] == 1.0 and first["mrr@10"] == 1.0
    assert first["latency_p95_ms"] >= first["latency_p50_ms"] > 0
    assert first["chunks_embedded"] >= len(DOCS)
    assert len(list((home / CACHE_DIR).iterdir())) == 1

    again = run("--kb", str(kb), "--queries", str(queries), "--mode", "text")
    assert again["n_queries"] == 4 and again["mode"] == "text"
    assert again["chunks_embedded"] == 0  # the cached index was reused, nothing re-embedded
    assert again["recall@10"] == 1.0


@pytest.mark.usefixtures("embedder")
def test_eval_retrieval_prints_a_table(home: Path, corpus) -> None:
    kb, queries = corpus
    result = CliRunner().invoke(
        eval_app, ["retrieval", "--kb", str(kb), "--queries", str(queries), "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    assert "recall@5" in result.stdout and "p95 ms" in result.stdout
    assert not (home / CACHE_DIR).exists()


def test_eval_retrieval_refuses_missing_inputs(home: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        eval_app, ["retrieval", "--kb", str(tmp_path / "nope"), "--queries", str(tmp_path / "q")]
    )
    assert result.exit_code == 2
    assert "no such file" in result.output
