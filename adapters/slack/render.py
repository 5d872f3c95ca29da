"""Actions -> Slack Web API calls (method + arguments), as Block Kit with a text fallback.

Pure functions: nothing here talks to Slack. Every piece of text that came from a person or
the knowledge base is escaped for mrkdwn (`&`, `<`, `>`), so nothing can turn into
`<!channel>`, `<!here>`, `<!subteam^...>` or a user mention, and `link_names` is never set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.message_split import split_message
from bot.text import defuse_mass_mentions
from bot.types import (
    Action,
    AskRating,
    Button,
    CardView,
    Citation,
    PostEscalation,
    PostInThread,
    PrivateNotice,
    Reply,
    UpdateCard,
)

SECTION_CHARS = 3000
MAX_BLOCKS = 50
BUTTON_TEXT_CHARS = 75
VALUE_CHARS = 2000
HEADER_CHARS = 150
FIELD_CHARS = 2000
MAX_FIELDS = 10
FALLBACK_CHARS = 3000
CONTEXT_ELEMENTS = 10

Block = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SlackCall:
    """One Web API call. `escalation` marks the card of a PostEscalation (see outbox)."""

    method: str  # chat.postMessage | chat.update | chat.postEphemeral
    args: dict[str, Any] = field(default_factory=dict)
    escalation: str | None = None  # public id of the card this call posts
    summary: str | None = None  # the handoff summary to post in the card's thread

    @property
    def channel(self) -> str:
        return str(self.args.get("channel", ""))


# --- escaping ------------------------------------------------------------------------------
def escape(text: str) -> str:
    """Make text inert in mrkdwn: no links, mentions or special commands, no mass pings."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return defuse_mass_mentions(text)


def plain(text: str, limit: int) -> str:
    """plain_text is not parsed for mentions; still break `<!`/`<@` so no client ever could."""
    text = _SPECIAL.sub("<\u2060\\1", defuse_mass_mentions(" ".join(text.split())))
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SPECIAL = re.compile(r"<([!@#])")
_SAFE_URL = re.compile(r"^https?://[^\s<>|]+$")


def link(url: str | None, title: str) -> str:
    label = escape(title.replace("|", "/")) or "source"
    if url and _SAFE_URL.match(url):
        return f"<{url.replace('&', '&amp;')}|{label}>"
    return label


# --- splitting -----------------------------------------------------------------------------
def split_text(text: str, limit: int = SECTION_CHARS) -> list[str]:
    """Cut escaped mrkdwn into section-sized pieces (bot.message_split says how)."""
    return split_message(text, limit)


# --- blocks --------------------------------------------------------------------------------
def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def text_sections(escaped: str) -> list[Block]:
    return [section(piece) for piece in split_text(escaped, SECTION_CHARS)]


def button(action_id: str, label: str, value: str, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": plain(label, BUTTON_TEXT_CHARS), "emoji": True},
        "value": value[:VALUE_CHARS],
    }
    if style in {"primary", "danger"}:
        element["style"] = style
    return element


def citations_block(citations: tuple[Citation, ...]) -> Block | None:
    if not citations:
        return None
    links = [link(c.url, c.title) for c in citations[: CONTEXT_ELEMENTS - 1]]
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "Sources: " + " · ".join(links)}],
    }


def fallback(escaped: str) -> str:
    return escaped if len(escaped) <= FALLBACK_CHARS else escaped[: FALLBACK_CHARS - 1] + "…"


def messages(blocks: list[Block], text: str, base: dict[str, Any]) -> list[dict[str, Any]]:
    """Cut a long block list into messages of at most 50 blocks, each with its fallback."""
    out = []
    for start in range(0, max(len(blocks), 1), MAX_BLOCKS):
        chunk = blocks[start : start + MAX_BLOCKS]
        chunk_text = " ".join(
            b["text"]["text"] for b in chunk if b.get("type") == "section" and "text" in b
        )
        out.append({**base, "blocks": chunk, "text": fallback(chunk_text or text)})
    return out


def _thread_args(channel: str, thread: str | None) -> dict[str, Any]:
    args: dict[str, Any] = {"channel": channel}
    if thread and thread != channel:  # a DM conversation uses its channel as its thread
        args["thread_ts"] = thread
    return args


