"""Send rendered actions through the AsyncWebClient, paced ~1 message/s per channel.

429s are retried by the client's AsyncRateLimitErrorRetryHandler (honouring Retry-After);
this module adds the per-channel pacing Slack asks for, reports where escalation cards
landed (HandoffService.card_posted), and logs failures without message text.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import SlackCall, render, render_summary
from bot.handoff.service import HandoffService
from bot.service import forward
from bot.types import Action, Place, Platform, action_platform

log = logging.getLogger(__name__)

_METHODS = {
    "chat.postMessage": "chat_postMessage",
    "chat.postEphemeral": "chat_postEphemeral",
    "chat.update": "chat_update",
}


class ChannelPacer:
    """At most one message per `interval` seconds in each channel (Slack's posting limit)."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, channel: str) -> None:
        if self.interval <= 0:
            return
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            now = time.monotonic()
            start = max(now, self._next.get(channel, 0.0))
            self._next[channel] = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


class Outbox:
    def __init__(
        self,
        client: AsyncWebClient,
        handoff: HandoffService,
        *,
        pacer: ChannelPacer | None = None,
    ) -> None:
        self.client = client
        self.handoff = handoff
        self.pacer = pacer or ChannelPacer()

    async def send(self, actions: Iterable[Action], team: str) -> None:
        """Render and send each Slack action in order; one failure does not stop the rest.

        Actions for another platform (a cross-platform handoff) go to that platform's
        adapter through the core's dispatcher.
        """
        actions = list(actions)
        await forward(actions, origin=Platform.SLACK)
        for action in actions:
            if action_platform(action) not in (Platform.SLACK, None):
                continue
            for call in render(action):
                try:
                    await self.call(call, team)
                except SlackApiError as exc:
                    log.error(
                        "slack %s failed: %s", call.method, exc.response.get("error", "unknown")
                    )
                except Exception as exc:
                    log.error("slack %s failed: %s", call.method, type(exc).__name__)

    async def call(self, call: SlackCall, team: str) -> dict:
        if call.method == "chat.postMessage":
            await self.pacer.wait(call.channel)
        method = getattr(self.client, _METHODS[call.method])
        response = await method(**call.args)
        if call.escalation is not None:
            await self._card_landed(call, str(response["ts"]), team)
        return response.data if isinstance(response.data, dict) else {}

    async def _card_landed(self, call: SlackCall, ts: str, team: str) -> None:
        desk = Place(Platform.SLACK, team, call.channel)
        for part in render_summary(call.channel, ts, call.summary or ""):
            await self.call(part, team)
        await asyncio.to_thread(self.handoff.card_posted, call.escalation, desk, ts, ts)
