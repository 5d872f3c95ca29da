"""Run the bot process: scheduled jobs around whatever adapters are serving."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.runtime import Runtime
from bot.scheduler import KnowledgeSyncJob, schedule_knowledge_sync


def make_scheduler(runtime: Runtime) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    sources = [Path(s).expanduser() for s in runtime.settings.kb_sources]
    if sources:
        job = KnowledgeSyncJob(runtime.knowledge, sources)
        schedule_knowledge_sync(scheduler, job, minutes=runtime.settings.kb_sync_minutes)
    return scheduler


async def serve(runtime: Runtime, adapters: list[Callable[[], Awaitable[None]]]) -> None:
    """Start the scheduler on this loop, run the adapters until the first one ends."""
    import asyncio

    scheduler = make_scheduler(runtime)
    scheduler.start()
    try:
        tasks = [asyncio.create_task(run()) for run in adapters]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in done:
            task.result()
    finally:
        scheduler.shutdown(wait=False)
