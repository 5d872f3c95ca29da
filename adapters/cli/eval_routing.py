"""`supportbot eval routing`: answer / clarify / escalate accuracy of the whole engine.

The knowledge base file is ingested once into a cache keyed by its content hash (under
SUPPORTBOT_HOME/eval-cache), and the questions run against a throwaway database, so an
evaluation never touches the bot's real conversations.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from adapters.cli.common import console, err_console, fail, settings_or_exit
from bot.routing_eval import RoutingCase, evaluate_routing


def _cases(path: Path, split: str | None, limit: int | None) -> list[RoutingCase]:
    cases: list[RoutingCase] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
                query, gold = row["query"], row.get("gold_ids") or []
            except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
                fail(
                    f"--queries line {number}: expected {{query, gold_ids}} ({type(exc).__name__})"
                )
            if split and row.get("split") not in (None, split):
                continue
            cases.append(RoutingCase(str(query), tuple(str(g) for g in gold)))
    return cases[:limit] if limit else cases


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def routing(
    kb: Annotated[Path, typer.Option(help="Knowledge base: a record file or a directory.")],
    queries: Annotated[
        Path, typer.Option(help='JSONL rows {"query", "gold_ids"}; [] = out of scope.')
    ],
    split: Annotated[str | None, typer.Option(help="Only rows whose split is this.")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N questions.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Run labelled questions through the engine; report answer accuracy and escalations."""
    from bot.runtime import build_runtime, knowledge_config
    from knowledge import KnowledgeBase

    settings = settings_or_exit()
    for option, path in (("--kb", kb), ("--queries", queries)):
        if not path.exists():
            fail(f"{option}: no such file or directory {path}")
    cases = _cases(queries, split, limit)
    if not cases:
        fail("--queries: no questions to evaluate")
    settings.ensure_home()
    cache = settings.home / "eval-cache" / (_digest(kb) if kb.is_file() else kb.name)
    knowledge = KnowledgeBase(
        cache, chunk_chars=settings.kb_chunk_chars, config=knowledge_config(settings)
    )
    if knowledge.is_empty():
        err_console.print(f"indexing {kb} (cached in {cache})…")
        knowledge.ingest([kb])
    with tempfile.TemporaryDirectory(prefix="supportbot-eval-") as scratch:
        eval_settings = settings.model_copy(update={"home": Path(scratch), "database_url": None})
        runtime = build_runtime(eval_settings, knowledge=knowledge)
        with Progress(
            TextColumn("routing"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err_console,
            transient=True,
        ) as progress:
            task = progress.add_task("routing", total=len(cases))
            report = asyncio.run(
                evaluate_routing(runtime.engine, cases, on_case=lambda: progress.advance(task))
            )
    result = report.to_json()
    if as_json:
        print(json.dumps(result))
        return
    table = Table("metric", "value")
    for key, value in result.items():
        table.add_row(key, str(value))
    console.print(table)
