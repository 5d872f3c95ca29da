"""`/kb <question>`: private results with a "Share in channel" button per article."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from adapters.slack.render import button, escape, fallback, link, section
from knowledge import SearchHit

if TYPE_CHECKING:
    from adapters.slack.app import SlackAdapter

log = logging.getLogger(__name__)

RESULTS = 3
SNIPPET_CHARS = 280


class ShownResults:
    """Hits recently shown by /kb, by chunk id, so "Share" posts exactly what was seen."""

    def __init__(self, size: int = 500) -> None:
        self._hits: OrderedDict[str, SearchHit] = OrderedDict()
        self._size = size

    def remember(self, hit: SearchHit) -> None:
        self._hits[hit.chunk_id] = hit
        self._hits.move_to_end(hit.chunk_id)
        while len(self._hits) > self._size:
            self._hits.popitem(last=False)

    def get(self, chunk_id: str) -> SearchHit | None:
        return self._hits.get(chunk_id)


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def article(hit: SearchHit) -> str:
    return f"*{link(hit.url, hit.title)}*\n{escape(snippet(hit.text))}"


async def answer_command(adapter: SlackAdapter, command: dict, respond: Any) -> None:
    question = str(command.get("text") or "").strip()
    if not question:
        await respond(text="Usage: `/kb <question>`", response_type="ephemeral")
        return
    try:
        hits = await adapter.runtime.knowledge.asearch(question, k=RESULTS)
    except Exception as exc:
        log.error("/kb search failed: %s", type(exc).__name__)
        await respond(
            text="The knowledge base is unavailable right now.", response_type="ephemeral"
        )
        return
    if not hits:
        await respond(text="No articles matched that question.", response_type="ephemeral")
        return
    blocks: list[dict[str, Any]] = [section(f"Results for _{escape(question[:200])}_")]
    for number, hit in enumerate(hits):
        adapter.shown.remember(hit)
        blocks.append(section(article(hit)))
        blocks.append(
            {
                "type": "actions",
                "block_id": f"kb:{number}",
                "elements": [button("kb_share", "Share in channel", hit.chunk_id)],
            }
        )
    text = fallback(" · ".join(escape(h.title) for h in hits))
    await respond(text=text, blocks=blocks, response_type="ephemeral")


async def share(adapter: SlackAdapter, body: dict, action: dict, respond: Any) -> None:
    hit = adapter.shown.get(str(action.get("value") or ""))
    if hit is None:
        await respond(text="That result has expired; run /kb again.", response_type="ephemeral")
        return
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    user = body.get("user") or {}
    who = await adapter.people.name(str(user.get("id") or ""), user.get("name"))
    blocks = [
        section(article(hit)),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Shared by {escape(who)}"}]},
    ]
    try:
        await adapter.outbox.pacer.wait(str(channel))
        await adapter.client.chat_postMessage(
            channel=channel, blocks=blocks, text=fallback(escape(hit.title)), unfurl_links=False
        )
    except SlackApiError as exc:
        log.error("kb share failed: %s", exc.response.get("error"))
        await respond(
            text="I couldn't post in this channel; invite me first.", replace_original=False
        )
        return
    await respond(delete_original=True)
