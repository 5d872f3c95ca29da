from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings


def test_defaults_put_all_state_under_home(home: Path) -> None:
    settings = load_settings()
    assert settings.home == home
    assert settings.effective_database_url == f"sqlite:///{home / 'supportbot.db'}"
    assert settings.lancedb_path == home / "lancedb"


def test_database_url_overrides_sqlite(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u:p@127.0.0.1/db")
    settings = load_settings()
    assert settings.effective_database_url.startswith("postgresql+psycopg://")
    assert not settings.uses_default_sqlite


def test_comma_lists_and_secrets(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_HELP_CHANNELS", "C1, C2,,C3")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret")
    settings = load_settings()
    assert settings.slack_help_channels == ["C1", "C2", "C3"]
    assert "xoxb-secret" not in repr(settings)


def test_bad_value_is_one_line_naming_the_setting(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPPORTBOT_KB_TOP_K", "lots")
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith("SUPPORTBOT_KB_TOP_K:")
    assert "\n" not in message


def test_slack_without_token_names_the_setting(home: Path) -> None:
    with pytest.raises(SettingsError, match=r"^SLACK_BOT_TOKEN: required"):
        load_settings().require_slack()


def test_socket_mode_needs_app_token(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    with pytest.raises(SettingsError, match=r"^SLACK_APP_TOKEN"):
        load_settings().require_slack()
    monkeypatch.setenv("SLACK_MODE", "http")
    with pytest.raises(SettingsError, match=r"^SLACK_SIGNING_SECRET"):
        load_settings().require_slack()


def test_dotenv_is_read(home: Path, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SUPPORTBOT_KB_TOP_K=7\n")
    assert load_settings().kb_top_k == 7


def test_home_that_is_a_file_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("SUPPORTBOT_HOME", str(blocker / "state"))
    with pytest.raises(SettingsError, match=r"^SUPPORTBOT_HOME: cannot create"):
        load_settings().ensure_home()
