"""Who is a support agent (a member of the agents channel, same team) and people's names.

Both come from the Web API (conversations.members, users.info) and are cached briefly, so a
burst of button presses costs one call.
"""

from __future__ import annotations

import asyncio
import logging
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class People:
    def __init__(
        self,
        client: AsyncWebClient,
        agents_channel: str | None,
        *,
        ttl_seconds: float = 60.0,
    ) -> None:
        self._client = client
        self._channel = agents_channel
        self._ttl = ttl_seconds
        self._members: frozenset[str] = frozenset()
        self._members_at = float("-inf")
        self._lock = asyncio.Lock()
        self._names: dict[str, tuple[float, str]] = {}

    async def is_agent(self, user: str, team: str | None, home_team: str | None) -> bool:
        """A member of the agents channel, in the bot's own team (not a shared-channel guest)."""
        if not self._channel or not user:
            return False
        if home_team and team and team != home_team:
            return False
        return user in await self.agents()

    async def agents(self) -> frozenset[str]:
        async with self._lock:
            if time.monotonic() - self._members_at < self._ttl:
                return self._members
            members: set[str] = set()
            cursor: str | None = None
            try:
                while True:
                    response = await self._client.conversations_members(
                        channel=self._channel, limit=1000, cursor=cursor
                    )
                    members.update(response.get("members") or [])
                    cursor = (response.get("response_metadata") or {}).get("next_cursor")
                    if not cursor:
                        break
            except SlackApiError as exc:
                log.error("conversations.members failed: %s", exc.response.get("error"))
                return self._members  # keep the last known list rather than lock agents out
            self._members, self._members_at = frozenset(members), time.monotonic()
            return self._members

    async def name(self, user: str, hint: str | None = None) -> str:
        cached = self._names.get(user)
        if cached and time.monotonic() - cached[0] < 10 * self._ttl:
            return cached[1]
        name = hint or user
        try:
            response = await self._client.users_info(user=user)
            info = response.get("user") or {}
            profile = info.get("profile") or {}
            name = (
                profile.get("display_name")
                or profile.get("real_name")
                or info.get("real_name")
                or info.get("name")
                or name
            )
        except SlackApiError as exc:
            log.warning("users.info failed: %s", exc.response.get("error"))
        self._names[user] = (time.monotonic(), name)
        return name
