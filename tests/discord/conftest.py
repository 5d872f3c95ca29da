"""A real runtime on a temp home, the real discord.py bot, and a fake Discord on loopback."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.corpus import small_corpus

from adapters.discord import DiscordAdapter, build_discord
from bot.config import load_settings
from bot.runtime import Runtime, build_runtime
from tests.discord.fake_discord import (
    AGENT_ROLE,
    AGENTS_CHANNEL,
    FORUM_CHANNEL,
    GUILD_ID,
    HELP_CHANNEL,
    FakeDiscord,
)

CORPUS = small_corpus("@everyone @here <@&300000000000000001> <@123>")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("discord-corpus")
    for name, body in CORPUS.items():
        (root / name).write_text(body)
    return root


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def runtime(
    home: Path, fake: FakeDiscord, corpus: Path, embedder: Any, restore_discord_globals: None
) -> Iterator[Runtime]:
    settings = load_settings(
        discord_token="fake-token",
        discord_guild_ids=str(GUILD_ID),
        discord_help_channels=f"{HELP_CHANNEL},{FORUM_CHANNEL}",
        discord_agents_channel=str(AGENTS_CHANNEL),
        discord_agent_role=str(AGENT_ROLE),
        discord_api_base=fake.api_base,
    )
    built = build_runtime(settings)
    built.knowledge.ingest([corpus])
    yield built
    built.database.dispose()


async def start_bot(runtime: Runtime, fake: FakeDiscord) -> tuple[DiscordAdapter, asyncio.Task]:
    """Run the whole bot against the fake until it is ready (bounded: never hangs)."""
    fake.identified.clear()
    adapter = build_discord(runtime)
    task = asyncio.create_task(adapter.run())
    ready = asyncio.create_task(adapter.bot.wait_until_ready())
    done, _ = await asyncio.wait({ready, task}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        task.cancel()
        if task in done:
            task.result()  # the bot's own error, e.g. a payload the fake got wrong
        raise TimeoutError("the bot did not get ready against the fake Discord")
    return adapter, task


async def stop_bot(adapter: DiscordAdapter, task: asyncio.Task) -> None:
    await asyncio.wait_for(adapter.close(), 10)
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await asyncio.wait_for(task, 10)


@pytest.fixture
async def discord_bot(runtime: Runtime, fake: FakeDiscord) -> AsyncIterator[DiscordAdapter]:
    adapter, task = await start_bot(runtime, fake)
    yield adapter
    await stop_bot(adapter, task)
