"""`eval routing` end to end: an FAQ record file as the knowledge base, labelled questions,
the real engine (offline answerer) and a throwaway database, through the real typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli.main import app

FAQ = [
    {
        "id": "refund",
        "question": "How do I get a refund?",
        "alt_questions": ["can I get my money back", "refund my purchase please"],
        "answer": "Refunds are available within 30 days from Settings > Billing > Refund.",
    },
    {
        "id": "password",
        "question": "How do I reset my password?",
        "alt_questions": ["I forgot my password", "change my login password"],
        "answer": "Click 'Forgot password' on the sign-in page to get a reset link.",
    },
    {
        "id": "export",
        "question": "How do I export my data?",
        "alt_questions": ["download all my projects as csv", "export to json"],
        "answer": "Export every project as CSV or JSON from the workspace menu.",
    },
]
QUESTIONS = [
    {"query": "how can I get my money back for a purchase", "gold_ids": ["refund"]},
    {"query": "I forgot my password, how do I reset it", "gold_ids": ["password"]},
    {"query": "can I download my projects as a csv file", "gold_ids": ["export"]},
    {"query": "what is the boiling point of mercury", "gold_ids": []},
    {"query": "recommend a good pizza place in rome", "gold_ids": []},
]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no developer .env
    for name in ("DATABASE_URL", "ANTHROPIC_API_KEY", "SUPPORTBOT_KB_SOURCES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SUPPORTBOT_HOME", str(tmp_path / "home"))
    (tmp_path / "kb.jsonl").write_text("\n".join(json.dumps(row) for row in FAQ))
    (tmp_path / "queries.jsonl").write_text("\n".join(json.dumps(row) for row in QUESTIONS))
    return tmp_path


def test_reports_answers_and_escalations_of_the_whole_engine(env: Path) -> None:
    args = ["eval", "routing", "--kb", "kb.jsonl", "--queries", "queries.jsonl", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert (report["in_scope"], report["out_of_scope"]) == (3, 2)
    assert report["answer_accuracy"] == 1.0
    assert report["wrong_answer_rate"] == 0.0
    assert report["oos_escalation_recall"] == 1.0 and report["oos_answered"] == 0
    assert not (env / "home" / "supportbot.db").exists()  # the bot's own database untouched
    assert list((env / "home" / "eval-cache").iterdir())  # the index is cached for next time


def test_bad_question_rows_and_missing_files_are_clear_errors(env: Path) -> None:
    (env / "bad.jsonl").write_text('{"query": "fine", "gold_ids": []}\n{"gold_ids": ["x"]}\n')
    result = CliRunner().invoke(
        app, ["eval", "routing", "--kb", "kb.jsonl", "--queries", "bad.jsonl"]
    )
    assert result.exit_code != 0
    assert "--queries line 2" in result.output
    result = CliRunner().invoke(
        app, ["eval", "routing", "--kb", "nope.jsonl", "--queries", "queries.jsonl"]
    )
    assert result.exit_code != 0 and "--kb: no such file" in result.output