# --- actions -------------------------------------------------------------------------------
def render_reply(reply: Reply) -> list[SlackCall]:
    body = escape(reply.text)
    blocks = text_sections(body)
    cited = citations_block(reply.citations)
    if cited is not None:
        blocks.append(cited)
    base = {**_thread_args(reply.channel, reply.thread), "unfurl_links": False}
    return [SlackCall("chat.postMessage", m) for m in messages(blocks, body, base)]


def card_blocks(card: CardView) -> list[Block]:
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": plain(card.title, HEADER_CHARS)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(card.status)}]},
    ]
    fields = [
        {"type": "mrkdwn", "text": f"*{escape(name)}*\n{escape(value)}"[:FIELD_CHARS]}
        for name, value in card.fields[:MAX_FIELDS]
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    if card.buttons:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"esc:{card.escalation_id}"[:255],
                "elements": [
                    button(f"esc:{b.action}", b.label, b.value, b.style) for b in card.buttons[:25]
                ],
            }
        )
    return blocks


def card_text(card: CardView) -> str:
    return fallback(escape(f"{card.title} ({card.status})"))


def render_escalation(action: PostEscalation) -> list[SlackCall]:
    args = {
        "channel": action.desk.channel,
        "blocks": card_blocks(action.card),
        "text": card_text(action.card),
        "unfurl_links": False,
    }
    return [
        SlackCall(
            "chat.postMessage", args, escalation=action.card.escalation_id, summary=action.summary
        )
    ]


def render_summary(channel: str, thread: str, summary: str) -> list[SlackCall]:
    """The handoff summary is the core's own mrkdwn (*Issue:* ...), quoting customer text."""
    body = escape(summary)  # `*bold*` survives; only &, <, > are escaped
    base = {"channel": channel, "thread_ts": thread, "unfurl_links": False}
    return [SlackCall("chat.postMessage", m) for m in messages(text_sections(body), body, base)]


def render_update(action: UpdateCard) -> list[SlackCall]:
    args = {
        "channel": action.desk.channel,
        "ts": action.message,
        "blocks": card_blocks(action.card),
        "text": card_text(action.card),
    }
    return [SlackCall("chat.update", args)]


def render_post_in_thread(action: PostInThread) -> list[SlackCall]:
    body = escape(action.text)
    if action.author:
        body = f"*{escape(action.author)}:* {body}"
    base = {**_thread_args(action.place.channel, action.place.thread), "unfurl_links": False}
    return [SlackCall("chat.postMessage", m) for m in messages(text_sections(body), body, base)]


def render_private(action: PrivateNotice) -> list[SlackCall]:
    body = escape(action.text)
    args = {**_thread_args(action.place.channel, action.place.thread), "user": action.user}
    return [SlackCall("chat.postEphemeral", {**args, "text": fallback(body)})]


def render_rating(action: AskRating) -> list[SlackCall]:
    body = escape(action.text)
    blocks = [
        section(split_text(body)[0] if body else "How did we do?"),
        {
            "type": "actions",
            "block_id": "rate",
            "elements": [_rating_button(b) for b in action.buttons[:25]],
        },
    ]
    args = {**_thread_args(action.place.channel, action.place.thread), "blocks": blocks}
    return [SlackCall("chat.postMessage", {**args, "text": fallback(body)})]


def _rating_button(b: Button) -> Block:
    element = button("rate", b.label, b.value, b.style)
    element["action_id"] = f"rate:{b.value}"[:255]  # unique per block; matched by prefix
    return element


def render(action: Action) -> list[SlackCall]:
    """Every action the core can return, as Slack calls; unknown actions render nothing."""
    if isinstance(action, Reply):
        return render_reply(action)
    if isinstance(action, PostEscalation):
        return render_escalation(action)
    if isinstance(action, UpdateCard):
        return render_update(action)
    if isinstance(action, PostInThread):
        return render_post_in_thread(action)
    if isinstance(action, PrivateNotice):
        return render_private(action)
    if isinstance(action, AskRating):
        return render_rating(action)
    return []
