"""Escalation cards, buttons and relays through real Bolt dispatch and the real core."""

from __future__ import annotations

import asyncio
import time

from adapters.slack.app import SlackAdapter
from bot.runtime import Runtime
from tests.slack.conftest import (
    AGENTS,
    HELP,
    button_press,
    count,
    dispatch,
    event_body,
    message,
)
from tests.slack.fake_slack import FakeSlack


async def escalate(slack: SlackAdapter, fake: FakeSlack, ts: str = "700.1") -> str:
    """A customer asks for a person; returns the escalation's public id from the card."""
    await dispatch(slack, event_body(message("I want to talk to a human please", ts=ts)))
    card = next(
        p
        for p in fake.of("chat.postMessage")
        if p.body["channel"] == AGENTS and "thread_ts" not in p.body
    )
    actions = next(b for b in card.body["blocks"] if b["type"] == "actions")
    claim = actions["elements"][0]
    assert claim["action_id"] == "esc:claim"
    return claim["value"]


async def test_escalation_posts_card_summary_and_records_where(
    slack: SlackAdapter, fake: FakeSlack, runtime: Runtime
) -> None:
    public_id = await escalate(slack, fake)
    customer = [p for p in fake.of("chat.postMessage") if p.body["channel"] == HELP]
    assert len(customer) == 1 and customer[0].body["thread_ts"] == "700.1"
    desk = [p for p in fake.of("chat.postMessage") if p.body["channel"] == AGENTS]
    card, summary = desk[0], desk[1]
    assert card.body["blocks"][0]["type"] == "header"
    assert any(b["type"] == "section" and "fields" in b for b in card.body["blocks"])
    assert "*Issue:*" in summary.body["text"] and summary.body["thread_ts"]
    row = (
        runtime.database.connect()
        .exec_driver_sql("SELECT workspace, channel, message, thread FROM escalation_cards")
        .one()
    )
    assert row[0] == "T1" and row[1] == AGENTS and row[2] == row[3] == summary.body["thread_ts"]
    assert len(public_id) == 16


async def test_two_agents_claim_at_once_one_owner(
    slack: SlackAdapter, fake: FakeSlack, runtime: Runtime
) -> None:
    public_id = await escalate(slack, fake)
    await asyncio.gather(
        dispatch(
            slack,
            button_press("esc:claim", public_id, user="UAGENT"),
            drain=False,
            content_type="application/x-www-form-urlencoded",
        ),
        dispatch(
            slack,
            button_press("esc:claim", public_id, user="UAGENT2"),
            drain=False,
            content_type="application/x-www-form-urlencoded",
        ),
    )
    await slack.drain()
    assert count(runtime, "SELECT count(*) FROM escalations WHERE status = 'claimed'") == 1
    denials = [c.body for c in fake.of("chat.postEphemeral")]
    assert len(denials) == 1 and denials[0]["text"].startswith("Already claimed by ")
    assert denials[0]["user"] in {"UAGENT", "UAGENT2"}
    updates = fake.of("chat.update")
    assert len(updates) == 1 and updates[0].body["channel"] == AGENTS
    assert "esc:resolve" in updates[0].raw
    joined = [p for p in fake.of("chat.postMessage") if "has joined" in p.raw]
    assert len(joined) == 1 and joined[0].body["channel"] == HELP


async def test_non_agent_cannot_claim(
    slack: SlackAdapter, fake: FakeSlack, runtime: Runtime
) -> None:
    public_id = await escalate(slack, fake)
    before = runtime.database.connect().exec_driver_sql("SELECT * FROM escalations").all()
    await dispatch(
        slack,
        button_press("esc:claim", public_id, user="UCUST"),
        content_type="application/x-www-form-urlencoded",
    )
    after = runtime.database.connect().exec_driver_sql("SELECT * FROM escalations").all()
    assert before == after
    notices = fake.of("chat.postEphemeral")
    assert len(notices) == 1 and "Only support agents" in notices[0].body["text"]
    assert fake.of("chat.update") == []


