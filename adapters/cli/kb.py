"""`supportbot kb ...`: ingest documents, search, inspect and export the knowledge base.

Machine-readable output (`search --json`, `search --batch`, `export`) goes to stdout and
nothing else does: progress bars, summaries and errors go to stderr, so the output can be
piped. Exit codes: 0 success, 1 nothing could be ingested (or the ingest was aborted),
2 bad settings or arguments.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from adapters.cli.common import console, err_console, fail, settings_or_exit
from bot.config import Settings, SettingsError
from knowledge import IngestAborted, IngestReport, KnowledgeBase, SearchHit, Stage

kb_app = typer.Typer(
    name="kb",
    help="Knowledge base: ingest, search, sync, export.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

MAX_ERRORS_SHOWN = 50
SNIPPET_CHARS = 160


def _settings() -> Settings:
    settings = settings_or_exit()
    try:
        settings.ensure_home()
    except SettingsError as exc:
        fail(str(exc))
    return settings


def _open_kb(settings: Settings) -> KnowledgeBase:
    from bot.runtime import open_knowledge  # lazy: the CLI starts without the core

    return open_knowledge(settings)


class _RichProgress:
    """Adapts the library's ProgressCallback to one rich progress bar per stage."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[Stage, TaskID] = {}

    def __call__(self, stage: Stage, done: int, total: int) -> None:
        task = self._tasks.get(stage)
        if task is None:
            task = self._progress.add_task(str(stage).capitalize(), total=total)
            self._tasks[stage] = task
        self._progress.update(task, completed=done, total=total)


@contextmanager
def _progress_bar() -> Iterator[_RichProgress]:
    progress = Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
    )
    with progress:
        yield _RichProgress(progress)


def _note(label: str, text: str) -> None:
    """One stderr line; file names and messages are escaped, never read as rich markup."""
    err_console.print(f"{label} {escape(text)}", soft_wrap=True, highlight=False)


def _print_report(report: IngestReport) -> None:
    for source, message in report.warnings[:MAX_ERRORS_SHOWN]:
        _note("[yellow]warning:[/]", f"{source}: {message}")
    for source, message in report.errors[:MAX_ERRORS_SHOWN]:
        _note("[red]error:[/]", f"{source}: {message}")
    hidden = max(0, len(report.errors) - MAX_ERRORS_SHOWN)
    if hidden:
        err_console.print(f"... and {hidden} more errors", highlight=False)
    err_console.print(escape(report.summary()), soft_wrap=True, highlight=False)


def _finish(report: IngestReport) -> None:
    _print_report(report)
    if report.documents_loaded == 0:
        fail("nothing was ingested", code=1)


@kb_app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to ingest.")],
    category: Annotated[
        str | None, typer.Option("--category", "-c", help="For documents without their own.")
    ] = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove documents under these paths that are gone.")
    ] = False,
) -> None:
    """Read Markdown, text, HTML, PDF, JSONL and CSV files into the knowledge base."""
    kb = _open_kb(_settings())
    try:
        with _progress_bar() as progress:
            report = kb.ingest(paths, category=category, prune=prune, progress=progress)
    except IngestAborted as exc:
        _print_report(exc.report)
        fail(str(exc), code=1)
    _finish(report)


@kb_app.command()
def sync() -> None:
    """Ingest every configured source (SUPPORTBOT_KB_SOURCES) and prune everything else."""
    settings = _settings()
    if not settings.kb_sources:
        fail("SUPPORTBOT_KB_SOURCES: no sources configured, so there is nothing to sync")
    kb = _open_kb(settings)
    try:
        with _progress_bar() as progress:
            report = kb.sync(settings.knowledge_sources, progress=progress)
    except IngestAborted as exc:
        _print_report(exc.report)
        fail(str(exc), code=1)
    _finish(report)


@kb_app.command()
def search(
    text: Annotated[str | None, typer.Argument(help="What to look for.")] = None,
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=50, help="How many hits.")] = 5,
    category: Annotated[str | None, typer.Option("--category", "-c")] = None,
    product: Annotated[str | None, typer.Option("--product", "-p")] = None,
    internal: Annotated[
        bool, typer.Option("--internal", help="Include internal documents (agents only).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of hits.")] = False,
    batch: Annotated[
        Path | None,
        typer.Option("--batch", help='JSONL file of {"query": ...} rows; one JSON line out each.'),
    ] = None,
) -> None:
    """Search the knowledge base (hybrid: meaning and exact words)."""
    if (text is None) == (batch is None):
        fail('give either a query ("TEXT") or --batch FILE.jsonl')
    kb = _open_kb(_settings())
    if kb.is_empty():
        err_console.print(
            "the knowledge base is empty: run `supportbot kb ingest PATH` first", highlight=False
        )
    options: dict[str, Any] = {
        "k": k, "category": category, "product": product, "include_internal": internal,
    }  # fmt: skip
    if batch is not None:
        _search_batch(kb, batch, options, sys.stdout)
        return
    assert text is not None
    hits = kb.search(text, **options)
    if as_json:
        typer.echo(json.dumps([hit.to_json() for hit in hits], ensure_ascii=False, indent=2))
    else:
        _print_hits(hits)


