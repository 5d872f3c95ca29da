"""A local fake of Discord: the HTTP API and the gateway, on 127.0.0.1, recording requests.

Only what the adapter uses is modelled, in Discord's payload shapes. Every HTTP request is
kept (`requests`) with its route, query and JSON body (incl. `allowed_mentions`), so tests
assert on what the bot really sent. The gateway speaks JSON text frames: HELLO, then
READY and GUILD_CREATE after IDENTIFY, heartbeat ACKs, and any dispatch a test pushes.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest
from aiohttp import WSMsgType, web

BOT_ID = 900000000000000001
APP_ID = 900000000000000002
GUILD_ID = 100000000000000001
OTHER_GUILD_ID = 100000000000000009
HELP_CHANNEL = 200000000000000001
FORUM_CHANNEL = 200000000000000002
AGENTS_CHANNEL = 200000000000000003
GENERAL_CHANNEL = 200000000000000004
AGENT_ROLE = 300000000000000001
TIMESTAMP = "2025-01-01T12:00:00.000000+00:00"


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def member(user_id: int, name: str, roles: tuple[int, ...] = ()) -> dict[str, Any]:
    return {
        "user": user(user_id, name),
        "roles": [str(r) for r in roles],
        "nick": None,
        "joined_at": TIMESTAMP,
        "deaf": False,
        "mute": False,
        "pending": False,
        "premium_since": None,
        "permissions": "17179869183",
        "flags": 0,
    }


def text_channel(channel_id: int, name: str, kind: int = 0) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": kind,
        "guild_id": str(GUILD_ID),
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "rate_limit_per_user": 0,
        "last_message_id": None,
        "flags": 0,
        "available_tags": [],
    }


def thread_channel(thread_id: int, parent_id: int, name: str, owner: int) -> dict[str, Any]:
    return {
        "id": str(thread_id),
        "type": 11,
        "guild_id": str(GUILD_ID),
        "parent_id": str(parent_id),
        "owner_id": str(owner),
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": TIMESTAMP,
            "locked": False,
        },
    }


def guild_create() -> dict[str, Any]:
    role = {
        "color": 0,
        "hoist": False,
        "position": 0,
        "permissions": "0",
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }
    return {
        "id": str(GUILD_ID),
        "name": "Community",
        "icon": None,
        "owner_id": "1",
        "features": [],
        "unavailable": False,
        "member_count": 3,
        "large": False,
        "premium_tier": 0,
        "verification_level": 0,
        "explicit_content_filter": 0,
        "default_message_notifications": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "preferred_locale": "en-US",
        "joined_at": TIMESTAMP,
        "roles": [
            {**role, "id": str(GUILD_ID), "name": "@everyone"},
            {**role, "id": str(AGENT_ROLE), "name": "Support", "position": 1},
        ],
        "emojis": [],
        "stickers": [],
        "members": [],
        "presences": [],
        "voice_states": [],
        "threads": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "channels": [
            text_channel(HELP_CHANNEL, "help"),
            text_channel(FORUM_CHANNEL, "questions", kind=15),
            text_channel(AGENTS_CHANNEL, "agents"),
            text_channel(GENERAL_CHANNEL, "general"),
        ],
    }


@dataclass
class Recorded:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    body: dict[str, Any] | None
    response: Any = None  # what the fake answered (e.g. the created message, with its id)

    @property
    def is_message(self) -> bool:
        """A request that posts or edits visible content (messages, interaction replies)."""
        if not isinstance(self.body, dict):
            return False
        body = self.body.get("data") if isinstance(self.body.get("data"), dict) else self.body
        return any(key in body for key in ("content", "embeds", "components"))


@dataclass
class FakeDiscord:
    requests: list[Recorded] = field(default_factory=list)
    identified: asyncio.Event = field(default_factory=asyncio.Event)
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))
    _ids: itertools.count = field(default_factory=lambda: itertools.count(700000000000000001))
    _runner: web.AppRunner | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    port: int = 0

    # --- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._http)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    # --- test helpers -------------------------------------------------------------------
    def next_id(self) -> int:
        return next(self._ids)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an op 0 dispatch with the next sequence number to every connected bot."""
        frame = {"op": 0, "t": event, "s": next(self._seq), "d": data}
        for ws in list(self._sockets):
            await ws.send_str(json.dumps(frame))

    async def wait_for(self, predicate, timeout: float = 15.0) -> list[Recorded]:
        """Wait until `predicate(requests)` is truthy; returns the requests then."""

        async def _until() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: bool(predicate(self.requests)))

        await asyncio.wait_for(_until(), timeout)
        return self.requests

    def messages(self) -> list[Recorded]:
        return [r for r in self.requests if r.is_message]

    def posted_to(self, channel_id: int | str) -> list[Recorded]:
        return [
            r
            for r in self.requests
            if r.method == "POST" and r.path == f"/channels/{channel_id}/messages"
        ]

    # --- gateway ------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            frame = json.loads(msg.data)
            if frame["op"] == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif frame["op"] == 2:
                self._sockets.append(ws)
                await self._send_ready(ws)
                self.identified.set()
        if ws in self._sockets:
            self._sockets.remove(ws)
        return ws

    async def _send_ready(self, ws: web.WebSocketResponse) -> None:
        ready = {
            "v": 10,
            "user": user(BOT_ID, "supportbot", bot=True),
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
            "session_id": "fake-session",
            "resume_gateway_url": f"ws://127.0.0.1:{self.port}/gateway",
            "shard": [0, 1],
            "application": {"id": str(APP_ID), "flags": 0},
            "private_channels": [],
        }
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": next(self._seq), "d": ready}))
        frame = {"op": 0, "t": "GUILD_CREATE", "s": next(self._seq), "d": guild_create()}
        await ws.send_str(json.dumps(frame))

    # --- HTTP API -----------------------------------------------------------------------
    async def _http(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body: dict[str, Any] | None = None
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
            elif request.content_type.startswith("multipart/"):
                form = await request.post()
                body = json.loads(str(form.get("payload_json", "{}")))
        status, payload = await self._answer(request.method, path, body)
        async with self._changed:
            self.requests.append(Recorded(request.method, path, dict(request.query), body, payload))
            self._changed.notify_all()
        if status == 204:
            return web.Response(status=204)
        # discord.py parses JSON only when Content-Type is exactly application/json.
        body_bytes = json.dumps(payload).encode()
        return web.Response(
            body=body_bytes, status=status, headers={"Content-Type": "application/json"}
        )

    def _message(self, channel_id: str, body: dict[str, Any], msg_id: str | None = None):
        return {
            "id": msg_id or str(self.next_id()),
            "channel_id": channel_id,
            "author": user(BOT_ID, "supportbot", bot=True),
            "content": body.get("content") or "",
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": body.get("flags") or 0,
        }

    async def _answer(self, method: str, path: str, body: dict[str, Any] | None):
        parts = path.strip("/").split("/")
        body = body or {}
        if path == "/users/@me" and method == "GET":
            return 200, user(BOT_ID, "supportbot", bot=True)
        if path == "/oauth2/applications/@me":
            return 200, {
                "id": str(APP_ID),
                "name": "supportbot",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "owner": user(1, "owner"),
                "flags": 0,
            }
        if path == "/gateway/bot":
            return 200, {
                "url": f"ws://127.0.0.1:{self.port}/gateway",
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        if parts[0] == "applications" and parts[-1] == "commands" and method == "PUT":
            return 200, [
                {
                    **cmd,
                    "id": str(self.next_id()),
                    "application_id": str(APP_ID),
                    "version": "1",
                    "type": cmd.get("type", 1),
                    "default_member_permissions": None,
                }
                for cmd in (body if isinstance(body, list) else [])
            ]
        if parts[0] == "channels" and len(parts) == 3 and parts[2] == "messages":
            return 200, self._message(parts[1], body)
        if parts[0] == "channels" and len(parts) == 4 and method == "PATCH":
            return 200, self._message(parts[1], body, parts[3])
        if parts[0] == "channels" and len(parts) == 5 and parts[4] == "threads":
            thread = thread_channel(int(parts[3]), int(parts[1]), body.get("name", ""), BOT_ID)
            await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
            return 201, thread
        if parts[0] == "channels" and len(parts) == 2 and method == "GET":
            return 200, text_channel(int(parts[1]), "channel")
        if path == "/users/@me/channels" and method == "POST":
            return 200, {
                "id": str(self.next_id()),
                "type": 1,
                "recipients": [user(int(body["recipient_id"]), "someone")],
                "last_message_id": None,
            }
        if parts[0] == "interactions" and parts[-1] == "callback":
            kind = body.get("type", 0)
            data = body.get("data") or {}
            resource: dict[str, Any] = {"type": kind}
            if kind == 4:
                resource["message"] = self._message("0", data)
            return 200, {
                "interaction": {
                    "id": parts[1],
                    "type": 3,
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
                },
                "resource": resource,
            }
        if parts[0] == "webhooks" and method == "POST":
            return 200, self._message("0", body)
        if parts[0] == "webhooks" and method == "PATCH":
            return 200, self._message("0", body)
        return 404, {"message": "Unknown route in the fake", "code": 0}


@pytest.fixture
def restore_discord_globals(monkeypatch: pytest.MonkeyPatch) -> None:
    """The adapter moves discord.py's class-level API base and gateway: undo after."""
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
    )
