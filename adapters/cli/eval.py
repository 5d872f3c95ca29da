"""`supportbot eval retrieval`: measure search quality and latency on a labelled query set.

The knowledge base to search (`--kb`, a record file or a directory of documents) is
ingested into an index cached under SUPPORTBOT_HOME/eval-cache, keyed by a hash of the
files' bytes and the chunk size, so a second run on the same data only checks that nothing
changed (ingest is incremental: unchanged documents are never re-embedded) and goes
straight to the queries. `--no-cache` uses a throw-away directory instead.

`--json` prints one JSON object on stdout and nothing else there; progress and notes go
to stderr. Exit codes: 0 success, 2 bad arguments or data.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from adapters.cli.common import console, err_console, fail, settings_or_exit
from bot.config import SettingsError
from knowledge import KnowledgeBase
from knowledge.chunking import DEFAULT_CHUNK_CHARS
from knowledge.evaluation import RetrievalReport, evaluate, load_queries
from knowledge.fusion import FusionConfig

eval_app = typer.Typer(
    name="eval",
    help="Measure retrieval on your data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

CACHE_DIR = "eval-cache"


@eval_app.callback()
def _group() -> None:
    """Measure retrieval on your data (a group, so `eval retrieval` keeps its name)."""


class SearchMode(StrEnum):
    hybrid = "hybrid"
    vector = "vector"
    text = "text"


class FusionMethod(StrEnum):
    score = "score"
    rrf = "rrf"


def content_key(path: Path, chunk_chars: int) -> str:
    """Hash of every file's relative path and bytes (sorted), plus the chunk size."""
    digest = hashlib.sha256(f"chunk_chars={chunk_chars}\x00".encode())
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        rel = file.name if path.is_file() else file.relative_to(path).as_posix()
        digest.update(rel.encode() + b"\x00")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()[:16]


@eval_app.command("retrieval")
def retrieval(
    kb: Annotated[Path, typer.Option(help="Record file (.jsonl/.csv) or directory to search.")],
    queries: Annotated[Path, typer.Option(help="JSONL rows {query, gold_ids, split?, category?}.")],
    split: Annotated[
        str | None, typer.Option(help="Only queries of this split (e.g. valid).")
    ] = None,
    k: Annotated[int, typer.Option(min=1, max=100, help="Hits per query.")] = 10,
    mode: Annotated[SearchMode, typer.Option(help="Retrievers to use.")] = SearchMode.hybrid,
    fusion: Annotated[
        FusionMethod, typer.Option(help="score (default) or rrf (the baseline).")
    ] = FusionMethod.score,
    by_category: Annotated[
        bool, typer.Option("--by-category", help="Search only the query's own category.")
    ] = False,
    chunk_chars: Annotated[int, typer.Option(help="Chunk size for ingest.")] = DEFAULT_CHUNK_CHARS,
    limit: Annotated[int | None, typer.Option(help="Use only the first N queries.")] = None,
    cache: Annotated[bool, typer.Option(help="Reuse the cached index of this data.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Recall@1/5/10, MRR@10, nDCG@10 and latency of knowledge-base search."""
    if not kb.exists():
        fail(f"--kb: no such file or directory {kb}")
    if not queries.is_file():
        fail(f"--queries: no such file {queries}")
    try:
        wanted = load_queries(queries, split)
    except (ValueError, KeyError, TypeError) as exc:
        fail(f"--queries: cannot read {queries}: {type(exc).__name__}: {exc}")
    wanted = wanted[:limit] if limit else wanted
    if not wanted:
        fail(f"--queries: no labelled queries{f' in split {split!r}' if split else ''}")

    config = FusionConfig(mode=mode.value, method=fusion.value)
    with _index_dir(kb, chunk_chars, cache) as path:
        base = KnowledgeBase(path, chunk_chars=chunk_chars, fusion=config)
        err_console.print(f"indexing {kb} in {path} ...", highlight=False)
        report = base.ingest([kb])
        if report.errors and report.documents_loaded == 0:
            fail(f"--kb: nothing could be ingested: {report.errors[0][1]}")
        err_console.print(report.summary(), highlight=False)
        label = f"{mode.value}" + (f"/{fusion.value}" if mode is SearchMode.hybrid else "")
        result = evaluate(base, wanted, k=k, by_category=by_category, label=label)
    result.extra.update(
        {
            "kb": str(kb),
            "queries": str(queries),
            "split": split,
            "mode": mode.value,
            "fusion": fusion.value,
            "by_category": by_category,
            "documents": report.documents_loaded,
            "chunks_embedded": report.chunks_embedded,
        }
    )
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return
    console.print(_table(result))


@contextmanager
def _index_dir(kb: Path, chunk_chars: int, cache: bool) -> Iterator[Path]:
    """The cached index directory for this data, or a temporary one."""
    if not cache:
        with tempfile.TemporaryDirectory(prefix="supportbot-eval-") as tmp:
            yield Path(tmp)
        return
    settings = settings_or_exit()
    try:
        home = settings.ensure_home()
    except SettingsError as exc:
        fail(str(exc))
    path = home / CACHE_DIR / content_key(kb, chunk_chars)
    path.mkdir(parents=True, exist_ok=True)
    yield path


def _table(result: RetrievalReport) -> Table:
    table = Table(title=f"retrieval: {result.label}, {result.n_queries} queries, k={result.k}")
    names = [n for n in result.metrics if not n.startswith("hit@")]
    for name in [*names, "p50 ms", "p95 ms"]:
        table.add_column(name, justify="right")
    values = [f"{result.metrics[n]:.3f}" for n in names]
    values += [f"{result.latency_p50_ms:.1f}", f"{result.latency_p95_ms:.1f}"]
    table.add_row(*values)
    return table
