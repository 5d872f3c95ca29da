"""Turns loosely typed metadata (YAML front matter, JSON or CSV records) into clean fields.

Categories and products are stripped and lower-cased at ingest, and search lower-cases the
filter values the same way, so "Billing" and "billing" are one category.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from knowledge.loaders.document import LoadError
from knowledge.types import Visibility

ALL_PRODUCTS = "all"


@dataclass(frozen=True, slots=True)
class Metadata:
    title: str | None = None
    url: str | None = None
    category: str | None = None
    updated: str | None = None
    product: str = ALL_PRODUCTS
    visibility: Visibility = Visibility.PUBLIC


def parse_metadata(raw: Mapping[str, object]) -> Metadata:
    """Validate the optional fields shared by front matter and records; LoadError if invalid."""
    return Metadata(
        title=_text(raw, "title"),
        url=_text(raw, "url"),
        category=normalize_label(_text(raw, "category")),
        updated=_date(raw.get("updated")),
        product=normalize_label(_text(raw, "product")) or ALL_PRODUCTS,
        visibility=_visibility(raw.get("visibility")),
    )


def normalize_label(value: str | None) -> str | None:
    """The one spelling of a category or product used in the index and in filters."""
    if value is None:
        return None
    value = " ".join(value.split()).lower()
    return value or None


def _text(raw: Mapping[str, object], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise LoadError(f"'{key}' must be a single string, got {type(value).__name__}")
    text = str(value).strip()
    return text or None


def _date(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise LoadError(f"'updated' must be an ISO date like 2024-05-31, got {text!r}") from None


def _visibility(value: object) -> Visibility:
    if value is None or value == "":
        return Visibility.PUBLIC
    text = str(value).strip().lower()
    try:
        return Visibility(text)
    except ValueError:
        # Fail closed and loudly: an unknown word might have meant "internal".
        raise LoadError(f"'visibility' must be 'public' or 'internal', got {value!r}") from None
