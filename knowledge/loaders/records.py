"""Record files (`.jsonl`, `.csv`): many documents or FAQ entries in one file.

A row is a document `{id, title, text, category?, url?, updated?, product?, visibility?}`
or an FAQ entry `{id, question, alt_questions?, answer, category?, url?, ...}`;
alt_questions is a list in JSONL and `|`-separated in CSV. The record `id` is its doc_id.
Bad rows (not an object, missing fields, duplicate ids) are skipped and summed up in one
message for the file; the good rows are kept. Skipped ids keep their previous version in
the index, so a typo never deletes an answer.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping

from knowledge.loaders.document import DocFormat, Document, Loaded, LoadError
from knowledge.loaders.metadata import parse_metadata
from knowledge.loaders.protocols import FileRef
from knowledge.loaders.text import decode_text

_SHOWN_PROBLEMS = 5


class RecordError(ValueError):
    """One bad record; the message names the field."""


class RecordReader:
    suffixes = (".jsonl", ".csv")

    def read(self, file: FileRef, data: bytes) -> Loaded:
        text, warning = decode_text(data)
        rows = _csv_rows(text) if file.path.suffix.lower() == ".csv" else _jsonl_rows(text)
        loaded = Loaded(warnings=[warning] if warning else [])
        problems: list[str] = []
        first_line: dict[str, int] = {}
        total = 0
        for line, row in rows:
            total += 1
            try:
                if isinstance(row, _Invalid):
                    raise RecordError(row.why)
                if not isinstance(row, Mapping):
                    raise RecordError("not a JSON object")
                doc = record_to_document(row, file.source)
            except (RecordError, LoadError) as exc:
                problems.append(f"line {line}: {exc}")
                record_id = _record_id(row) if isinstance(row, Mapping) else None
                if record_id:
                    loaded.kept_doc_ids.add(record_id)
                continue
            if doc.doc_id in first_line:
                problems.append(
                    f"line {line}: duplicate id {doc.doc_id!r} (first on line "
                    f"{first_line[doc.doc_id]}); kept the first"
                )
                continue
            first_line[doc.doc_id] = line
            loaded.documents.append(doc)
        if total == 0:
            raise LoadError("no records in the file")
        if problems:
            summary = _summarize(problems, total)
            if not loaded.documents:
                raise LoadError(f"no usable records: {summary}")
            loaded.problems.append(summary)
        return loaded


def record_to_document(row: Mapping[str, object], source: str) -> Document:
    """One row to a Document (FAQ when it has a question); RecordError names what is wrong."""
    record_id = _record_id(row)
    if not record_id:
        raise RecordError("missing 'id'")
    meta = parse_metadata(row)
    common = {
        "doc_id": record_id,
        "source": source,
        "url": meta.url,
        "category": meta.category,
        "updated": meta.updated,
        "product": meta.product,
        "visibility": meta.visibility,
    }
    if _has(row, "question") or _has(row, "answer"):
        return Document(
            title=_required(row, "question"),
            body=_required(row, "answer"),
            format=DocFormat.FAQ,
            questions=_alt_questions(row.get("alt_questions")),
            **common,
        )
    return Document(
        title=_required(row, "title"),
        body=_required(row, "text"),
        format=DocFormat.MARKDOWN,
        **common,
    )


def _jsonl_rows(text: str) -> Iterator[tuple[int, object]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, _Invalid(f"invalid JSON ({exc.msg} at column {exc.colno})")


def _csv_rows(text: str) -> Iterator[tuple[int, object]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        return
    reader.fieldnames = [name.strip().lower() for name in reader.fieldnames]
    for row in reader:
        cleaned = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
        if cleaned:
            yield reader.line_num, cleaned


class _Invalid:
    """A line that could not be parsed; carries why, so the row loop reports it."""

    def __init__(self, why: str) -> None:
        self.why = why


def _record_id(row: Mapping[str, object]) -> str | None:
    value = row.get("id")
    if value is None or isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None


def _has(row: Mapping[str, object], key: str) -> bool:
    value = row.get(key)
    return isinstance(value, str) and bool(value.strip())


def _required(row: Mapping[str, object], key: str) -> str:
    value = row.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RecordError(f"missing {key!r}")
    if not isinstance(value, str):
        raise RecordError(f"{key!r} must be text, got {type(value).__name__}")
    return value.strip()


def _alt_questions(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        parts = value.split("|")
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        parts = value
    else:
        raise RecordError("'alt_questions' must be a list of strings (or '|'-separated text)")
    return tuple(p.strip() for p in parts if p.strip())


def _summarize(problems: list[str], total: int) -> str:
    shown = "; ".join(problems[:_SHOWN_PROBLEMS])
    more = len(problems) - _SHOWN_PROBLEMS
    tail = f"; and {more} more" if more > 0 else ""
    return f"skipped {len(problems)} of {total} records: {shown}{tail}"
