"""Every recorded Slack payload is either handled or deliberately ignored, and none raises."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.slack.app import SlackAdapter
from bot.runtime import Runtime
from tests.conftest import SHARED_DATA
from tests.slack.conftest import count, dispatch, make_runtime, payload_body
from tests.slack.fake_slack import FakeSlack

FOLDER = SHARED_DATA / "platform_payloads" / "slack"

# What the bot does with each payload; anything not listed must reach nothing.
ENGINE = {
    # mentions of the bot, anywhere
    "event_callback.app_mention__app__app_mention_event_body.json",
    "event_callback.app_mention__app_bot_only__app_mention_request_body.json",
    "event_callback.app_mention__events_say_stream__org_app_mention_event_body.json",
    "event_callback.app_mention__events_shared_channels__valid_event_body.json",
    # top-level messages in a help channel (C111 is one in these tests)
    "event_callback.message__message__message_body.json",
    "event_callback.message__message__message_body2.json",
    "event_callback.message__message__message_body3.json",
    "event_callback.message__events_org_apps__event_payload.json",
    "event_callback.message__message_bot__user_message_event_payload.json",
    "event_callback.message.file_share__message_file_share__event_payload.json",
    # direct messages (assistant threads included)
    "event_callback.message__events_assistant__user_message_event_body.json",
    "event_callback.message__events_assistant__user_message_event_body_with_action_token.json",
    "event_callback.message__events_assistant__user_message_event_body_with_assistant_thread.json",
}
ASSISTANT = {
    "event_callback.assistant_thread_started__events_assistant__thread_started_event_body.json",
}


def payload_files() -> list[Path]:
    if not FOLDER.is_dir():
        return []
    return sorted(
        p
        for p in FOLDER.rglob("*.json")
        if p.name != "INDEX.json" and "events_schema" not in str(p.parent)
    )


def as_request(payload: dict) -> tuple[str, str]:
    """(body, content type) the way Slack would send this payload."""
    if "__raw_form_body__" in payload:
        return payload["__raw_form_body__"], "application/x-www-form-urlencoded"
    kind = payload.get("type")
    if "event" in payload or kind in {"event_callback", "url_verification"}:
        return json.dumps(payload), "application/json"
    if "command" in payload:  # a slash command is a plain form
        from urllib.parse import urlencode

        return urlencode({k: str(v) for k, v in payload.items()}), (
            "application/x-www-form-urlencoded"
        )
    return payload_body(payload), "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def runtime(
    fake: FakeSlack, kb_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runtime]:
    """One runtime for the whole folder (building one costs a second or two)."""
    built = make_runtime(tmp_path_factory.mktemp("payloads") / "home", fake.url, kb_template)
    yield built
    built.database.dispose()


@pytest.fixture(scope="module")
def slack(runtime: Runtime) -> SlackAdapter:
    return SlackAdapter(runtime, pace_seconds=0.0)


@pytest.fixture(autouse=True)
def fresh(fake: FakeSlack, runtime: Runtime) -> None:
    """Payloads reuse message ids; forget what was seen so each file stands alone."""
    fake.calls.clear()
    with runtime.database.begin() as conn:
        conn.execute(text("DELETE FROM processed_events"))


@pytest.mark.parametrize("path", payload_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
async def test_payload_is_handled_or_ignored(
    path: Path, shared_data: Path, slack: SlackAdapter, fake: FakeSlack, runtime: Runtime
) -> None:
    body, content_type = as_request(json.loads(path.read_text()))
    escalations = count(runtime, "SELECT count(*) FROM escalations")
    response = await dispatch(slack, body, content_type=content_type)
    assert response.status < 500
    engine_saw = count(runtime, "SELECT count(*) FROM processed_events")
    pressed = count(runtime, "SELECT count(*) FROM escalations") - escalations
    prompts = fake.of("assistant.threads.setSuggestedPrompts")
    if path.name in ENGINE:
        assert engine_saw == 1, path.name
        assert fake.of("chat.postMessage"), "a handled message gets an answer"
    elif path.name in ASSISTANT:
        assert len(prompts) == 1 and engine_saw == 0
    else:
        assert (engine_saw, pressed, prompts) == (0, 0, []), path.name
        assert fake.of("chat.postMessage") == []


def test_the_payload_folder_is_covered(shared_data: Path) -> None:
    names = {p.name for p in payload_files()}
    assert ENGINE.issubset(names) and ASSISTANT.issubset(names)
