from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def sample_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SUPPORTBOT_HOME whose knowledge base already holds the bundled sample (built once)."""
    from bot.config import load_settings
    from bot.runtime import build_runtime, prepare_knowledge

    home = tmp_path_factory.mktemp("sample-home")
    settings = load_settings(_env_file=None).model_copy(update={"home": home, "kb_sources": []})
    prepare_knowledge(build_runtime(settings))
    return home


@pytest.fixture
def cli_env(sample_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)  # no developer .env
    for name in ("DATABASE_URL", "ANTHROPIC_API_KEY", "SUPPORTBOT_KB_SOURCES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SUPPORTBOT_HOME", str(sample_home))
    return {"SUPPORTBOT_HOME": str(sample_home)}
