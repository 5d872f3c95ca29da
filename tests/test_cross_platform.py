"""A cross-platform escalation end to end: Discord customers, Slack agents, one process.

Both real adapters run from one runtime under `bot.service.serve`, exactly as
`supportbot serve --platform slack --platform discord` wires them: the Discord bot against
the fake Discord (HTTP API + gateway on loopback), the Slack app in HTTP mode on a loopback
port against the fake Slack Web API. Slack requests are signed and POSTed to
/slack/events, so they go through Bolt's verification and dispatch. Everything is asserted
on what the fakes recorded and on the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from fakes.corpus import small_corpus
from sqlalchemy import text

from adapters.discord import DiscordAdapter, build_discord
from adapters.slack import build_slack
from adapters.slack.app import EVENTS_PATH, SlackAdapter
from bot.config import load_settings
from bot.runtime import Runtime, build_runtime
from bot.service import serve
from bot.types import Platform
from tests.discord.fake_discord import GUILD_ID, HELP_CHANNEL, FakeDiscord
from tests.discord.payloads import CUSTOMER, message_create, now_snowflake
from tests.discord.payloads import button_press as discord_press
from tests.slack.conftest import SECRET, TEAM, event_body, sign
from tests.slack.conftest import button_press as slack_press
from tests.slack.conftest import message as slack_message
from tests.slack.fake_slack import Call, FakeSlack

AGENTS = "CAGENTS"  # the Slack agents channel: the escalation desk
AGENT = "UAGENT"
QUESTION = 600  # the Discord customer's message; the bot's thread on it has the same id
FOLLOW_UP = 601
FORM = "application/x-www-form-urlencoded"
WAIT = 12.0  # seconds any single step may take before the test fails (never hangs)
PING = re.compile(r"(?<!\u2060)@(everyone|here)\b")

CORPUS = small_corpus("@everyone @here")


# --- helpers ---------------------------------------------------------------------------------
async def eventually(predicate: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """Poll until `predicate()` is truthy and return it; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for: {what}")
        await asyncio.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rows(runtime: Runtime, sql: str) -> list[tuple[Any, ...]]:
    with runtime.database.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def slack_posts(fake: FakeSlack, channel: str, thread: str | None = None) -> list[Call]:
    """chat.postMessage calls in `channel`: top-level ones, or those in `thread`."""
    return [
        c
        for c in fake.of("chat.postMessage")
        if c.body.get("channel") == channel and c.body.get("thread_ts") == thread
    ]


def cards(fake: FakeSlack) -> list[Call]:
    """Top-level posts in the agents channel that carry a Claim button."""
    return [c for c in slack_posts(fake, AGENTS) if '"esc:claim"' in c.raw]


def contents(fake: FakeDiscord, channel: int | str) -> list[str]:
    return [r.body.get("content") or "" for r in fake.posted_to(channel)]


def leaked(fake: FakeSlack) -> list[Call]:
    """Slack calls aimed at Discord ids: a Discord-bound action rendered by the Slack adapter."""
    discord_ids = {str(HELP_CHANNEL), str(QUESTION), str(GUILD_ID)}
    return [
        c
        for c in fake.calls
        if c.method.startswith("chat.") and c.body.get("channel") in discord_ids
    ]


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message.get("components") or [] for c in row["components"]]


@dataclass
class Live:
    discord: DiscordAdapter
    slack: SlackAdapter
    slack_url: str
    http: aiohttp.ClientSession

    async def to_slack(self, body: str, content_type: str = "application/json") -> None:
        """POST a signed request to the Slack adapter's /slack/events, as Slack does."""
        headers = {"content-type": content_type, **sign(body)}
        async with self.http.post(self.slack_url, data=body, headers=headers) as response:
            assert response.status == 200, await response.text()


