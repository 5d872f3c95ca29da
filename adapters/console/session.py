"""Who is typing in the console, where, and in which thread: the console's 'platform state'."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field

from bot.types import Inbound, Platform

WORKSPACE = "local"


@dataclass
class ConsoleSession:
    user: str = "alice"
    channel: str = "help"
    thread: str = "t1"
    is_dm: bool = False
    _threads: itertools.count = field(default_factory=lambda: itertools.count(2), repr=False)

    def new_thread(self) -> str:
        self.thread = f"t{next(self._threads)}"
        return self.thread

    def to_inbound(self, text: str) -> Inbound:
        """Normalize one typed line, exactly as the Slack and Discord adapters normalize events."""
        return Inbound(
            platform=Platform.CONSOLE,
            workspace=WORKSPACE,
            channel=f"dm:{self.user}" if self.is_dm else self.channel,
            user=self.user,
            user_name=self.user,
            text=text,
            event_id=uuid.uuid4().hex,
            thread=self.thread,
            is_dm=self.is_dm,
            mentions_bot=True,
        )

    def prompt(self) -> str:
        where = "DM" if self.is_dm else f"#{self.channel}"
        return f"{self.user} @ {where} [{self.thread}]> "
