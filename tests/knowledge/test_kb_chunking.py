"""Chunking follows headings, bounds size at natural boundaries, keeps FAQs whole and gives
deterministic ids."""

from __future__ import annotations

import itertools
import re

import pytest

from knowledge.chunking import Chunker, markdown_sections, split_bounded
from knowledge.loaders.document import DocFormat, Document
from knowledge.types import Visibility

GUIDE = """Welcome text before any heading.

# Guide

## Install

Run the installer.

```bash
# this is a shell comment, not a heading

pip install tasklane
```

## Use

### Projects

Create a project from the sidebar.

### Tasks

Add tasks to a project.
"""


def _doc(body: str, fmt: DocFormat = DocFormat.MARKDOWN, **kw: object) -> Document:
    fields: dict[str, object] = {
        "doc_id": "guide.md", "title": "Guide", "body": body, "format": fmt,
        "source": "/docs/guide.md",
    }  # fmt: skip
    fields.update(kw)
    return Document(**fields)


def test_sections_follow_headings_and_ignore_hashes_in_code() -> None:
    sections = markdown_sections(GUIDE)
    assert [s.heading_path for s in sections] == [
        (),
        ("Guide", "Install"),
        ("Guide", "Use", "Projects"),
        ("Guide", "Use", "Tasks"),
    ]
    install = sections[1].text
    assert "# this is a shell comment" in install and "pip install tasklane" in install
    assert not any(s.text.startswith("#") for s in sections)


def test_chunks_carry_metadata_and_embed_their_heading_context() -> None:
    doc = _doc(
        GUIDE, url="https://x/guide", category="howto", updated="2024-05-01",
        product="web", visibility=Visibility.INTERNAL,
    )  # fmt: skip
    chunks = Chunker(400).chunk(doc)
    tasks = chunks[-1]
    assert tasks.heading_path == ("Guide", "Use", "Tasks")
    assert tasks.text == "Add tasks to a project."
    assert tasks.embed_texts == (
        "Guide > Use > Tasks\nAdd tasks to a project.", "Guide > Use > Tasks",
    )  # fmt: skip
    assert (tasks.title, tasks.url, tasks.category, tasks.updated, tasks.product) == (
        "Guide", "https://x/guide", "howto", "2024-05-01", "web",
    )  # fmt: skip
    assert tasks.visibility is Visibility.INTERNAL and tasks.source == "/docs/guide.md"
    assert [c.position for c in chunks] == list(range(len(chunks)))


def test_long_section_is_split_within_the_bound_at_sentence_ends_with_overlap() -> None:
    sentences = [f"Sentence {i} explains step {i} of the export in detail." for i in range(60)]
    body = "# Export\n\n" + " ".join(sentences)
    chunks = Chunker(300, overlap_chars=80).chunk(_doc(body))
    assert len(chunks) > 5
    for chunk in chunks:
        assert len(chunk.text) <= 300
        assert chunk.text.endswith(".")  # never cut inside a sentence
        assert re.match(r"Sentence \d+ ", chunk.text)
        assert chunk.heading_path == ("Export",)
    for first, second in itertools.pairwise(chunks):
        last_sentence = re.findall(r"Sentence \d+ [^.]*\.", first.text)[-1]
        assert second.text.startswith(last_sentence)  # the overlap


def test_paragraph_boundaries_are_preferred_over_sentences() -> None:
    paragraphs = [f"Paragraph {i}. " + "Words here. " * 8 for i in range(6)]
    pieces = split_bounded("\n\n".join(p.strip() for p in paragraphs), 250, 0)
    for piece in pieces:
        assert piece.startswith("Paragraph")
        assert all(part.startswith("Paragraph") for part in piece.split("\n\n"))


def test_a_sentence_longer_than_the_bound_is_cut_at_spaces() -> None:
    pieces = split_bounded("word " * 400, 200, 0)
    assert all(len(p) <= 200 for p in pieces)
    assert " ".join(pieces).split() == ["word"] * 400


def test_faq_stays_whole_and_embeds_each_phrasing() -> None:
    answer = "Open Billing, then Refunds. " * 80  # far longer than chunk_chars
    doc = _doc(
        answer, DocFormat.FAQ, doc_id="faq-1", title="How do I get a refund?",
        questions=("Can I get my money back?", "refund request"),
    )  # fmt: skip
    chunks = Chunker(200).chunk(doc)
    assert len(chunks) == 1
    chunk = chunks[0]
    assert chunk.text.startswith("How do I get a refund?")
    assert "Can I get my money back? | refund request" in chunk.text
    assert chunk.text.endswith(answer.strip())
    assert chunk.embed_texts[1:] == (
        "Can I get my money back?", "refund request", "How do I get a refund?",
    )  # fmt: skip


def test_chunk_ids_are_deterministic_and_change_only_with_content() -> None:
    first = [c.chunk_id for c in Chunker(300).chunk(_doc(GUIDE))]
    again = [c.chunk_id for c in Chunker(300).chunk(_doc(GUIDE))]
    assert first == again
    assert len(set(first)) == len(first)
    assert all(cid.startswith("guide.md#") for cid in first)
    edited = GUIDE.replace("Add tasks to a project.", "Add tasks to any project.")
    changed = [c.chunk_id for c in Chunker(300).chunk(_doc(edited))]
    assert changed[:-1] == first[:-1] and changed[-1] != first[-1]


def test_chunk_size_has_a_floor() -> None:
    with pytest.raises(ValueError, match="chunk_chars"):
        Chunker(50)
