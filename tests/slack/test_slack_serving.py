"""`run()` in HTTP mode serves /slack/events over aiohttp; build_slack checks settings."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest

from adapters.slack import build_slack
from adapters.slack.app import SlackAdapter
from bot.config import SettingsError, SlackMode
from bot.runtime import Runtime
from tests.slack.conftest import event_body, message, sign
from tests.slack.fake_slack import FakeSlack


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_http_mode_serves_signed_events(runtime: Runtime, fake: FakeSlack) -> None:
    runtime.settings.port = free_port()
    slack = SlackAdapter(runtime, pace_seconds=0.0)
    task = asyncio.create_task(slack.run())
    body = event_body(message("How do I reset my password?", ts="10.1"))
    url = f"http://127.0.0.1:{runtime.settings.port}/slack/events"
    headers = {"content-type": "application/json", **sign(body)}
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(50):
                try:
                    async with http.post(url, data=body, headers=headers) as response:
                        assert response.status == 200
                        break
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0.05)
            async with http.post(url, data=body, headers={"x-slack-signature": "v0=bad"}) as bad:
                assert bad.status == 401
        await slack.drain()
        assert len(fake.of("chat.postMessage")) == 1
        assert fake.of("auth.test")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_deliver_renders_actions_from_jobs(runtime: Runtime, fake: FakeSlack) -> None:
    from bot.types import Place, Platform, PostInThread

    slack = SlackAdapter(runtime, pace_seconds=0.0)
    await slack.deliver([PostInThread(Place(Platform.SLACK, "slack", "CAGENTS", "5.5"), "ping?")])
    assert fake.of("chat.postMessage")[0].body["thread_ts"] == "5.5"


def test_build_slack_names_the_missing_setting(runtime: Runtime) -> None:
    runtime.settings.slack_mode = SlackMode.SOCKET
    runtime.settings.slack_app_token = None
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN"):
        build_slack(runtime)


async def test_failed_send_is_logged_without_message_text(
    runtime: Runtime, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.slack.conftest import dispatch

    slack = SlackAdapter(runtime, pace_seconds=0.0)
    fake.fail_next("chat.postMessage", 200, ok=False, error="channel_not_found")
    secret = "my account number is 12345, how do I reset my password?"
    with caplog.at_level("DEBUG", logger="adapters.slack"):
        await dispatch(slack, event_body(message(secret, ts="20.1")))
    assert "channel_not_found" in caplog.text
    assert "12345" not in caplog.text
