"""The Slack adapter: an AsyncApp built from settings + runtime, in Socket Mode or HTTP mode.

slack = build_slack(runtime)
await serve(runtime, [slack.run], {Platform.SLACK: slack.deliver})
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Coroutine, Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.events import Who
from adapters.slack.handlers import register
from adapters.slack.kb import ShownResults
from adapters.slack.outbox import ChannelPacer, Outbox
from adapters.slack.people import People
from bot.config import SlackMode
from bot.runtime import Runtime
from bot.types import Action

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def make_client(token: str, base_url: str, *, max_retries: int = 3) -> AsyncWebClient:
    """A Web API client that retries 429s after their Retry-After."""
    client = AsyncWebClient(token=token, base_url=_with_slash(base_url))
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=max_retries))
    return client


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


class SlackAdapter:
    def __init__(
        self,
        runtime: Runtime,
        *,
        client: AsyncWebClient | None = None,
        pace_seconds: float = 1.0,
        members_ttl: float = 60.0,
    ) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.settings = settings
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
        self.client = client or make_client(token, settings.slack_api_url)
        http = settings.slack_mode is SlackMode.HTTP
        secret = settings.slack_signing_secret
        self.app = AsyncApp(
            client=self.client,
            signing_secret=secret.get_secret_value() if secret else None,
            request_verification_enabled=http or secret is not None,
            # Listeners only ack and spawn their work, so running them before the response
            # costs nothing and makes dispatch deterministic.
            process_before_response=True,
        )
        self.outbox = Outbox(self.client, runtime.handoff, pacer=ChannelPacer(pace_seconds))
        self.people = People(self.client, settings.slack_agents_channel, ttl_seconds=members_ttl)
        self.shown = ShownResults()
        self.assistant_threads: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._me: Who | None = None
        register(self.app, self)

    # --- running ------------------------------------------------------------------------------
    async def run(self) -> None:
        """Serve Slack until cancelled: Socket Mode, or HTTP on PORT at /slack/events."""
        await self.identity()
        if self.settings.slack_mode is SlackMode.HTTP:
            await self._run_http()
        else:
            await self._run_socket()

    async def _run_socket(self) -> None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        token = self.settings.slack_app_token
        handler = AsyncSocketModeHandler(self.app, token.get_secret_value() if token else None)
        await handler.connect_async()
        try:
            await asyncio.Event().wait()
        finally:
            await handler.close_async()
            await self.drain()

    async def _run_http(self) -> None:
        from aiohttp import web

        runner = web.AppRunner(self.app.web_app(path=EVENTS_PATH, port=self.settings.port))
        await runner.setup()
        site = web.TCPSite(runner, port=self.settings.port)
        await site.start()
        log.warning("Slack HTTP endpoint on port %s%s", self.settings.port, EVENTS_PATH)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
            await self.drain()

    async def deliver(self, actions: Sequence[Action]) -> None:
        """Render actions that did not come from a Slack event (scheduled jobs)."""
        me = await self.identity()
        await self.outbox.send(actions, me.team_id or "")

    async def identity(self) -> Who:
        if self._me is None:
            auth = await self.client.auth_test()
            self._me = Who(auth.get("user_id"), auth.get("bot_id"), auth.get("team_id"))
        return self._me

    # --- background work --------------------------------------------------------------------
    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run after the ack; failures are logged by type, never with message text."""
        task = asyncio.get_running_loop().create_task(self._guard(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _guard(work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("slack work failed: %s", type(exc).__name__)

    async def drain(self) -> None:
        """Wait for every spawned task (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def first_time(self, key: str, keep: int = 5000) -> bool:
        """Per-process dedupe for work the engine does not dedupe (agent relays)."""
        if key in self._seen:
            return False
        self._seen[key] = None
        while len(self._seen) > keep:
            self._seen.popitem(last=False)
        return True

    def assistant_thread(self, event: dict) -> tuple[str, str] | None:
        """(channel, thread_ts) when this message is in an AI-app assistant thread."""
        thread = event.get("thread_ts")
        if not thread or event.get("channel_type") != "im":
            return None
        where = (str(event["channel"]), str(thread))
        hinted = bool((event.get("assistant_thread") or {}).get("action_token"))
        return where if where in self.assistant_threads or hinted else None


def build_slack(runtime: Runtime, **options: Any) -> SlackAdapter:
    """Check the Slack settings (one-line SettingsError) and build the adapter."""
    runtime.settings.require_slack()
    return SlackAdapter(runtime, **options)
