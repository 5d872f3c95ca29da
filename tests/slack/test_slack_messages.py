"""Customer messages through the real Bolt dispatch: what reaches the engine, and the replies."""

from __future__ import annotations

import asyncio
import json

from adapters.slack.app import SlackAdapter
from bot.runtime import Runtime
from tests.slack.conftest import HELP, count, dispatch, event_body, message
from tests.slack.fake_slack import FakeSlack


async def test_help_channel_question_is_answered_in_thread(
    slack: SlackAdapter, fake: FakeSlack, runtime: Runtime
) -> None:
    response = await dispatch(slack, event_body(message("How do I reset my password?", ts="100.1")))
    assert response.status == 200
    posts = fake.of("chat.postMessage")
    assert len(posts) == 1
    post = posts[0].body
    assert post["channel"] == HELP and post["thread_ts"] == "100.1"
    assert "Forgot password" in post["text"]
    assert post["blocks"][0]["type"] == "section"
    assert any(
        b["type"] == "context" and "<https://help.example.com/reset-password|" in json.dumps(b)
        for b in post["blocks"]
    )
    assert "link_names" not in post


async def test_retried_event_gives_one_reply(slack: SlackAdapter, fake: FakeSlack) -> None:
    body = event_body(message("How do I export my data?", ts="100.2"))
    await dispatch(slack, body)
    for retry in (1, 2, 3):
        headers = {"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"}
        response = await dispatch(slack, body, headers=headers)
        assert response.status == 200
    assert len(fake.of("chat.postMessage")) == 1


async def test_concurrent_retries_give_one_reply(slack: SlackAdapter, fake: FakeSlack) -> None:
    body = event_body(message("How do I export my data?", ts="100.3"))
    await asyncio.gather(*(dispatch(slack, body, drain=False) for _ in range(4)))
    await slack.drain()
    assert len(fake.of("chat.postMessage")) == 1


async def test_app_mention_and_message_are_one_message(
    slack: SlackAdapter, fake: FakeSlack
) -> None:
    text = "<@UBOT> how do I reset my password?"
    await dispatch(slack, event_body(message(text, ts="100.4"), event_id="EvA"))
    mention = {**message(text, ts="100.4"), "type": "app_mention"}
    await dispatch(slack, event_body(mention, event_id="EvB"))
    posts = fake.of("chat.postMessage")
    assert len(posts) == 1
    assert "UBOT" not in posts[0].raw  # the bot's own mention was stripped before the engine


async def test_mention_outside_help_channels_is_answered(
    slack: SlackAdapter, fake: FakeSlack
) -> None:
    mention = {**message("<@UBOT> reset password?", ts="100.5", channel="CRANDOM")}
    mention["type"] = "app_mention"
    await dispatch(slack, event_body(mention))
    plain_message = message("reset password?", ts="100.6", channel="CRANDOM")
    await dispatch(slack, event_body(plain_message, event_id="Ev2"))
    posts = fake.of("chat.postMessage")
    assert [p.body["thread_ts"] for p in posts] == ["100.5"]


async def test_dm_is_answered_without_a_thread(slack: SlackAdapter, fake: FakeSlack) -> None:
    await dispatch(slack, event_body(message("how do I reset my password", ts="1.1", channel="D1")))
    await dispatch(slack, event_body(message("and export data?", ts="1.2", channel="D1")))
    posts = fake.of("chat.postMessage")
    assert [p.body["channel"] for p in posts] == ["D1", "D1"]
    assert all("thread_ts" not in p.body for p in posts)


async def test_thread_replies_only_where_the_bot_takes_part(
    slack: SlackAdapter, fake: FakeSlack, runtime: Runtime
) -> None:
    await dispatch(slack, event_body(message("reset password?", ts="200.1")))
    follow_up = message("and how long is the link valid?", ts="200.2", thread_ts="200.1")
    await dispatch(slack, event_body(follow_up))
    stranger = message("reset password?", ts="300.2", thread_ts="300.1")  # humans chatting
    await dispatch(slack, event_body(stranger))
    posts = [p for p in fake.of("chat.postMessage") if p.body["channel"] == HELP]
    assert [p.body["thread_ts"] for p in posts] == ["200.1", "200.1"]
    assert count(runtime, "SELECT count(*) FROM conversations") == 1


async def test_edits_deletions_bots_and_own_messages_never_reach_the_engine(
    slack: SlackAdapter, fake: FakeSlack, runtime: Runtime
) -> None:
    ignored = [
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": HELP,
            "ts": "1.1",
            "message": {"user": "UCUST", "text": "edited", "ts": "1.0"},
        },
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": HELP,
            "ts": "1.2",
            "deleted_ts": "1.0",
        },
        {**message("from a bot", ts="1.3"), "bot_id": "B999"},
        {**message("classic bot", ts="1.4"), "subtype": "bot_message", "user": None},
        message("my own words", ts="1.5", user="UBOT"),
        {**message("joined", ts="1.6"), "subtype": "channel_join"},
    ]
    for number, event in enumerate(ignored):
        response = await dispatch(slack, event_body(event, event_id=f"Ev{number}"))
        assert response.status == 200
    assert fake.of("chat.postMessage") == []
    assert count(runtime, "SELECT count(*) FROM messages") == 0


async def test_agent_reply_in_customer_thread_is_recorded_and_bot_stays_quiet(
    slack: SlackAdapter, fake: FakeSlack, runtime: Runtime
) -> None:
    await dispatch(slack, event_body(message("reset password?", ts="400.1")))
    agent = message("I'll take this one", ts="400.2", thread_ts="400.1", user="UAGENT")
    await dispatch(slack, event_body(agent))
    assert len(fake.of("chat.postMessage")) == 1  # only the first answer
    assert count(runtime, "SELECT count(*) FROM messages WHERE role = 'agent'") == 1


async def test_signature_is_verified(slack: SlackAdapter, fake: FakeSlack) -> None:
    from slack_bolt.request.async_request import AsyncBoltRequest

    from tests.slack.conftest import sign

    body = event_body(message("reset password?", ts="500.1"))
    forged = {"content-type": "application/json", **sign(body, secret="wrong")}
    response = await slack.app.async_dispatch(AsyncBoltRequest(body=body, headers=forged))
    assert response.status == 401
    stale = {"content-type": "application/json", **sign(body, timestamp=1_600_000_000)}
    response = await slack.app.async_dispatch(AsyncBoltRequest(body=body, headers=stale))
    assert response.status == 401
    await slack.drain()
    assert fake.of("chat.postMessage") == []
