"""The bundled sample knowledge base (knowledge/sample) is well formed.

The sample is what new users try the bot against offline, and what several retrieval and
filtering tests rely on, so its shape is checked here: enough articles across enough
categories, complete front matter, unique URLs and exactly one internal article.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import frontmatter
import pytest

from knowledge.sample import SAMPLE_DIR

ARTICLES = sorted(SAMPLE_DIR.glob("*/*.md"))
PRODUCTS = {"web", "mobile", "api", "all"}


def _load(path: Path) -> frontmatter.Post:
    return frontmatter.load(path)


def _as_date(value: object) -> dt.date:
    """YAML parses `2026-09-14` as a date; a quoted value stays a string. Accept both."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def test_sample_dir_is_the_package_directory() -> None:
    assert SAMPLE_DIR.is_dir()
    assert (SAMPLE_DIR / "__init__.py").is_file()


def test_there_are_enough_articles_and_categories() -> None:
    assert len(ARTICLES) >= 30
    categories = {path.parent.name for path in ARTICLES}
    assert len(categories) >= 4


def test_no_markdown_outside_a_category_directory() -> None:
    stray = [p for p in SAMPLE_DIR.rglob("*.md") if p.parent.parent != SAMPLE_DIR]
    assert stray == []


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_article_front_matter_and_structure(path: Path) -> None:
    raw = path.read_text(encoding="utf-8")
    assert raw.startswith("---\n"), "front matter must be the first thing in the file"
    post = _load(path)

    title = post.get("title")
    assert isinstance(title, str) and title.strip()

    assert post.get("category") == path.parent.name

    url = post.get("url")
    assert isinstance(url, str) and url.startswith("https://")

    assert "updated" in post.metadata
    updated = _as_date(post["updated"])
    assert 2025 <= updated.year <= 2026

    assert post.get("product") in PRODUCTS

    visibility = post.get("visibility", "public")
    assert visibility in {"public", "internal"}

    assert re.search(r"^## \S", post.content, flags=re.MULTILINE), "needs at least one ## heading"


def test_exactly_one_internal_article() -> None:
    internal = [p for p in ARTICLES if _load(p).get("visibility") == "internal"]
    assert len(internal) == 1
    assert internal[0].parent.name == "billing"


def test_urls_are_unique() -> None:
    counts = Counter(_load(p)["url"] for p in ARTICLES)
    duplicates = sorted(url for url, n in counts.items() if n > 1)
    assert duplicates == []