# --- fixtures --------------------------------------------------------------------------------
@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def slack_fake() -> Iterator[FakeSlack]:
    server = FakeSlack(members=[AGENT], names={AGENT: "Sam"}, team=TEAM)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def runtime(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    discord_fake: FakeDiscord,
    slack_fake: FakeSlack,
    embedder: Any,
    restore_discord_globals: None,
) -> Iterator[Runtime]:
    """One runtime configured for both platforms from the environment, as in production."""
    for name in (
        "SLACK_APP_TOKEN",
        "SLACK_HELP_CHANNELS",
        "DISCORD_AGENTS_CHANNEL",
        "DISCORD_AGENT_ROLE",
    ):
        monkeypatch.delenv(name, raising=False)
    env = {
        "DISCORD_TOKEN": "fake-token",
        "DISCORD_API_BASE": discord_fake.api_base,
        "DISCORD_GUILD_IDS": str(GUILD_ID),
        "DISCORD_HELP_CHANNELS": str(HELP_CHANNEL),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_MODE": "http",
        "SLACK_API_URL": slack_fake.url,
        "SLACK_AGENTS_CHANNEL": AGENTS,
        "PORT": str(free_port()),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    corpus = tmp_path / "kb"
    corpus.mkdir()
    for name, body in CORPUS.items():
        (corpus / name).write_text(body)
    built = build_runtime(load_settings(_env_file=None))
    built.knowledge.ingest([corpus])
    assert built.handoff.desk.platform is Platform.SLACK  # SLACK_AGENTS_CHANNEL wins
    yield built
    built.database.dispose()


@pytest.fixture
async def live(runtime: Runtime, discord_fake: FakeDiscord) -> AsyncIterator[Live]:
    """Both adapters served by `serve`, as the `serve` CLI command runs them."""
    discord_adapter = build_discord(runtime)
    slack = build_slack(runtime)
    served = asyncio.create_task(
        serve(
            runtime,
            [discord_adapter.run, slack.run],
            {Platform.SLACK: slack.deliver, Platform.DISCORD: discord_adapter.deliver},
        )
    )
    url = f"http://127.0.0.1:{runtime.settings.port}{EVENTS_PATH}"
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT))
    try:
        # Polled, not awaited: the bot's ready event exists only once `serve` has started it.
        await eventually(
            lambda: served.done() or discord_adapter.bot.is_ready(),
            "the Discord bot getting ready against the fake Discord",
            timeout=15,
        )
        if served.done():
            served.result()  # an adapter died while starting: show its error
            raise AssertionError("serve() ended before the test began")
        await eventually(lambda: _listening(runtime.settings.port), "the Slack HTTP endpoint")
        yield Live(discord_adapter, slack, url, http)
    finally:
        await http.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(discord_adapter.close(), 10)
        # The first adapter to end makes `serve` cancel the other and stop the scheduler.
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(served, 10)
        with contextlib.suppress(Exception):  # let the cancelled Slack server close its port
            await eventually(lambda: not _listening(runtime.settings.port), "Slack to stop", 10)
            await asyncio.wait_for(slack.drain(), 10)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


