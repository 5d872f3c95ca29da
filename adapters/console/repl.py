"""`supportbot chat`: a local REPL that is a real adapter, with a customer and an agent seat.

Typed lines go through the same path as Slack and Discord events (normalize to Inbound,
engine.handle, render the actions). Slash commands switch who is typing and where, so one
person can play several customers and the support agents, and try the whole handoff:
escalate, claim, relay both ways, resolve, rate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TextIO

from adapters.console.render import render
from adapters.console.session import AGENTS_CHANNEL, WORKSPACE, ConsoleSession
from bot.handoff.service import HandoffService
from bot.types import Action, Inbound, Place, Platform, PostEscalation

HELP = """Customer seat:
  /user NAME       speak as another customer (each has their own memory)
  /thread NAME     switch to (or open) a thread by name;  /new  starts a new thread
  /channel NAME    move to another channel;  /dm  toggles direct messages with the bot
  /rate N          rate the help in this thread (1-5)
Agent seat:
  /agent NAME      sit in the agents channel as support agent NAME
  /queue           list open and claimed escalations
  /claim ID  /resolve ID [what fixed it]  /draft ID  /back ID  /release ID
  /open ID         type into that escalation's handoff thread (relayed to the customer)
  /customer        back to the customer seat
Both: /whoami  /help  /quit (Ctrl-D works too). Anything else is a message."""

Handler = Callable[[Inbound], Awaitable[list[Action]]]
_BUTTONS = {
    "claim": "claim",
    "resolve": "resolve",
    "draft": "draft",
    "back": "back_to_bot",
    "release": "release",
}


class ConsoleAdapter:
    def __init__(
        self,
        handle: Handler,
        stdin: TextIO,
        stdout: TextIO,
        *,
        session: ConsoleSession | None = None,
        interactive: bool = True,
        handoff: HandoffService | None = None,
        find_conversation: Callable[[str, str, str, str], int | None] | None = None,
    ) -> None:
        self._handle = handle
        self._stdin = stdin
        self._stdout = stdout
        self.session = session or ConsoleSession()
        self._interactive = interactive
        self._handoff = handoff
        self._find_conversation = find_conversation
        self._cards = 0

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
        try:
            if stripped.startswith("/") and not stripped.startswith("//"):
                return await self._command(stripped)
            if not stripped:
                return True  # an empty Enter is not a message in a terminal
            if self.session.seat == "agent":
                await self._agent_says(line)
            else:
                await self.deliver(await self._handle(self.session.to_inbound(line)))
        except Exception as exc:  # the console must survive anything the core throws
            self._say(f"[error] that failed: {type(exc).__name__}: {exc}")
        return True

    async def deliver(self, actions: list[Action]) -> None:
        """Render actions; a posted card reports back where it landed, as a platform would."""
        for action in actions:
            self._say(render(action))
            if isinstance(action, PostEscalation) and self._handoff is not None:
                self._cards += 1
                await asyncio.to_thread(
                    self._handoff.card_posted,
                    action.card.escalation_id,
                    action.desk,
                    f"card-{self._cards}",
                    action.card.escalation_id,
                )

    async def _agent_says(self, text: str) -> None:
        place = self.session.handoff_thread()
        if place is None or self._handoff is None:
            self._say("(pick an escalation first: /queue, then /open ID or /claim ID)")
            return
        actions = await asyncio.to_thread(
            self._handoff.agent_message_in_thread, place, self.session.presser(), text
        )
        if not actions:
            self._say("(not relayed: that thread belongs to no escalation)")
        await self.deliver(actions)

    async def _command(self, line: str) -> bool:
        name, _, arg = line[1:].partition(" ")
        arg = arg.strip()
        session = self.session
        if name in {"quit", "exit"}:
            self._say("bye")
            return False
        if name == "help":
            self._say(HELP)
        elif name == "user" and arg:
            session.user, session.seat = arg, "customer"
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
            self._say(session.prompt().rstrip("> ").strip())
        elif name == "agent" and arg:
            session.seat, session.agent = "agent", arg
            self._say(f"you are {arg}, a support agent, in #{AGENTS_CHANNEL}")
        elif name == "customer":
            session.seat = "customer"
            self._say(f"back to the customer seat as {session.user}")
        elif name in {"user", "thread", "channel", "agent"}:
            self._say(f"usage: /{name} NAME")
        elif self._handoff is None and name in {"queue", "open", "rate", *_BUTTONS}:
            self._say("handoff is not available in this console")
        elif name == "queue":
            self._queue()
        elif name == "open" and arg:
            session.escalation = arg
            self._say(f"typing into the handoff thread of {arg}")
        elif name in _BUTTONS and arg:
            await self._press(_BUTTONS[name], arg)
        elif name == "rate" and arg:
            await self._rate(arg)
        elif name in {"open", "rate", *_BUTTONS}:
            self._say(f"usage: /{name} {'N' if name == 'rate' else 'ID'}")
        else:
            self._say(f"unknown command /{name}; /help lists them")
        return True

    def _queue(self) -> None:
        assert self._handoff is not None
        entries = self._handoff.queue()
        if not entries:
            self._say("[#agents] no open escalations")
        for entry in entries:
            owner = f", claimed by {entry.claimed_by_name}" if entry.claimed_by_name else ""
            head = f"[#agents] {entry.public_id}  P{entry.priority}  {entry.status}{owner}"
            self._say(f"{head}  {entry.issue}")

    async def _press(self, action: str, arg: str) -> None:
        assert self._handoff is not None
        public_id, _, resolution = arg.partition(" ")
        presser = self.session.presser()
        if action == "resolve" and resolution.strip() and presser.is_agent:
            actions = await asyncio.to_thread(
                self._handoff.resolve, public_id, presser, resolution.strip()
            )
        else:
            actions = await asyncio.to_thread(self._handoff.press, action, public_id, presser)
        if action == "claim" and presser.is_agent:
            self.session.escalation = public_id
        await self.deliver(actions)

    async def _rate(self, arg: str) -> None:
        assert self._handoff is not None and self._find_conversation is not None
        session = self.session
        conversation = self._find_conversation(
            Platform.CONSOLE.value, WORKSPACE, session.customer_channel, session.thread
        )
        if conversation is None or not arg.isdigit():
            self._say("usage: /rate N (1-5), in a thread you have talked to the bot in")
            return
        try:
            path = await asyncio.to_thread(
                self._handoff.rate_from_button,
                f"{conversation}:{arg}",
                Platform.CONSOLE,
                WORKSPACE,
                session.user,
            )
        except (ValueError, PermissionError) as exc:
            self._say(f"(rating not saved: {exc})")
            return
        self._say(f"bot> Thanks for rating the help ({arg}/5, {path} support)!")

    def _say(self, text: str) -> None:
        self._stdout.write(text + "\n")
        self._stdout.flush()


def desk_place() -> Place:
    return Place(Platform.CONSOLE, WORKSPACE, AGENTS_CHANNEL)
