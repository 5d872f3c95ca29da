"""Shared fixtures: the real embedding model (loaded once), the shared eval data, a state home."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fakes.fixtures import fake_anthropic  # noqa: F401  (a loopback Anthropic API)
from pg_fixtures import pg_database, postgres_url  # noqa: F401  (a real PostgreSQL server)

from tests.discord.fake_discord import restore_discord_globals  # noqa: F401  (shared fixture)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("LANCEDB_LOG", "error")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(
    os.environ.get("SUPPORTBOT_SHARED_DATA", REPO_ROOT.parent / "shared" / "eval" / "data")
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The public eval datasets and platform payloads kept beside the repo (never copied in)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the shared eval data at {SHARED_DATA}, which only the project's CI has")
    return SHARED_DATA


@pytest.fixture(scope="session")
def embedder():
    """The real bundled all-MiniLM-L6-v2; loading it takes seconds, so once per test run."""
    from knowledge.embedding import load_embedder

    return load_embedder()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SUPPORTBOT_HOME with no stray settings from the developer's environment."""
    state = tmp_path / "home"
    monkeypatch.setenv("SUPPORTBOT_HOME", str(state))
    for name in ("DATABASE_URL", "ANTHROPIC_API_KEY", "SUPPORTBOT_KB_SOURCES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # so a developer's .env is not read
    return state
