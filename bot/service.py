"""Run the bot process: adapters serving, plus scheduled jobs around them.

Jobs live in a persistent APScheduler job store in the bot's own database, under stable
ids with `replace_existing=True`: a restart neither loses nor duplicates them, and the
state they act on (escalations, tickets) is in the database, so a restart in the middle of
an open escalation loses nothing. Job callables are module-level functions that find the
live runtime in `_LIVE`, because a persistent store can only reference importable code.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import Engine

from bot import jobs
from bot.runtime import Runtime
from bot.scheduler import KnowledgeSyncJob, schedule_knowledge_sync
from bot.types import Action, Platform, action_platform

log = logging.getLogger(__name__)

Deliver = Callable[[list[Action]], Awaitable[None]]


@dataclass
class _Live:
    runtime: Runtime
    deliver: dict[Platform, Deliver] = field(default_factory=dict)


_LIVE: dict[str, _Live] = {}
JOB_IDS = ("remind-unclaimed", "close-idle-tickets", "prune-retention")


def job_policy(runtime: Runtime) -> jobs.JobPolicy:
    settings = runtime.settings
    return jobs.JobPolicy(
        remind_after_minutes=settings.remind_after_minutes,
        autoclose_hours=settings.autoclose_hours,
        memory_retention_days=settings.memory_retention_days,
    )


async def forward(actions: Sequence[Action], *, origin: Platform, key: str = "default") -> None:
    """Deliver actions an adapter got but cannot render: they belong to another platform.

    This is how cross-platform handoff works: a Discord customer's escalation card goes to
    a Slack agents channel, and a Slack agent's reply goes back to the Discord thread.
    """
    foreign = [a for a in actions if action_platform(a) not in (origin, None)]
    if not foreign:
        return
    live = _LIVE.get(key)
    if live is None:
        log.warning("%d action(s) for another platform, but no live runtime", len(foreign))
        return
    await dispatch(live, foreign)


async def dispatch(live: _Live, actions: Sequence[Action]) -> None:
    """Hand each action to the adapter of its platform; unrenderable ones are logged."""
    by_platform: dict[Platform, list[Action]] = {}
    for action in actions:
        platform = action_platform(action)
        if platform is None:
            continue
        by_platform.setdefault(platform, []).append(action)
    for platform, batch in by_platform.items():
        deliver = live.deliver.get(platform)
        if deliver is None:
            log.warning("no %s adapter running; %d action(s) not delivered", platform, len(batch))
            continue
        await deliver(batch)


async def run_job(name: str, key: str = "default") -> None:
    """The entry point every scheduled job uses (importable, so the store can persist it)."""
    live = _LIVE.get(key)
    if live is None:
        log.warning("job %s ran with no live runtime", name)
        return
    runtime, now = live.runtime, datetime.now(UTC)
    policy = job_policy(runtime)
    if name == "remind-unclaimed":
        actions = await asyncio.to_thread(
            jobs.remind_unclaimed, runtime.database, runtime.handoff.desk, now, policy
        )
    elif name == "close-idle-tickets":
        actions = await asyncio.to_thread(jobs.close_idle_tickets, runtime.database, now, policy)
    elif name == "prune-retention":
        counts = await asyncio.to_thread(jobs.prune_retention, runtime.database, now, policy)
        log.info("retention: pruned %s", counts)
        return
    else:
        log.warning("unknown job %s", name)
        return
    await dispatch(live, actions)


def make_scheduler(
    database: Engine,
    *,
    key: str = "default",
    knowledge_sync: KnowledgeSyncJob | None = None,
    sync_minutes: int = 0,
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        timezone="UTC",
        jobstores={"default": SQLAlchemyJobStore(engine=database, tablename="apscheduler_jobs")},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    for job_id, minutes in zip(JOB_IDS, (1, 10, 24 * 60), strict=True):
        scheduler.add_job(
            "bot.service:run_job",
            "interval",
            minutes=minutes,
            args=[job_id, key],
            id=job_id,
            name=job_id,
            replace_existing=True,
        )
    if knowledge_sync is not None:
        scheduler.add_jobstore("memory", alias="local")
        schedule_knowledge_sync(scheduler, knowledge_sync, minutes=sync_minutes, jobstore="local")
    return scheduler


async def serve(
    runtime: Runtime,
    adapters: list[Callable[[], Awaitable[None]]],
    deliver: dict[Platform, Deliver] | None = None,
    *,
    key: str = "default",
) -> None:
    """Start the scheduler on this loop, run the adapters until the first one ends."""
    _LIVE[key] = _Live(runtime, dict(deliver or {}))
    sources = runtime.settings.knowledge_sources if runtime.settings.kb_sources else []
    scheduler = make_scheduler(
        runtime.database,
        key=key,
        knowledge_sync=KnowledgeSyncJob(runtime.knowledge, sources) if sources else None,
        sync_minutes=runtime.settings.kb_sync_minutes,
    )
    scheduler.start()
    tasks: list[asyncio.Task[None]] = []
    try:
        tasks = [asyncio.create_task(run()) for run in adapters]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    finally:
        # Also when serve itself is cancelled: no adapter outlives the process's main task.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        scheduler.shutdown(wait=False)
        _LIVE.pop(key, None)
