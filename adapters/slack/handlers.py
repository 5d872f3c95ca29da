"""Bolt listeners: acknowledge at once, then do the work in a background task.

Every listener calls `ack()` first (Slack gives 3 seconds) and hands the rest to
`SlackAdapter.spawn`, so a slow knowledge search or database never makes Slack retry.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from adapters.slack import kb
from adapters.slack.events import Who, is_dm, is_person_message, message_key, team_of, to_inbound
from bot.types import AgentRef, Place, Platform

if TYPE_CHECKING:
    from adapters.slack.app import SlackAdapter

log = logging.getLogger(__name__)

SUGGESTED_PROMPTS = (
    ("Reset my password", "How do I reset my password?"),
    ("Billing question", "I have a question about my invoice."),
    ("Talk to a person", "I'd like to talk to someone from support."),
)


def register(app: AsyncApp, adapter: SlackAdapter) -> None:
    listeners = Listeners(adapter)
    app.event("app_mention")(listeners.on_app_mention)
    app.event("message")(listeners.on_message)
    app.event("assistant_thread_started")(listeners.on_assistant_thread_started)
    app.command("/kb")(listeners.on_kb_command)
    app.action(re.compile(r"^esc:"))(listeners.on_escalation_button)
    app.action(re.compile(r"^rate(:|$)"))(listeners.on_rating_button)
    app.action("kb_share")(listeners.on_kb_share)
    # Everything else is acknowledged and dropped, so Slack never retries or shows errors.
    app.event(re.compile(".*"))(listeners.on_anything)
    app.action(re.compile(".*"))(listeners.on_anything)
    app.command(re.compile(".*"))(listeners.on_anything)
    app.shortcut(re.compile(".*"))(listeners.on_anything)
    app.view(re.compile(".*"))(listeners.on_anything)
    app.options(re.compile(".*"))(listeners.on_anything)
    app.error(listeners.on_error)


def _me(context: Any) -> Who:
    auth = context.get("authorize_result")
    return Who(
        user_id=getattr(auth, "bot_user_id", None) or context.get("bot_user_id"),
        bot_id=getattr(auth, "bot_id", None) or context.get("bot_id"),
        team_id=getattr(auth, "team_id", None) or context.get("team_id"),
    )


class Listeners:
    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter
        self.runtime = adapter.runtime
        self.settings = adapter.runtime.settings

    # --- events ---------------------------------------------------------------------------
    async def on_app_mention(self, ack: Any, body: dict, event: dict, context: Any) -> None:
        await ack()
        self.adapter.spawn(self.message(event, body, _me(context), mention=True))

    async def on_message(self, ack: Any, body: dict, event: dict, context: Any) -> None:
        await ack()
        self.adapter.spawn(self.message(event, body, _me(context), mention=False))

    async def on_anything(self, ack: Any) -> None:
        await ack()

    async def on_error(self, error: Exception, body: dict) -> None:
        log.error("slack listener error: %s (%s)", type(error).__name__, body.get("type"))

    async def message(self, event: dict, body: dict, me: Who, *, mention: bool) -> None:
        if not is_person_message(event, me):
            return
        channel, ts = str(event["channel"]), str(event["ts"])
        thread_ts = event.get("thread_ts")
        in_thread = bool(thread_ts) and thread_ts != ts
        team = team_of(event, body)
        if channel == self.settings.slack_agents_channel:
            if not mention and in_thread:
                await self.agent_in_handoff_thread(event, team, me)
            return
        if is_dm(event):
            await self.customer(event, body, me, from_agent=False)
        elif in_thread and await self._known(team, channel, str(thread_ts)):
            await self.customer(event, body, me, from_agent=await self._agent(event, team, me))
        elif mention or (not in_thread and channel in self.settings.slack_help_channels):
            await self.customer(event, body, me, from_agent=False)

    async def _known(self, team: str, channel: str, thread: str) -> bool:
        found = await asyncio.to_thread(
            self.runtime.store.find_conversation, Platform.SLACK.value, team, channel, thread
        )
        return found is not None

    async def _agent(self, event: dict, team: str, me: Who) -> bool:
        user_team = event.get("user_team") or event.get("team")
        return await self.adapter.people.is_agent(str(event["user"]), user_team, me.team_id)

    async def customer(self, event: dict, body: dict, me: Who, *, from_agent: bool) -> None:
        name = await self.adapter.people.name(str(event["user"]))
        inbound = to_inbound(event, body, me, from_agent=from_agent, user_name=name)
        assistant = self.adapter.assistant_thread(event)
        if assistant is not None and not from_agent:
            await self._status(assistant, "is thinking…")
        actions = await self.runtime.engine.handle(inbound)
        await self.adapter.outbox.send(actions, inbound.workspace)

    async def agent_in_handoff_thread(self, event: dict, team: str, me: Who) -> None:
        if not self.adapter.first_time(message_key(event)):
            return  # a retried delivery; the engine's dedupe does not cover relays
        user = str(event["user"])
        agent = AgentRef(
            Platform.SLACK,
            team,
            user,
            await self.adapter.people.name(user),
            await self._agent(event, team, me),
        )
        place = Place(Platform.SLACK, team, str(event["channel"]), str(event["thread_ts"]))
        text = str(event.get("text") or "")
        actions = await asyncio.to_thread(
            self.runtime.handoff.agent_message_in_thread, place, agent, text
        )
        await self.adapter.outbox.send(actions, team)

    # --- assistant threads ------------------------------------------------------------------
    async def on_assistant_thread_started(self, ack: Any, event: dict) -> None:
        await ack()
        thread = event.get("assistant_thread") or {}
        channel, ts = thread.get("channel_id"), thread.get("thread_ts")
        if not channel or not ts:
            return
        self.adapter.assistant_threads.add((str(channel), str(ts)))
        self.adapter.spawn(self._suggest(str(channel), str(ts)))

    async def _suggest(self, channel: str, ts: str) -> None:
        prompts = [{"title": title, "message": message} for title, message in SUGGESTED_PROMPTS]
        try:
            await self.adapter.client.assistant_threads_setSuggestedPrompts(
                channel_id=channel, thread_ts=ts, prompts=prompts
            )
        except SlackApiError as exc:
            log.warning("assistant.threads.setSuggestedPrompts: %s", exc.response.get("error"))

    async def _status(self, where: tuple[str, str], status: str) -> None:
        try:
            await self.adapter.client.assistant_threads_setStatus(
                channel_id=where[0], thread_ts=where[1], status=status
            )
        except SlackApiError as exc:
            log.warning("assistant.threads.setStatus: %s", exc.response.get("error"))

    # --- buttons ------------------------------------------------------------------------------
    async def on_escalation_button(self, ack: Any, body: dict, action: dict, context: Any) -> None:
        await ack()
        self.adapter.spawn(self.press(body, action, _me(context)))

    async def press(self, body: dict, action: dict, me: Who) -> None:
        user = body.get("user") or {}
        team = str((body.get("team") or {}).get("id") or user.get("team_id") or me.team_id or "")
        user_id = str(user.get("id") or "")
        agent = AgentRef(
            Platform.SLACK,
            team,
            user_id,
            await self.adapter.people.name(user_id, user.get("name")),
            await self.adapter.people.is_agent(user_id, user.get("team_id"), me.team_id),
        )
        name = str(action.get("action_id", "")).removeprefix("esc:")
        actions = await asyncio.to_thread(
            self.runtime.handoff.press, name, str(action.get("value") or ""), agent
        )
        await self.adapter.outbox.send(actions, team)

    async def on_rating_button(self, ack: Any, body: dict, action: dict, context: Any) -> None:
        await ack()
        self.adapter.spawn(self.rate(body, action, _me(context)))

    async def rate(self, body: dict, action: dict, me: Who) -> None:
        user = body.get("user") or {}
        team = str((body.get("team") or {}).get("id") or user.get("team_id") or me.team_id or "")
        try:
            path = await asyncio.to_thread(
                self.runtime.handoff.rate_from_button,
                str(action.get("value") or ""),
                Platform.SLACK,
                team,
                str(user.get("id") or ""),
            )
            score = str(action.get("value") or "").rpartition(":")[2]
            text = f"Thanks for rating the help ({score}/5, {path} support)!"
        except PermissionError:
            text = "Only the person who asked can rate this conversation."
        except (ValueError, LookupError):
            text = "That rating button is no longer valid."
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        thread = (body.get("message") or {}).get("thread_ts") or (body.get("container") or {}).get(
            "thread_ts"
        )
        args: dict[str, Any] = {"channel": channel, "user": user.get("id"), "text": text}
        if thread:
            args["thread_ts"] = thread
        try:
            await self.adapter.client.chat_postEphemeral(**args)
        except SlackApiError as exc:
            log.error("chat.postEphemeral failed: %s", exc.response.get("error"))

    # --- /kb ---------------------------------------------------------------------------------
    async def on_kb_command(self, ack: Any, command: dict, respond: Any) -> None:
        await ack()
        self.adapter.spawn(kb.answer_command(self.adapter, command, respond))

    async def on_kb_share(self, ack: Any, body: dict, action: dict, respond: Any) -> None:
        await ack()
        self.adapter.spawn(kb.share(self.adapter, body, action, respond))
