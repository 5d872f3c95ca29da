"""Scheduled jobs of the bot process (APScheduler on the running event loop).

Jobs have stable ids and `replace_existing=True`, so starting the process twice, or
re-registering after a restart, never duplicates a job.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

KB_SYNC_JOB_ID = "kb-sync"


class SyncReport(Protocol):
    documents_added: int
    documents_updated: int
    documents_removed: int

    def summary(self) -> str: ...


class Syncable(Protocol):
    def sync(self, sources: Sequence[Path]) -> SyncReport: ...


class KnowledgeSyncJob:
    """Re-sync the configured sources; one run at a time, logging what changed."""

    def __init__(self, knowledge: Syncable, sources: Sequence[Path]) -> None:
        self._knowledge = knowledge
        self._sources = list(sources)
        self._running = asyncio.Lock()
        self.runs = 0

    async def __call__(self) -> SyncReport | None:
        if self._running.locked():
            log.info("knowledge sync still running; skipping this tick")
            return None
        async with self._running:
            try:
                report = await asyncio.to_thread(self._knowledge.sync, self._sources)
            except Exception:
                log.exception("knowledge sync failed; the previous index stays in use")
                return None
            self.runs += 1
            log.info(
                "knowledge sync: %d added, %d updated, %d removed (%s)",
                report.documents_added,
                report.documents_updated,
                report.documents_removed,
                report.summary(),
            )
            return report


def schedule_knowledge_sync(
    scheduler: AsyncIOScheduler, job: KnowledgeSyncJob, *, minutes: int, jobstore: str = "default"
) -> None:
    """Register the re-sync; `minutes=0` disables it.

    The job holds live objects, so it belongs in an in-memory job store; it is registered
    anew on every start under the same id.
    """
    if minutes <= 0:
        return
    scheduler.add_job(
        job,
        "interval",
        minutes=minutes,
        id=KB_SYNC_JOB_ID,
        name="knowledge base re-sync",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        jobstore=jobstore,
    )
