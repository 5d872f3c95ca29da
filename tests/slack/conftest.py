"""A real runtime on a temp home, the real Bolt app, and a fake Slack Web API on loopback."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fakes.corpus import small_corpus
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text

from adapters.slack.app import SlackAdapter
from bot.config import load_settings
from bot.runtime import Runtime, build_runtime
from tests.slack.fake_slack import FakeSlack

SECRET = "test-signing-secret"
TEAM = "T1"
HELP = "CHELP"
AGENTS = "CAGENTS"

CORPUS = small_corpus("<!channel> @here <!subteam^S1> <@U999>")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    for name, body in CORPUS.items():
        (root / name).write_text(body)
    return root


@pytest.fixture(scope="session")
def kb_template(corpus: Path, tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Path:
    """The corpus indexed once; each test copies the index into its own home."""
    from knowledge import KnowledgeBase

    path = tmp_path_factory.mktemp("kb") / "lancedb"
    KnowledgeBase(path, chunk_chars=load_settings().kb_chunk_chars).ingest([corpus])
    return path


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack(members=["UAGENT", "UAGENT2"], names={"UAGENT": "Sam", "UAGENT2": "Riley"})
    server.start()
    yield server
    server.stop()


def make_runtime(home: Path, api_url: str, kb_template: Path) -> Runtime:
    settings = load_settings(
        _env_file=None,
        home=home,
        database_url=None,
        anthropic_api_key=None,
        kb_sources=[],
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_mode="http",
        slack_api_url=api_url,
        slack_agents_channel=AGENTS,
        slack_help_channels=f"{HELP},C111",
    )
    shutil.copytree(kb_template, settings.lancedb_path)
    return build_runtime(settings)


@pytest.fixture
def runtime(home: Path, fake: FakeSlack, kb_template: Path) -> Iterator[Runtime]:
    built = make_runtime(home, fake.url, kb_template)
    yield built
    built.database.dispose()


@pytest.fixture
def slack(runtime: Runtime) -> SlackAdapter:
    return SlackAdapter(runtime, pace_seconds=0.0)


def sign(body: str, *, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"x-slack-request-timestamp": ts, "x-slack-signature": signature}


async def dispatch(
    adapter: SlackAdapter,
    body: str,
    *,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    drain: bool = True,
) -> BoltResponse:
    all_headers = {"content-type": content_type, **sign(body), **(headers or {})}
    response = await adapter.app.async_dispatch(AsyncBoltRequest(body=body, headers=all_headers))
    if drain:
        await adapter.drain()
    return response


def event_body(event: dict[str, Any], *, team: str = TEAM, event_id: str = "Ev1") -> str:
    return json.dumps(
        {
            "token": "t",
            "team_id": team,
            "api_app_id": "A1",
            "event": {"team": team, **event},
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
        }
    )


def message(
    text_: str, *, ts: str, user: str = "UCUST", channel: str = HELP, **extra: Any
) -> dict[str, Any]:
    channel_type = "im" if channel.startswith("D") else "channel"
    return {
        "type": "message",
        "user": user,
        "text": text_,
        "ts": ts,
        "channel": channel,
        "channel_type": channel_type,
        "event_ts": ts,
        **extra,
    }


def payload_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def button_press(
    action_id: str,
    value: str,
    *,
    user: str,
    channel: str = AGENTS,
    message_ts: str = "1.0",
    respond_url: str = "",
    team: str = TEAM,
) -> str:
    return payload_body(
        {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
            "api_app_id": "A1",
            "token": "t",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "trigger_id": "1.2.3",
            "team": {"id": team, "domain": "test"},
            "channel": {"id": channel, "name": "x"},
            "message": {"ts": message_ts, "type": "message"},
            "response_url": respond_url or "https://hooks.slack.com/actions/T1/1/x",
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "b",
                    "value": value,
                    "type": "button",
                    "action_ts": "1.1",
                }
            ],
        }
    )


def count(runtime: Runtime, sql: str) -> Any:
    with runtime.database.connect() as conn:
        return conn.execute(text(sql)).scalar()
