"""Settings from the environment and `.env`, validated once, with one-line errors.

Third-party settings keep their conventional names (DATABASE_URL, PORT, ANTHROPIC_*,
SLACK_*, DISCORD_*); the bot's own carry the SUPPORTBOT_ prefix so they never collide
with another program's environment.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_HOME = Path("~/.supportbot")


class SettingsError(Exception):
    """A bad or missing setting. The message is one line and names the setting."""


class SlackMode(StrEnum):
    SOCKET = "socket"
    HTTP = "http"


def _env(name: str) -> Any:
    return Field(validation_alias=AliasChoices(name))


CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """Every setting of the bot. README.md has the table; keep the two in step."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # --- state -------------------------------------------------------------------------
    home: Path = Field(DEFAULT_HOME, validation_alias=AliasChoices("SUPPORTBOT_HOME"))
    database_url: str | None = Field(None, validation_alias=AliasChoices("DATABASE_URL"))
    log_level: str = Field("WARNING", validation_alias=AliasChoices("SUPPORTBOT_LOG_LEVEL"))

    # --- knowledge base -----------------------------------------------------------------
    kb_sources: CommaList = Field(
        default_factory=list, validation_alias=AliasChoices("SUPPORTBOT_KB_SOURCES")
    )
    kb_sync_minutes: int = Field(
        60, ge=0, validation_alias=AliasChoices("SUPPORTBOT_KB_SYNC_MINUTES")
    )
    kb_chunk_chars: int = Field(
        1200, ge=200, le=20000, validation_alias=AliasChoices("SUPPORTBOT_KB_CHUNK_CHARS")
    )
    kb_memory_max_rows: int = Field(
        200_000, ge=0, validation_alias=AliasChoices("SUPPORTBOT_KB_MEMORY_MAX_ROWS")
    )
    # Read by knowledge.embedding from the environment; declared here so that a bad value
    # fails at start-up with the one-line settings error.
    embedding_runtime: Literal["onnx", "torch"] = Field(
        "onnx", validation_alias=AliasChoices("SUPPORTBOT_EMBEDDING_RUNTIME")
    )
    kb_top_k: int = Field(5, ge=1, le=50, validation_alias=AliasChoices("SUPPORTBOT_KB_TOP_K"))
    answer_min_score: float = Field(
        0.42, ge=0.0, le=1.0, validation_alias=AliasChoices("SUPPORTBOT_ANSWER_MIN_SCORE")
    )
    faq_min_score: float = Field(
        0.62, ge=0.0, le=1.0, validation_alias=AliasChoices("SUPPORTBOT_FAQ_MIN_SCORE")
    )
    faq_agreement_weight: float = Field(
        0.3, ge=0.0, le=1.0, validation_alias=AliasChoices("SUPPORTBOT_FAQ_AGREEMENT_WEIGHT")
    )
    min_answer_confidence: float = Field(
        0.5, ge=0.0, le=1.0, validation_alias=AliasChoices("SUPPORTBOT_MIN_ANSWER_CONFIDENCE")
    )
    escalate_frustration: float = Field(
        0.7, ge=0.0, le=1.0, validation_alias=AliasChoices("SUPPORTBOT_ESCALATE_FRUSTRATION")
    )
    escalate_after_failures: int = Field(
        3, ge=1, le=20, validation_alias=AliasChoices("SUPPORTBOT_ESCALATE_AFTER_FAILURES")
    )
    remind_after_minutes: int = Field(
        15, ge=1, validation_alias=AliasChoices("SUPPORTBOT_REMIND_AFTER_MINUTES")
    )
    autoclose_hours: int = Field(
        48, ge=1, validation_alias=AliasChoices("SUPPORTBOT_AUTOCLOSE_HOURS")
    )
    memory_retention_days: int = Field(
        365, ge=1, validation_alias=AliasChoices("SUPPORTBOT_MEMORY_RETENTION_DAYS")
    )
    max_message_chars: int = Field(
        4000, ge=100, validation_alias=AliasChoices("SUPPORTBOT_MAX_MESSAGE_CHARS")
    )

    # --- Claude ---------------------------------------------------------------------------
    anthropic_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("ANTHROPIC_API_KEY")
    )
    anthropic_base_url: str | None = Field(
        None, validation_alias=AliasChoices("ANTHROPIC_BASE_URL")
    )
    anthropic_model: str = Field(
        "claude-sonnet-4-6", validation_alias=AliasChoices("ANTHROPIC_MODEL")
    )
    anthropic_timeout_seconds: float = Field(
        20.0, gt=0, validation_alias=AliasChoices("SUPPORTBOT_ANTHROPIC_TIMEOUT")
    )
    anthropic_max_tokens: int = Field(
        800, ge=64, validation_alias=AliasChoices("SUPPORTBOT_ANTHROPIC_MAX_TOKENS")
    )

    # --- Slack ----------------------------------------------------------------------------
    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_BOT_TOKEN")
    )
    slack_app_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_APP_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET")
    )
    slack_mode: SlackMode = Field(SlackMode.SOCKET, validation_alias=AliasChoices("SLACK_MODE"))
    slack_api_url: str = Field(
        "https://slack.com/api/", validation_alias=AliasChoices("SLACK_API_URL")
    )
    slack_agents_channel: str | None = Field(
        None, validation_alias=AliasChoices("SLACK_AGENTS_CHANNEL")
    )
    slack_help_channels: CommaList = Field(
        default_factory=list, validation_alias=AliasChoices("SLACK_HELP_CHANNELS")
    )
    port: int = Field(3000, ge=1, le=65535, validation_alias=AliasChoices("PORT"))

    # --- Discord --------------------------------------------------------------------------
    discord_token: SecretStr | None = Field(None, validation_alias=AliasChoices("DISCORD_TOKEN"))
    discord_guild_ids: CommaList = Field(
        default_factory=list, validation_alias=AliasChoices("DISCORD_GUILD_IDS")
    )
    discord_help_channels: CommaList = Field(
        default_factory=list, validation_alias=AliasChoices("DISCORD_HELP_CHANNELS")
    )
    discord_agents_channel: str | None = Field(
        None, validation_alias=AliasChoices("DISCORD_AGENTS_CHANNEL")
    )
    discord_agent_role: str | None = Field(
        None, validation_alias=AliasChoices("DISCORD_AGENT_ROLE")
    )
    discord_api_base: str | None = Field(None, validation_alias=AliasChoices("DISCORD_API_BASE"))

    @field_validator(
        "kb_sources",
        "slack_help_channels",
        "discord_guild_ids",
        "discord_help_channels",
        mode="before",
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("log_level", mode="after")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    # --- derived paths ----------------------------------------------------------------------
    @property
    def sqlite_path(self) -> Path:
        return self.home / "supportbot.db"

    @property
    def lancedb_path(self) -> Path:
        return self.home / "lancedb"

    @property
    def suggestions_path(self) -> Path:
        return self.home / "suggestions"

    @property
    def knowledge_sources(self) -> list[Path]:
        """Configured sources plus approved agent answers, which every sync keeps."""
        sources = [Path(s).expanduser() for s in self.kb_sources]
        if self.suggestions_path.is_dir():
            sources.append(self.suggestions_path)
        return sources

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def uses_default_sqlite(self) -> bool:
        return self.database_url is None

    # --- checks that depend on what is being started ---------------------------------------
    def require_slack(self) -> None:
        """Raise SettingsError naming the first missing Slack setting."""
        _require(self, "slack_bot_token", "SLACK_BOT_TOKEN", "to run the Slack adapter")
        if self.slack_mode is SlackMode.SOCKET:
            _require(self, "slack_app_token", "SLACK_APP_TOKEN", "for Slack Socket Mode")
        else:
            _require(self, "slack_signing_secret", "SLACK_SIGNING_SECRET", "for Slack HTTP mode")

    def require_discord(self) -> None:
        _require(self, "discord_token", "DISCORD_TOKEN", "to run the Discord adapter")

    def ensure_home(self) -> Path:
        """Create the state directory, or explain in one line why it cannot be used."""
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SettingsError(
                f"SUPPORTBOT_HOME: cannot create {self.home} ({exc.strerror or exc})"
            ) from None
        if not os.access(self.home, os.W_OK | os.X_OK):
            raise SettingsError(f"SUPPORTBOT_HOME: {self.home} is not writable")
        return self.home


def _require(settings: Settings, field: str, env_name: str, why: str) -> None:
    value = getattr(settings, field)
    if value is None or (isinstance(value, SecretStr) and not value.get_secret_value().strip()):
        raise SettingsError(f"{env_name}: required {why} but not set")


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning pydantic's multi-line report into one line naming the setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = _env_name(first)
        raise SettingsError(f"{name}: {first['msg']} (got {first.get('input')!r})") from None


def _env_name(error: Any) -> str:
    loc = error.get("loc") or ("?",)
    key = str(loc[0])
    field = Settings.model_fields.get(key)
    if field is None:
        for name, info in Settings.model_fields.items():
            alias = info.validation_alias
            if isinstance(alias, AliasChoices) and key in alias.choices:
                field = info
                key = name
                break
    if field is not None and isinstance(field.validation_alias, AliasChoices):
        return str(field.validation_alias.choices[0])
    return key.upper()
