"""What a new user does first, as real processes: the README's command and bad settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def supportbot(
    args: list[str], home: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SUPPORTBOT_", "ANTHROPIC_", "SLACK_", "DISCORD_", "DATABASE_URL"))
    }
    environment.update({"SUPPORTBOT_HOME": str(home), **env})
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        cwd=_existing(home),
    )


def _existing(path: Path) -> Path:
    """The nearest existing directory at or above `path` (a neutral working directory)."""
    while not path.is_dir():
        path = path.parent
    return path


@pytest.mark.timeout(900)
def test_chat_on_a_fresh_home_answers_with_a_citation_and_admits_ignorance(tmp_path: Path) -> None:
    result = supportbot(
        ["chat"],
        tmp_path / "fresh",
        "How do I reset my password?\nWhat's the weather in Lisbon?\n/quit\n",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Indexing the bundled sample" in result.stderr
    answer, unknown = out.split("What's the weather")[0], out.split("Sources:")[-1]
    assert (
        "[1] How to reset your password <https://help.tasklane.example/account/reset-password>"
        in out
    )
    assert "Forgot password" in answer or "password" in answer.lower()
    assert "rather not guess" in unknown
    assert "Traceback" not in result.stderr


def test_home_that_cannot_be_created_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = supportbot(["ask", "hi", "--json"], blocker / "home")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: SUPPORTBOT_HOME: cannot create")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_bad_setting_and_missing_token_are_one_line(tmp_path: Path) -> None:
    bad = supportbot(["ask", "hi"], tmp_path / "h", SUPPORTBOT_KB_TOP_K="many")
    assert bad.returncode == 2 and bad.stderr.strip().startswith("error: SUPPORTBOT_KB_TOP_K:")
    slack = supportbot(["run", "--platform", "slack"], tmp_path / "h")
    assert slack.returncode == 2 and "SLACK_BOT_TOKEN" in slack.stderr
    assert "Traceback" not in bad.stderr + slack.stderr


def test_kb_ingest_never_adds_the_sample(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "hello.md").write_text(
        "---\ntitle: Hello\n---\n\n## Greeting\n\nSay hello to Zorblax.\n"
    )
    home = tmp_path / "own"
    assert supportbot(["kb", "ingest", str(docs)], home).returncode == 0
    stats = supportbot(["kb", "stats", "--json"], home)
    assert stats.returncode == 0, stats.stderr
    assert '"documents": 1' in stats.stdout.replace(" ", "").replace(
        '"documents":1', '"documents": 1'
    )