def _search_batch(kb: KnowledgeBase, path: Path, options: dict[str, Any], out: TextIO) -> None:
    """One output line per input row, in order; a bad row gets {"error": ...} and no stop."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"--batch {path}: cannot read ({exc})")
    rows: list[tuple[int, str | None, str | None]] = []  # (line, query, error)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        query, error = _batch_query(line)
        rows.append((number, query, None if error is None else f"line {number}: {error}"))
    queries = [query for _, query, _ in rows if query is not None]
    results = iter(kb.search_many(queries, **options))
    for _, _query, error in rows:
        if error is not None:
            out.write(json.dumps({"error": error}) + "\n")
        else:
            hits = next(results)
            out.write(json.dumps([hit.to_json() for hit in hits], ensure_ascii=False) + "\n")
    out.flush()


def _batch_query(line: str) -> tuple[str | None, str | None]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(row, dict):
        return None, 'expected an object like {"query": "..."}'
    query = row.get("query")
    if not isinstance(query, str) or not query.strip():
        return None, "missing 'query' (a non-empty string)"
    return query, None


def _print_hits(hits: list[SearchHit]) -> None:
    if not hits:
        console.print("no matching passages")
        return
    table = Table(show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("document")
    table.add_column("passage")
    for number, hit in enumerate(hits, start=1):
        where = " > ".join((hit.title, *[h for h in hit.heading_path if h != hit.title]))
        document = f"[bold]{escape(where)}[/]\n{escape(hit.doc_id)}"
        if hit.url:
            document += f"\n{escape(hit.url)}"
        snippet = " ".join(hit.text.split())
        if len(snippet) > SNIPPET_CHARS:
            snippet = snippet[: SNIPPET_CHARS - 1] + "…"
        table.add_row(str(number), f"{hit.score:.2f}", document, escape(snippet))
    console.print(table)


@kb_app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """How many documents and chunks, which categories, when last changed."""
    info = _open_kb(_settings()).stats()
    if as_json:
        typer.echo(json.dumps(info.to_json(), indent=2))
        return
    table = Table(show_header=False, box=None)
    table.add_row("path", info.path)
    table.add_row("documents", str(info.documents))
    table.add_row("chunks", str(info.chunks))
    table.add_row("sources", str(info.sources))
    categories = ", ".join(f"{name} ({count})" for name, count in info.categories.items())
    table.add_row("categories", categories or "-")
    last = info.last_ingest.isoformat(" ", "seconds") if info.last_ingest else "never"
    table.add_row("last ingest", last)
    table.add_row("vector index", info.index_kind)
    console.print(table)


@kb_app.command()
def export(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Every chunk with its metadata as JSON lines (no vectors)."""
    kb = _open_kb(_settings())
    count = 0
    if out is None:
        for row in kb.export():
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        sys.stdout.flush()
    else:
        try:
            with out.open("w", encoding="utf-8") as handle:
                for row in kb.export():
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                    count += 1
        except OSError as exc:
            fail(f"--out {out}: {exc.strerror or exc}")
    err_console.print(f"exported {count} chunks", highlight=False)


suggestions_app = typer.Typer(
    name="suggestions",
    help="Agents' resolutions proposed as knowledge base articles.",
    no_args_is_help=True,
)
kb_app.add_typer(suggestions_app)


def _database(settings: Settings):  # type: ignore[no-untyped-def]
    from bot.runtime import open_database

    try:
        return open_database(settings)
    except SettingsError as exc:
        fail(str(exc))


@suggestions_app.command("list")
def suggestions_list(
    status: Annotated[str, typer.Option(help="pending, approved, rejected or all")] = "pending",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List suggestions (pending ones by default)."""
    from bot.suggestions import list_suggestions

    settings = _settings()
    rows = list_suggestions(_database(settings), None if status == "all" else status)
    if as_json:
        payload = [
            {"id": r.id, "question": r.question, "answer": r.answer, "status": r.status}
            for r in rows
        ]
        print(json.dumps(payload, ensure_ascii=False))
        return
    if not rows:
        console.print(f"no {status} suggestions")
        return
    table = Table("id", "status", "question", "answer")
    for row in rows:
        table.add_row(str(row.id), row.status, escape(row.question[:80]), escape(row.answer[:120]))
    console.print(table)


@suggestions_app.command("approve")
def suggestions_approve(
    suggestion_id: Annotated[int, typer.Argument(help="The suggestion's id.")],
) -> None:
    """Approve a suggestion: it becomes an article and is ingested now."""
    from bot.suggestions import SuggestionError, decide, write_article

    settings = _settings()
    try:
        suggestion = decide(_database(settings), suggestion_id, True, "cli")
    except SuggestionError as exc:
        fail(str(exc))
    path = write_article(suggestion, settings.suggestions_path)
    kb = _open_kb(settings)
    report = kb.ingest([settings.suggestions_path])
    err_console.print(f"approved suggestion {suggestion_id}: {path.name} ({report.summary()})")


@suggestions_app.command("reject")
def suggestions_reject(
    suggestion_id: Annotated[int, typer.Argument(help="The suggestion's id.")],
) -> None:
    """Reject a suggestion; it stays listed as rejected."""
    from bot.suggestions import SuggestionError, decide

    settings = _settings()
    try:
        decide(_database(settings), suggestion_id, False, "cli")
    except SuggestionError as exc:
        fail(str(exc))
    err_console.print(f"rejected suggestion {suggestion_id}")
