"""Who is typing in the console, where, and in which thread: the console's 'platform state'."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field

from bot.types import AgentRef, Inbound, Place, Platform

WORKSPACE = "local"
AGENTS_CHANNEL = "agents"


@dataclass
class ConsoleSession:
    user: str = "alice"
    channel: str = "help"
    thread: str = "t1"
    is_dm: bool = False
    seat: str = "customer"  # customer | agent
    agent: str = "sam"
    escalation: str | None = None  # the handoff thread an agent is typing into
    _threads: itertools.count = field(default_factory=lambda: itertools.count(2), repr=False)

    def new_thread(self) -> str:
        self.thread = f"t{next(self._threads)}"
        return self.thread

    @property
    def customer_channel(self) -> str:
        return f"dm:{self.user}" if self.is_dm else self.channel

    def to_inbound(self, text: str) -> Inbound:
        """Normalize one typed line, exactly as the Slack and Discord adapters normalize events."""
        return Inbound(
            platform=Platform.CONSOLE,
            workspace=WORKSPACE,
            channel=self.customer_channel,
            user=self.user,
            user_name=self.user,
            text=text,
            event_id=uuid.uuid4().hex,
            thread=self.thread,
            is_dm=self.is_dm,
            mentions_bot=True,
        )

    def presser(self) -> AgentRef:
        """Who presses a card button: the agent in the agent seat, else the customer."""
        if self.seat == "agent":
            return AgentRef(Platform.CONSOLE, WORKSPACE, self.agent, self.agent.title(), True)
        return AgentRef(Platform.CONSOLE, WORKSPACE, self.user, self.user, False)

    def handoff_thread(self) -> Place | None:
        if self.escalation is None:
            return None
        return Place(Platform.CONSOLE, WORKSPACE, AGENTS_CHANNEL, self.escalation)

    def prompt(self) -> str:
        if self.seat == "agent":
            where = f"#agents › {self.escalation}" if self.escalation else "#agents"
            return f"{self.agent} (agent) @ {where}> "
        where = "DM" if self.is_dm else f"#{self.channel}"
        return f"{self.user} @ {where} [{self.thread}]> "
