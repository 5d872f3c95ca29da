"""`supportbot ask` and the CLI's handling of bad input, through the real typer app."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from adapters.cli.main import app

runner = CliRunner()


def ask(*args: str) -> dict:
    result = runner.invoke(app, ["ask", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_answer_has_the_documented_shape(cli_env: dict[str, str]) -> None:
    out = ask("How do I reset my password?", "--user", "u1")
    assert out["action"] == "answer"
    assert out["citations"] and out["citations"][0]["doc_id"] == "account/reset-password.md"
    assert set(out["citations"][0]) == {"doc_id", "title", "url"}
    assert 0 < out["confidence"] <= 1
    assert set(out["triage"]) == {
        "intent",
        "category",
        "sentiment",
        "frustration",
        "signals",
        "priority",
    }
    assert out["ticket"]["state"] == "awaiting_customer"
    assert out["escalation"]["reasons"]


def test_unanswerable_question_is_escalated_honestly(cli_env: dict[str, str]) -> None:
    out = ask("What's the weather in Lisbon today?", "--user", "u2")
    assert out["action"] == "escalate" and out["citations"] == []
    assert "rather not guess" in out["reply"]


def test_same_thread_is_one_conversation(cli_env: dict[str, str]) -> None:
    ask("How do I reset my password?", "--user", "u3", "--channel", "c", "--thread", "th")
    second = ask("the reset link expired", "--user", "u3", "--channel", "c", "--thread", "th")
    assert second["ticket"]["state"] == "awaiting_customer"


def test_batch_answers_every_row_in_order_and_reports_bad_rows(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    batch = tmp_path / "rows.jsonl"
    batch.write_bytes(
        b'{"text": "How do I reset my password?", "user": "b1"}\n'
        b'{"text": "caf\xe9 \xff\xfe", "user": "b2"}\n'
        b"not json\n"
        b'{"user": "b3"}\n'
        b"\n"
        b'{"text": "how do I cancel my plan", "user": "b4", "channel": "c", "thread": "t"}\n'
    )
    result = runner.invoke(app, ["ask", "--batch", str(batch)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 6]
    assert rows[0]["action"] == "answer"
    assert "invalid UTF-8" in rows[1]["error"]
    assert "invalid JSON" in rows[2]["error"]
    assert 'missing "text"' in rows[3]["error"]
    assert rows[4]["action"] in {"answer", "clarify", "escalate"}


def test_bad_rows_lose_nothing_already_stored(cli_env: dict[str, str], tmp_path: Path) -> None:
    db = create_engine(f"sqlite:///{Path(cli_env['SUPPORTBOT_HOME']) / 'supportbot.db'}")
    ask("How do I reset my password?", "--user", "keeper")
    with db.connect() as conn:
        before = conn.execute(text("SELECT COUNT(*) FROM messages")).scalar()
    batch = tmp_path / "bad.jsonl"
    batch.write_bytes(b"\xff\xfe\n{bad\n")
    runner.invoke(app, ["ask", "--batch", str(batch)])
    with db.connect() as conn:
        after = conn.execute(text("SELECT COUNT(*) FROM messages")).scalar()
    assert after == before


def test_empty_huge_and_invisible_messages(cli_env: dict[str, str]) -> None:
    assert ask("\u200b\u200b  ", "--user", "e1")["action"] == "clarify"
    huge = ask("How do I reset my password? " + "x" * 100_000, "--user", "e2")
    assert huge["action"] in {"answer", "escalate", "clarify"} and huge["reply"]
    hidden = ask("How do I re\u200bset my pass\u200bword?\x07", "--user", "e3")
    assert hidden["action"] == "answer"


def test_unknown_flag_is_a_clear_error(cli_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["ask", "hi", "--frobnicate"])
    assert result.exit_code == 2
    assert "No such option" in result.output and "Traceback" not in result.output


def test_text_and_batch_together_is_refused(cli_env: dict[str, str], tmp_path: Path) -> None:
    rows = tmp_path / "r.jsonl"
    rows.write_text("")
    result = runner.invoke(app, ["ask", "hi", "--batch", str(rows)])
    assert result.exit_code == 2 and "not both" in result.output


def test_db_commands_and_audit_verify(cli_env: dict[str, str]) -> None:
    ask("How do I reset my password?", "--user", "audit")
    upgrade = runner.invoke(app, ["db", "upgrade"])
    assert upgrade.exit_code == 0 and "revision" in upgrade.output
    current = runner.invoke(app, ["db", "current"])
    assert current.exit_code == 0 and "up to date" in current.output
    verify = runner.invoke(app, ["audit", "verify"])
    assert verify.exit_code == 0 and "intact" in verify.output
    db = create_engine(f"sqlite:///{Path(cli_env['SUPPORTBOT_HOME']) / 'supportbot.db'}")
    with db.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET kind = 'tampered' WHERE id = 1"))
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1 and "modified" in broken.output
    with db.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET kind = 'message_received' WHERE id = 1"))
