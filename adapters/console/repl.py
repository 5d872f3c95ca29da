"""`supportbot chat`: a local REPL that is a real adapter.

Typed lines go through the same path as Slack and Discord events (normalize to Inbound,
engine.handle, render the actions). Slash commands switch who is typing and where, so one
person can play several customers and conversations.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TextIO

from adapters.console.render import render
from adapters.console.session import ConsoleSession
from bot.types import Action, Inbound

HELP = """Commands:
  /user NAME       speak as another customer (each has their own memory)
  /thread NAME     switch to (or open) a thread by name
  /new             start a new thread (a new conversation)
  /channel NAME    move to another channel
  /dm              toggle direct messages with the bot
  /whoami          show who and where you are
  /help            this list
  /quit            leave (Ctrl-D works too)
Anything else is sent to the bot as a message."""

Handler = Callable[[Inbound], Awaitable[list[Action]]]


class ConsoleAdapter:
    def __init__(
        self,
        handle: Handler,
        stdin: TextIO,
        stdout: TextIO,
        *,
        session: ConsoleSession | None = None,
        interactive: bool = True,
    ) -> None:
        self._handle = handle
        self._stdin = stdin
        self._stdout = stdout
        self.session = session or ConsoleSession()
        self._interactive = interactive

    async def run(self) -> None:
        self._say("Support bot console. Type a question, or /help for commands.")
        while True:
            if self._interactive:
                self._stdout.write(self.session.prompt())
                self._stdout.flush()
            line = await asyncio.to_thread(self._stdin.readline)
            if line == "":  # end of input
                self._say("bye")
                return
            if not await self.dispatch(line.rstrip("\n")):
                return

    async def dispatch(self, line: str) -> bool:
        """Handle one typed line; False means the person asked to quit."""
        stripped = line.strip()
        if stripped.startswith("/") and not stripped.startswith("//"):
            return self._command(stripped)
        if not stripped:
            return True  # an empty Enter is not a message in a terminal
        try:
            actions = await self._handle(self.session.to_inbound(line))
        except Exception as exc:  # the console must survive anything the core throws
            self._say(f"[error] the bot failed on that message: {type(exc).__name__}: {exc}")
            return True
        for action in actions:
            self._say(render(action))
        return True

    def _command(self, line: str) -> bool:
        name, _, arg = line[1:].partition(" ")
        arg = arg.strip()
        session = self.session
        if name in {"quit", "exit"}:
            self._say("bye")
            return False
        if name == "help":
            self._say(HELP)
        elif name == "user" and arg:
            session.user = arg
            session.new_thread()
            self._say(f"now speaking as {arg}, in a new thread {session.thread}")
        elif name == "thread" and arg:
            session.thread = arg
            self._say(f"now in thread {arg}")
        elif name == "new":
            self._say(f"new thread {session.new_thread()}")
        elif name == "channel" and arg:
            session.channel = arg.lstrip("#")
            session.is_dm = False
            self._say(f"now in #{session.channel}, thread {session.new_thread()}")
        elif name == "dm":
            session.is_dm = not session.is_dm
            self._say(
                "direct messages with the bot" if session.is_dm else f"back in #{session.channel}"
            )
        elif name == "whoami":
            where = "DM" if session.is_dm else f"#{session.channel}"
            self._say(f"{session.user} in {where}, thread {session.thread}")
        elif name in {"user", "thread", "channel"}:
            self._say(f"usage: /{name} NAME")
        else:
            self._say(f"unknown command /{name}; /help lists them")
        return True

    def _say(self, text: str) -> None:
        self._stdout.write(text + "\n")
        self._stdout.flush()
