"""The Discord adapter end to end: real discord.py, a real runtime, a fake Discord on loopback."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import discord
from sqlalchemy import text

from tests.discord.conftest import start_bot, stop_bot
from tests.discord.fake_discord import (
    AGENT_ROLE,
    AGENTS_CHANNEL,
    BOT_ID,
    FORUM_CHANNEL,
    GENERAL_CHANNEL,
    GUILD_ID,
    HELP_CHANNEL,
    FakeDiscord,
    member,
    thread_channel,
    user,
)
from tests.discord.payloads import (
    AGENT,
    CUSTOMER,
    STRANGER,
    button_press,
    load_example,
    message_create,
    now_snowflake,
)

PING = re.compile(r"@(everyone|here)\b")


def escalation_rows(runtime) -> list[tuple]:
    with runtime.database.connect() as conn:
        return list(conn.execute(text("SELECT public_id, status, claimed_by FROM escalations")))


async def escalate(fake: FakeDiscord, message_id: int = 600):
    """A customer asks for a human; returns the card message as Discord returned it."""
    await fake.dispatch(
        "MESSAGE_CREATE",
        message_create(message_id, HELP_CHANNEL, "I want to talk to a human please, now."),
    )
    await fake.wait_for(lambda reqs: fake.posted_to(AGENTS_CHANNEL))
    card = fake.posted_to(AGENTS_CHANNEL)[0].response
    # the handoff summary lands in a thread created on the card message
    await fake.wait_for(lambda reqs: fake.posted_to(card["id"]))
    return card


def custom_id(card: dict, action: str) -> str:
    ids = [c["custom_id"] for row in card["components"] for c in row["components"]]
    return next(i for i in ids if i.startswith(f"esc:{action}:"))


async def test_replayed_message_after_resume_gets_one_reply(fake: FakeDiscord, discord_bot):
    question = message_create(501, HELP_CHANNEL, "How do I export my project data?")
    await fake.dispatch("MESSAGE_CREATE", question)
    await fake.wait_for(lambda reqs: fake.posted_to(501))
    await fake.dispatch("MESSAGE_CREATE", question)  # re-sent after a RESUME
    marker = message_create(502, HELP_CHANNEL, "How do I reset my password?")
    await fake.dispatch("MESSAGE_CREATE", marker)
    await fake.wait_for(lambda reqs: fake.posted_to(502))
    assert len(fake.posted_to(501)) == 1
    threads = [r for r in fake.requests if r.path.endswith("/messages/501/threads")]
    assert len(threads) == 1


async def test_mentions_never_ping(fake: FakeDiscord, discord_bot):
    await fake.dispatch(
        "MESSAGE_CREATE",
        message_create(
            510,
            HELP_CHANNEL,
            "@everyone when is scheduled maintenance? <@&300000000000000001> @here",
        ),
    )
    await fake.wait_for(lambda reqs: fake.posted_to(510))
    sent = fake.messages()
    assert sent
    for request in sent:
        mentions = request.body["allowed_mentions"]
        assert mentions["parse"] == []
        assert not mentions.get("roles") and not mentions.get("users")
        assert not PING.search(request.body.get("content") or "")
    reply = fake.posted_to(510)[0].body["content"]
    assert "maintenance" in reply.lower()
    assert "@\u2060everyone" in reply  # the KB passage's @everyone is defused


async def test_bots_own_messages_and_unrelated_channels_are_ignored(fake: FakeDiscord, discord_bot):
    await fake.dispatch(
        "MESSAGE_CREATE",
        message_create(520, HELP_CHANNEL, "How do I reset my password?", author=BOT_ID, bot=True),
    )
    await fake.dispatch(
        "MESSAGE_CREATE", message_create(521, GENERAL_CHANNEL, "How do I reset my password?")
    )
    mention = user(BOT_ID, "supportbot", bot=True)
    await fake.dispatch(
        "MESSAGE_CREATE",
        message_create(
            522,
            GENERAL_CHANNEL,
            f"<@{BOT_ID}> how do I reset my password?",
            mentions=(mention,),
        ),
    )
    await fake.wait_for(lambda reqs: fake.posted_to(522))
    assert not fake.posted_to(520) and not fake.posted_to(521)


async def test_forum_post_is_a_conversation_answered_in_place(fake: FakeDiscord, discord_bot):
    post = thread_channel(530, FORUM_CHANNEL, "Password help", CUSTOMER)
    await fake.dispatch("THREAD_CREATE", {**post, "newly_created": True})
    await fake.dispatch("MESSAGE_CREATE", message_create(530, 530, "How do I reset my password?"))
    await fake.wait_for(lambda reqs: fake.posted_to(530))
    assert not [r for r in fake.requests if r.path.endswith("/threads")]


async def test_direct_message_is_answered(fake: FakeDiscord, discord_bot):
    await fake.dispatch(
        "MESSAGE_CREATE", message_create(540, 541, "How do I reset my password?", guild=None)
    )
    await fake.wait_for(lambda reqs: fake.posted_to(541))
    [reply] = fake.posted_to(541)  # answered in the DM itself, once
    assert "Forgot password" in reply.body["content"]
    assert reply.body["allowed_mentions"]["parse"] == []
    assert not [r for r in fake.requests if r.path.endswith("/threads")]  # no thread in a DM


async def test_agent_in_customer_thread_is_recorded_not_answered(
    fake: FakeDiscord, discord_bot, runtime
):
    await fake.dispatch(
        "MESSAGE_CREATE", message_create(550, HELP_CHANNEL, "How do I reset my password?")
    )
    await fake.wait_for(lambda reqs: fake.posted_to(550))
    await fake.dispatch(
        "MESSAGE_CREATE",
        message_create(
            551, 550, "Try the reset link.", author=AGENT, name="sam", roles=(AGENT_ROLE,)
        ),
    )
    await fake.dispatch(
        "MESSAGE_CREATE", message_create(552, 550, "How do I export my project data?")
    )
    await fake.wait_for(lambda reqs: len(fake.posted_to(550)) >= 2)
    with runtime.database.connect() as conn:
        roles = [r[0] for r in conn.execute(text("SELECT role FROM messages ORDER BY id"))]
    assert len(fake.posted_to(550)) == 2  # the agent's message got no bot reply
    assert len(roles) >= 4


async def test_non_agent_press_is_denied_and_nothing_changes(
    fake: FakeDiscord, discord_bot, runtime, shared_data: Path
):
    card = await escalate(fake)
    before = escalation_rows(runtime)
    template = load_example(shared_data, "interaction_type3_button_click_FULL_2024docs.json")
    press = button_press(
        template,
        custom_id(card, "claim"),
        card,
        presser=STRANGER,
        name="mallory",
        interaction_id=(iid := now_snowflake()),
    )
    await fake.dispatch("INTERACTION_CREATE", press)
    followups = lambda reqs: [r for r in reqs if r.path.startswith("/webhooks/")]  # noqa: E731
    await fake.wait_for(followups)
    callback = next(
        r for r in fake.requests if r.path == f"/interactions/{iid}/token-{iid}/callback"
    )
    assert callback.query.get("with_response") in {"1", "true"}
    denial = followups(fake.requests)[0].body
    assert denial["flags"] & 64  # ephemeral
    assert "Only support agents" in denial["content"]
    assert escalation_rows(runtime) == before
    assert not [r for r in fake.requests if r.method == "PATCH"]


async def test_card_button_still_works_after_a_restart(
    fake: FakeDiscord, discord_bot, runtime, shared_data: Path
):
    card = await escalate(fake)
    await discord_bot.close()
    adapter, task = await start_bot(runtime, fake)  # a new Bot instance
    try:
        template = load_example(shared_data, "interaction_type3_button_click_FULL_2024docs.json")
        press = button_press(
            template,
            custom_id(card, "claim"),
            card,
            presser=AGENT,
            name="sam",
            roles=(AGENT_ROLE,),
            interaction_id=now_snowflake(),
        )
        await fake.dispatch("INTERACTION_CREATE", press)
        card_path = f"/channels/{AGENTS_CHANNEL}/messages/{card['id']}"
        await fake.wait_for(lambda reqs: [r for r in reqs if r.path == card_path])
        edit = next(r for r in fake.requests if r.path == card_path)
        assert edit.method == "PATCH"
        assert edit.body["allowed_mentions"]["parse"] == []
        assert escalation_rows(runtime)[0][1] == "claimed"
        # the customer hears that a person joined, in their thread
        await fake.wait_for(lambda reqs: len(fake.posted_to(600)) >= 2)
        assert "support team" in fake.posted_to(600)[-1].body["content"]
    finally:
        await stop_bot(adapter, task)


async def test_agent_in_other_guild_is_not_an_agent(
    fake: FakeDiscord, discord_bot, runtime, shared_data: Path
):
    card = await escalate(fake)
    template = load_example(shared_data, "interaction_type3_button_click_FULL_2024docs.json")
    press = button_press(
        template,
        custom_id(card, "claim"),
        card,
        presser=AGENT,
        name="sam",
        roles=(AGENT_ROLE,),
        guild=GUILD_ID + 8,
        interaction_id=now_snowflake(),
    )
    await fake.dispatch("INTERACTION_CREATE", press)
    await fake.wait_for(lambda reqs: [r for r in reqs if r.path.startswith("/webhooks/")])
    assert escalation_rows(runtime)[0][1] == "open"


async def test_stale_interaction_falls_back_to_a_direct_message(
    fake: FakeDiscord, discord_bot, runtime, shared_data: Path
):
    """Past ~14 minutes the interaction token is dead: the private notice goes by DM."""
    card = await escalate(fake)
    template = load_example(shared_data, "interaction_type3_button_click_FULL_2024docs.json")
    old = discord.utils.time_snowflake(discord.utils.utcnow() - timedelta(minutes=20))
    press = button_press(
        template,
        custom_id(card, "claim"),
        card,
        presser=STRANGER,
        name="mallory",
        interaction_id=old,
    )
    await fake.dispatch("INTERACTION_CREATE", press)
    await fake.wait_for(lambda reqs: [r for r in reqs if r.path == "/users/@me/channels"])
    dm = next(r for r in fake.requests if r.path == "/users/@me/channels").response["id"]
    await fake.wait_for(lambda reqs: fake.posted_to(dm))
    assert "Only support agents" in fake.posted_to(dm)[0].body["content"]
    assert not [r for r in fake.requests if r.path.startswith("/webhooks/")]


async def test_kb_command_is_ephemeral_and_share_posts_it(fake: FakeDiscord, discord_bot):
    iid = now_snowflake()
    command = {
        "id": str(iid),
        "application_id": "900000000000000002",
        "type": 2,
        "token": f"token-{iid}",
        "version": 1,
        "guild_id": str(GUILD_ID),
        "channel_id": str(HELP_CHANNEL),
        "channel": {"id": str(HELP_CHANNEL), "type": 0, "guild_id": str(GUILD_ID)},
        "member": member(CUSTOMER, "casey"),
        "locale": "en-US",
        "app_permissions": "442368",
        "entitlements": [],
        "attachment_size_limit": 10 * 1024 * 1024,
        "data": {
            "id": "1",
            "name": "kb",
            "type": 1,
            "options": [{"type": 3, "name": "question", "value": "reset password"}],
        },
    }
    await fake.dispatch("INTERACTION_CREATE", command)
    await fake.wait_for(lambda reqs: [r for r in reqs if r.path.startswith("/webhooks/")])
    callback = next(r for r in fake.requests if r.path.startswith(f"/interactions/{iid}/"))
    assert callback.body["type"] == 5 and callback.body["data"]["flags"] & 64
    result = next(r for r in fake.requests if r.path.startswith("/webhooks/"))
    assert result.body["flags"] & 64
    assert "reset" in result.body["embeds"][0]["fields"][0]["name"].lower()
    shared = {**result.response, "channel_id": str(HELP_CHANNEL), "flags": 64}
    template = {"type": 3, "version": 1}
    press = button_press(
        template, "kb:share", shared, presser=CUSTOMER, name="casey", interaction_id=now_snowflake()
    )
    await fake.dispatch("INTERACTION_CREATE", press)
    await fake.wait_for(lambda reqs: fake.posted_to(HELP_CHANNEL))
    post = fake.posted_to(HELP_CHANNEL)[0].body
    assert post["embeds"] and post["allowed_mentions"]["parse"] == []


async def test_deliver_ignores_other_platforms(fake: FakeDiscord, discord_bot):
    from bot.types import Place, Platform, PostInThread

    before = len(fake.requests)
    await discord_bot.deliver([PostInThread(Place(Platform.SLACK, "T1", "C1", "1.2"), "hi")])
    assert len(fake.requests) == before
