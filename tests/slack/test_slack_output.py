"""What the bot posts: nothing that pings, Slack's size limits, and /kb."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from adapters.slack.app import SlackAdapter
from adapters.slack.render import (
    BUTTON_TEXT_CHARS,
    MAX_BLOCKS,
    SECTION_CHARS,
    escape,
    render,
    split_text,
)
from bot.runtime import Runtime
from bot.types import (
    AskRating,
    Button,
    Citation,
    Place,
    Platform,
    PostInThread,
    Reply,
)
from tests.slack.conftest import AGENTS, HELP, TEAM, button_press, dispatch, event_body, message
from tests.slack.fake_slack import FakeSlack

PINGS = ("<!channel", "<!here", "<!everyone", "<!subteam", "<@")
FORM = "application/x-www-form-urlencoded"


def assert_nothing_pings(fake: FakeSlack) -> None:
    sent = fake.posted_texts()
    assert sent
    for raw in sent:
        decoded = json.dumps(json.loads(raw)) if raw.startswith("{") else raw
        for ping in PINGS:
            assert ping not in decoded, (ping, decoded[:300])
        assert "@here" not in decoded and "@channel" not in decoded
        assert "link_names" not in decoded


async def test_kb_passage_and_user_text_with_mass_mentions_ping_nobody(
    slack: SlackAdapter, fake: FakeSlack, runtime: Runtime
) -> None:
    question = "<!channel> @here <!subteam^S1> <@U999> when are the scheduled maintenance windows?"
    await dispatch(slack, event_body(message(question, ts="600.1")))
    answer = fake.of("chat.postMessage")[0]
    assert "Sunday" in answer.body["text"]  # the passage holding the mentions was quoted
    assert "&lt;!channel&gt;" in answer.body["text"]
    # escalate, so the customer's words also land in the card, summary and handoff thread
    await dispatch(
        slack, event_body(message(f"{question} I want a human", ts="600.2", thread_ts="600.1"))
    )
    assert any(c.body["channel"] == AGENTS for c in fake.of("chat.postMessage"))
    assert_nothing_pings(fake)


async def test_kb_command_is_private_and_share_posts_in_channel(
    slack: SlackAdapter, fake: FakeSlack
) -> None:
    command = urlencode(
        {
            "token": "t",
            "team_id": TEAM,
            "channel_id": HELP,
            "user_id": "UCUST",
            "user_name": "cust",
            "command": "/kb",
            "text": "export my data as CSV",
            "response_url": fake.respond_url + "cmd",
            "trigger_id": "1.2",
        }
    )
    response = await dispatch(slack, command, content_type=FORM)
    assert response.status == 200
    results = [c for c in fake.calls if c.method.startswith("/respond/")]
    assert len(results) == 1
    body = results[0].body
    assert body["response_type"] == "ephemeral"
    assert "Exporting your project data" in json.dumps(body["blocks"])
    share = next(e for b in body["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert share["action_id"] == "kb_share" and share["text"]["text"] == "Share in channel"
    assert fake.of("chat.postMessage") == []  # nothing public yet

    press = button_press(
        "kb_share",
        share["value"],
        user="UCUST",
        channel=HELP,
        respond_url=fake.respond_url + "share",
    )
    await dispatch(slack, press, content_type=FORM)
    posted = fake.of("chat.postMessage")
    assert len(posted) == 1 and posted[0].body["channel"] == HELP
    assert "Exporting your project data" in posted[0].raw


async def test_kb_command_without_question_explains_usage(
    slack: SlackAdapter, fake: FakeSlack
) -> None:
    command = urlencode(
        {
            "team_id": TEAM,
            "channel_id": HELP,
            "user_id": "U1",
            "command": "/kb",
            "text": " ",
            "response_url": fake.respond_url + "x",
        }
    )
    await dispatch(slack, command, content_type=FORM)
    assert "Usage" in next(c for c in fake.calls if c.method.startswith("/respond/")).raw


async def test_assistant_thread_gets_prompts_and_a_thinking_status(
    slack: SlackAdapter, fake: FakeSlack
) -> None:
    started = {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": "UCUST",
            "channel_id": "D9",
            "thread_ts": "50.1",
            "context": {},
        },
        "event_ts": "50.2",
    }
    await dispatch(slack, event_body(started))
    prompts = fake.of("assistant.threads.setSuggestedPrompts")
    assert len(prompts) == 1 and prompts[0].body["thread_ts"] == "50.1"
    await dispatch(
        slack, event_body(message("reset password?", ts="50.3", channel="D9", thread_ts="50.1"))
    )
    methods = [c.method for c in fake.calls]
    assert methods.index("assistant.threads.setStatus") < methods.index("chat.postMessage")
    assert fake.of("chat.postMessage")[0].body["thread_ts"] == "50.1"


# --- rendering, pure -----------------------------------------------------------------------
def test_escape_defuses_every_special_sequence() -> None:
    text = escape("a & b <!channel> <@U1> <!subteam^S1|team> <https://x|y> @everyone")
    assert "<" not in text and ">" not in text and "&amp;" in text
    assert "@everyone" not in text


def test_long_reply_is_split_on_paragraphs_within_limits() -> None:
    paragraphs = [f"Paragraph {n}. " + "word " * 150 for n in range(200)]
    reply = Reply(
        Platform.SLACK,
        TEAM,
        HELP,
        "1.0",
        "\n\n".join(paragraphs),
        citations=(Citation("d", "Doc <x>", "https://e.com/a?b=1&c=2"),),
    )
    calls = render(reply)
    assert len(calls) >= 2
    for call in calls:
        blocks = call.args["blocks"]
        assert len(blocks) <= MAX_BLOCKS
        for block in blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= SECTION_CHARS
                assert block["text"]["text"].startswith("Paragraph")
        assert call.args["text"] and call.args["thread_ts"] == "1.0"
    context = calls[-1].args["blocks"][-1]
    assert context["type"] == "context"
    assert "<https://e.com/a?b=1&amp;c=2|Doc &lt;x&gt;>" in context["elements"][0]["text"]


def test_code_blocks_are_not_split_when_they_fit() -> None:
    code = "```\n" + "\n".join(f"line {n}" for n in range(200)) + "\n```"
    text = "intro " * 400 + "\n\n" + code + "\n\nafter"
    pieces = split_text(text, SECTION_CHARS)
    assert any(code in p for p in pieces)
    assert all(len(p) <= SECTION_CHARS for p in pieces)
    huge = "```\n" + "\n".join("x" * 80 for _ in range(100)) + "\n```"
    for piece in split_text(huge, 1000):
        assert piece.startswith("```") and piece.endswith("```") and len(piece) <= 1000


def test_buttons_respect_limits_and_dms_are_not_threaded() -> None:
    rating = AskRating(
        Place(Platform.SLACK, TEAM, "D1", "D1"), "Rate us", (Button("rate", "x" * 200, "v" * 3000),)
    )
    call = render(rating)[0]
    element = call.args["blocks"][1]["elements"][0]
    assert len(element["text"]["text"]) <= BUTTON_TEXT_CHARS and len(element["value"]) <= 2000
    assert "thread_ts" not in call.args
    relay = render(
        PostInThread(Place(Platform.SLACK, TEAM, HELP, "9.9"), "hi <!here>", author="Sam <@U1>")
    )[0]
    assert relay.args["text"].startswith("*Sam &lt;@U1&gt;:* hi &lt;!here&gt;")
