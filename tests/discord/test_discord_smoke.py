from __future__ import annotations

from tests.discord.fake_discord import HELP_CHANNEL, FakeDiscord
from tests.discord.payloads import message_create


async def test_help_channel_question_is_answered_in_a_new_thread(fake: FakeDiscord, discord_bot):
    await fake.dispatch(
        "MESSAGE_CREATE", message_create(500, HELP_CHANNEL, "How do I reset my password?")
    )
    await fake.wait_for(lambda reqs: fake.posted_to(500))
    paths = [(r.method, r.path) for r in fake.requests]
    print(paths)
    assert ("POST", f"/channels/{HELP_CHANNEL}/messages/500/threads") in paths
    reply = fake.posted_to(500)[0].body
    print(reply)
    assert reply["allowed_mentions"]["parse"] == []