async def test_agent_from_another_team_is_not_an_agent(
    slack: SlackAdapter, fake: FakeSlack, runtime: Runtime
) -> None:
    public_id = await escalate(slack, fake)
    press = button_press("esc:claim", public_id, user="UAGENT", team="TOTHER")
    await dispatch(slack, press, content_type="application/x-www-form-urlencoded")
    assert count(runtime, "SELECT count(*) FROM escalations WHERE status = 'open'") == 1


async def test_relay_both_ways_then_resolve_and_rate(
    slack: SlackAdapter, fake: FakeSlack, runtime: Runtime
) -> None:
    form = "application/x-www-form-urlencoded"
    public_id = await escalate(slack, fake)
    handoff_thread = next(
        p.body["thread_ts"]
        for p in fake.of("chat.postMessage")
        if p.body["channel"] == AGENTS and "thread_ts" in p.body
    )
    await dispatch(slack, button_press("esc:claim", public_id, user="UAGENT"), content_type=form)
    fake.calls.clear()

    # The customer writes while claimed: it reaches the handoff thread, no bot answer.
    customer = message("how do I reset my password?", ts="700.5", thread_ts="700.1")
    await dispatch(slack, event_body(customer))
    posts = fake.of("chat.postMessage")
    assert len(posts) == 1
    assert posts[0].body["channel"] == AGENTS and posts[0].body["thread_ts"] == handoff_thread
    assert "(customer):*" in posts[0].body["text"]
    fake.calls.clear()

    # The agent answers in the handoff thread: relayed to the customer, author in bold.
    agent = message(
        "Hi! Try the Forgot password link.",
        ts="800.1",
        channel=AGENTS,
        user="UAGENT",
        thread_ts=handoff_thread,
    )
    await dispatch(slack, event_body(agent))
    await dispatch(slack, event_body(agent), headers={"x-slack-retry-num": "1"})
    relayed = fake.of("chat.postMessage")
    assert len(relayed) == 1
    assert relayed[0].body["channel"] == HELP and relayed[0].body["thread_ts"] == "700.1"
    assert relayed[0].body["text"].startswith("*Sam (support):* Hi!")
    fake.calls.clear()

    await dispatch(slack, button_press("esc:resolve", public_id, user="UAGENT"), content_type=form)
    assert count(runtime, "SELECT status FROM escalations") == "resolved"
    rating = next(p for p in fake.of("chat.postMessage") if "How did we do?" in p.raw)
    buttons = next(b for b in rating.body["blocks"] if b["type"] == "actions")["elements"]
    assert [b["text"]["text"] for b in buttons] == ["1", "2", "3", "4", "5"]
    five = buttons[-1]
    assert five["action_id"].startswith("rate")
    fake.calls.clear()

    press = button_press(five["action_id"], five["value"], user="UCUST", channel=HELP)
    await dispatch(slack, press, content_type=form)
    thanks = fake.of("chat.postEphemeral")
    assert len(thanks) == 1 and "Thanks for rating" in thanks[0].body["text"]
    assert count(runtime, "SELECT score FROM ratings") == 5


async def test_rate_limited_call_is_retried_after_retry_after(
    slack: SlackAdapter, fake: FakeSlack
) -> None:
    fake.fail_next("chat.postMessage", 429, {"Retry-After": "1"})
    started = time.monotonic()
    await dispatch(slack, event_body(message("How do I reset my password?", ts="900.1")))
    posts = fake.of("chat.postMessage")
    assert len(posts) == 2  # the 429, then the retry
    assert posts[1].at - posts[0].at >= 0.9
    assert time.monotonic() - started >= 0.9


async def test_messages_in_one_channel_are_paced(runtime: Runtime, fake: FakeSlack) -> None:
    from adapters.slack.app import SlackAdapter as Adapter
    from bot.types import Place, Platform, PostInThread

    paced = Adapter(runtime, pace_seconds=0.3)
    place = Place(Platform.SLACK, "T1", HELP, "1.0")
    await paced.deliver([PostInThread(place, f"note {n}") for n in range(3)])
    times = [c.at for c in fake.of("chat.postMessage")]
    assert len(times) == 3 and times[2] - times[0] >= 0.55