# --- the scenario ----------------------------------------------------------------------------
@pytest.mark.timeout(120)
async def test_discord_customer_is_helped_by_a_slack_agent_end_to_end(
    live: Live, runtime: Runtime, discord_fake: FakeDiscord, slack_fake: FakeSlack
) -> None:
    # 1. A Discord customer asks for a human in the help channel.
    await discord_fake.dispatch(
        "MESSAGE_CREATE",
        message_create(QUESTION, HELP_CHANNEL, "I want to talk to a human please, now."),
    )
    await eventually(
        lambda: discord_fake.posted_to(QUESTION), "the bot's reply in the customer's Discord thread"
    )
    card = (
        await eventually(
            lambda: cards(slack_fake),
            "the escalation card (chat.postMessage with a Claim button) in the Slack agents "
            "channel - the engine's PostEscalation for the Slack desk was returned to the "
            "Discord adapter",
        )
    )[0]
    claim = next(
        element
        for block in card.body["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == "esc:claim"
    )
    public_id = claim["value"]
    assert card.body["blocks"][0]["type"] == "header"
    assert "(discord)" in card.raw  # the card says where the customer is
    (desk_row,) = await eventually(
        lambda: rows(
            runtime,
            "SELECT platform, workspace, channel, message, thread FROM escalation_cards",
        ),
        "the card's Slack message recorded with HandoffService.card_posted",
    )
    platform, workspace, channel, card_ts, handoff_thread = desk_row
    assert (platform, workspace, channel) == ("slack", TEAM, AGENTS)
    summary = slack_posts(slack_fake, AGENTS, card_ts)
    assert len(summary) == 1 and "*Issue:*" in summary[0].body["text"]
    assert handoff_thread == card_ts
    assert rows(runtime, "SELECT public_id, status, claimed_by FROM escalations") == [
        (public_id, "open", None)
    ]
    # The card went to Slack only: Discord saw nothing but the customer's thread.
    assert {r.path for r in discord_fake.requests if r.method == "POST" and r.is_message} == {
        f"/channels/{QUESTION}/messages"
    }

    # 2. A Slack agent claims: the card is updated, the Discord customer hears who joined.
    await live.to_slack(
        slack_press("esc:claim", public_id, user=AGENT, message_ts=card_ts), content_type=FORM
    )
    update = (
        await eventually(lambda: slack_fake.of("chat.update"), "chat.update of the claimed card")
    )[0]
    assert update.body["channel"] == AGENTS and update.body["ts"] == card_ts
    assert "esc:resolve" in update.raw and "esc:claim" not in update.raw
    assert rows(runtime, "SELECT status, claimed_by, claimed_by_name FROM escalations") == [
        ("claimed", f"slack:{TEAM}:{AGENT}", "Sam")
    ]
    await eventually(
        lambda: any(
            "Sam from the support team has joined" in c for c in contents(discord_fake, QUESTION)
        ),
        "the Discord customer being told that Sam joined (a PostInThread for Discord returned "
        "to the Slack adapter)",
    )
    assert leaked(slack_fake) == [], "Slack was asked to post into Discord channels"

    # 3. The agent writes in the Slack handoff thread: it reaches the customer's Discord thread.
    before = len(discord_fake.posted_to(QUESTION))
    agent_text = "Hi Casey! Open the sign-in page and click Forgot password. @here"
    await live.to_slack(
        event_body(
            slack_message(
                agent_text,
                ts="1700000100.000100",
                channel=AGENTS,
                user=AGENT,
                thread_ts=handoff_thread,
            ),
            event_id="EvAgent1",
        )
    )
    relayed = await eventually(
        lambda: [
            r
            for r in discord_fake.posted_to(QUESTION)[before:]
            if "Forgot password" in r.body["content"]
        ],
        "the agent's Slack message relayed to the customer's Discord thread",
    )
    assert len(relayed) == 1
    relay = relayed[0].body
    assert relay["content"].startswith("**Sam (support):** Hi Casey! Open the sign-in page")
    assert not PING.search(relay["content"])
    assert relay["allowed_mentions"]["parse"] == []
    assert rows(runtime, "SELECT text FROM messages WHERE role = 'agent'") == [(agent_text,)]

    # 4. The customer answers in their Discord thread: it reaches the Slack handoff thread,
    #    and the bot stays quiet because a person has the conversation.
    quiet_from = len(discord_fake.posted_to(QUESTION))
    await discord_fake.dispatch(
        "MESSAGE_CREATE",
        message_create(FOLLOW_UP, QUESTION, "Thanks! The reset email has not arrived yet."),
    )
    forwarded = await eventually(
        lambda: [
            c
            for c in slack_posts(slack_fake, AGENTS, handoff_thread)
            if "reset email has not arrived" in c.body["text"]
        ],
        "the customer's Discord reply posted in the Slack handoff thread",
    )
    assert len(forwarded) == 1
    assert forwarded[0].body["text"].startswith("*Casey (customer):* Thanks!")
    await asyncio.sleep(0.5)  # room for a wrong bot answer to show up
    assert len(discord_fake.posted_to(QUESTION)) == quiet_from

    # 5. The agent resolves: the card shows it, the Discord customer is asked to rate.
    await live.to_slack(
        slack_press("esc:resolve", public_id, user=AGENT, message_ts=card_ts), content_type=FORM
    )
    await eventually(lambda: len(slack_fake.of("chat.update")) >= 2, "the resolved card update")
    assert "esc:" not in slack_fake.of("chat.update")[-1].raw  # no buttons left
    asked = await eventually(
        lambda: [r for r in discord_fake.posted_to(QUESTION) if custom_ids(r.body)],
        "the rating buttons in the customer's Discord thread",
    )
    rating = asked[0]
    conversation = rows(runtime, "SELECT conversation_id FROM escalations")[0][0]
    assert custom_ids(rating.body) == [f"rate:{conversation}:{n}" for n in range(1, 6)]
    assert "How did we do?" in rating.body["content"]
    assert rating.body["allowed_mentions"]["parse"] == []
    assert any("marked this as resolved" in c for c in contents(discord_fake, QUESTION))
    assert rows(runtime, "SELECT status FROM escalations") == [("resolved",)]

    # 6. The customer rates 5 on Discord: stored against the human-handled escalation.
    iid = now_snowflake()
    press = discord_press(
        {"type": 3, "version": 1},
        f"rate:{conversation}:5",
        rating.response,
        presser=CUSTOMER,
        name="casey",
        interaction_id=iid,
    )
    await discord_fake.dispatch("INTERACTION_CREATE", press)
    thanks = await eventually(
        lambda: [r for r in discord_fake.requests if r.path.startswith("/webhooks/")],
        "the ephemeral thanks for the rating",
    )
    assert "Thanks for rating" in thanks[0].body["content"] and thanks[0].body["flags"] & 64
    assert rows(runtime, "SELECT score, path FROM ratings") == [(5, "human")]

    # Nothing leaked to the wrong platform, and nothing the bot sent on Discord could ping.
    assert leaked(slack_fake) == [], "Slack was asked to post into Discord channels"
    for request in discord_fake.messages():
        if request.path.startswith("/channels/"):
            assert request.body["allowed_mentions"]["parse"] == []
    assert not [r for r in discord_fake.requests if r.path.startswith(f"/channels/{AGENTS}")]
