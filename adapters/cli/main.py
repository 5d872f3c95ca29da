"""The `supportbot` command: the outermost composition root, where adapters meet the core."""

from __future__ import annotations

import asyncio
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from adapters.cli.common import console, err_console, fail, settings_or_exit
from bot.config import SettingsError

app = typer.Typer(
    name="supportbot",
    help="A support bot for community Slack and Discord that answers from your docs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(name="db", help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app)
audit_app = typer.Typer(name="audit", help="The hash-chained audit trail.", no_args_is_help=True)
app.add_typer(audit_app)


def _mount_optional() -> None:
    """Mount sub-apps that live in their own modules."""
    from adapters.cli.kb import kb_app

    app.add_typer(kb_app, name="kb", help="Knowledge base: ingest, search, sync, export.")
    from adapters.cli.eval import eval_app
    from adapters.cli.eval_routing import routing

    eval_app.command("routing")(routing)
    app.add_typer(eval_app, name="eval", help="Measure retrieval and routing on your data.")


def _runtime(announce: bool = True):  # type: ignore[no-untyped-def]
    from bot.runtime import build_runtime, prepare_knowledge

    settings = settings_or_exit()
    runtime = build_runtime(settings)
    prepare_knowledge(
        runtime, announce=(lambda m: err_console.print(m)) if announce else (lambda _: None)
    )
    return runtime


@app.command()
def chat(
    user: Annotated[str, typer.Option(help="Who you are at the start.")] = "alice",
    channel: Annotated[str, typer.Option(help="The channel you start in.")] = "help",
) -> None:
    """Talk to the bot in this terminal (the embedded default: no tokens, no network)."""
    from adapters.console.repl import ConsoleAdapter
    from adapters.console.session import ConsoleSession
    from bot.service import serve

    runtime = _runtime()
    adapter = ConsoleAdapter(
        runtime.engine.handle,
        sys.stdin,
        sys.stdout,
        session=ConsoleSession(user=user, channel=channel.lstrip("#")),
        interactive=sys.stdin.isatty(),
        handoff=runtime.handoff,
        find_conversation=runtime.store.find_conversation,
    )
    from bot.types import Platform

    asyncio.run(serve(runtime, [adapter.run], {Platform.CONSOLE: adapter.deliver}))


@app.command()
def ask(
    text: Annotated[str | None, typer.Argument(help="The question.")] = None,
    user: Annotated[str, typer.Option(help="The asking user's id.")] = "cli-user",
    channel: Annotated[str | None, typer.Option(help="Channel id (omit for a DM).")] = None,
    thread: Annotated[
        str | None, typer.Option(help="Thread id: same thread, same conversation.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    batch: Annotated[
        Path | None, typer.Option(help='JSONL rows {"text", "user", "channel"?, "thread"?}.')
    ] = None,
) -> None:
    """Ask one question (or a batch) and print the bot's full decision."""
    from adapters.cli.ask import ask_one, inbound_for, run_batch

    if batch is not None:
        if text is not None:
            fail("give either TEXT or --batch, not both")
        if not batch.is_file():
            fail(f"--batch: no such file {batch}")
        runtime = _runtime(announce=False)
        _, errors = run_batch(runtime, batch)
        if errors:
            err_console.print(f"{errors} row(s) had errors; see their error objects")
        return
    if text is None:
        fail("give the question as TEXT, or --batch FILE")
    runtime = _runtime(announce=False)
    result = asyncio.run(ask_one(runtime.engine, inbound_for(text, user, channel, thread)))
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return
    console.print(result["reply"] or "", highlight=False, markup=False)
    for number, citation in enumerate(result["citations"], start=1):
        console.print(f"  [{number}] {citation['title']} {citation['url'] or ''}", markup=False)


class PlatformName(StrEnum):
    console = "console"
    slack = "slack"
    discord = "discord"


@app.command()
def run(
    platform: Annotated[
        list[PlatformName] | None,
        typer.Option(help="Platform(s) to serve; repeat for several. Default: console."),
    ] = None,
) -> None:
    """Start the bot (the production process; see Procfile)."""
    chosen = set(platform or [PlatformName.console])
    settings = settings_or_exit()
    try:
        if PlatformName.slack in chosen:
            settings.require_slack()
        if PlatformName.discord in chosen:
            settings.require_discord()
    except SettingsError as exc:
        fail(str(exc))
    if chosen == {PlatformName.console}:
        chat()
        return
    if PlatformName.console in chosen:
        fail("--platform console is the local chat; run it on its own (`supportbot chat`)")
    asyncio.run(_serve_platforms(chosen))


async def _serve_platforms(chosen: set[PlatformName]) -> None:
    """Slack and/or Discord in one process, sharing one core and one scheduler."""
    from bot.service import serve
    from bot.types import Platform

    runtime = _runtime()
    runners, deliver = [], {}
    try:
        if PlatformName.slack in chosen:
            from adapters.slack import build_slack

            slack = build_slack(runtime)
            runners.append(slack.run)
            deliver[Platform.SLACK] = slack.deliver
        if PlatformName.discord in chosen:
            from adapters.discord import build_discord

            discord_adapter = build_discord(runtime)
            runners.append(discord_adapter.run)
            deliver[Platform.DISCORD] = discord_adapter.deliver
    except SettingsError as exc:
        fail(str(exc))
    await serve(runtime, runners, deliver)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the database schema to the newest revision."""
    from bot.runtime import open_database
    from bot.storage.schema import current_revision

    settings = settings_or_exit()
    engine = _or_fail(lambda: open_database(settings))
    console.print(f"database at revision {current_revision(engine)}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and the newest one available."""
    from bot.storage.database import make_engine
    from bot.storage.schema import current_revision, head_revision

    settings = settings_or_exit()
    if settings.uses_default_sqlite and not settings.sqlite_path.exists():
        console.print(f"no database yet at {settings.sqlite_path} (head is {head_revision()})")
        return
    engine = make_engine(settings.effective_database_url)
    current = _or_fail(lambda: current_revision(engine))
    head = head_revision()
    state = "up to date" if current == head else f"behind head {head}"
    console.print(f"{current or 'empty'} ({state})")


@audit_app.command("verify")
def audit_verify(
    conversation: Annotated[int | None, typer.Option(help="Check one conversation id.")] = None,
) -> None:
    """Recompute every conversation's hash chain; report modified or missing entries."""
    from bot.audit import verify
    from bot.runtime import open_database

    settings = settings_or_exit()
    report = verify(_or_fail(lambda: open_database(settings)), conversation)
    for problem in report.problems:
        console.print(f"[red]✗[/] {problem}", highlight=False)
    verdict = "intact" if report.ok else f"{len(report.problems)} problem(s)"
    console.print(
        f"{report.conversations} conversation(s), {report.entries} entries: {verdict}",
        highlight=False,
    )
    if not report.ok:
        raise typer.Exit(1)


def _or_fail(call):  # type: ignore[no-untyped-def]
    try:
        return call()
    except SettingsError as exc:
        fail(str(exc))
    except Exception as exc:  # database drivers raise many types; one line is enough
        fail(f"DATABASE_URL: {type(exc).__name__}: {str(exc).splitlines()[0]}")


_mount_optional()


def main() -> None:
    """Console-script entry point: settings errors become one line, never a traceback."""
    try:
        app()
    except SettingsError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
