"""Heading-aware chunking: documents become passages small enough to embed and to quote.

- Markdown (and HTML, converted to Markdown by its loader) is cut at headings; every chunk
  carries its heading path (`("Billing", "Refunds")`), so a passage deep in a page still
  says what it is about. Headings inside code blocks are not headings (markdown-it parses).
- A section longer than `chunk_chars` is split at paragraph boundaries, a paragraph that is
  still too long at sentence boundaries, and only a sentence longer than the bound is cut
  at a space. Consecutive pieces of one section overlap by a sentence or so
  (`overlap_chars`), so a fact split across the cut is still found whole in one of them.
  `len(chunk.text) <= chunk_chars` always holds, except for FAQ entries.
- An FAQ entry is one chunk, however long: question, alternate phrasings and answer.
  Each alternate phrasing is also embedded on its own (`embed_texts[1:]`), so a customer
  who words the question that way finds it by meaning, not only by keyword.
- MiniLM reads only the first 256 word pieces, so what is embedded is
  "title > heading path" followed by the chunk text: the context first, where it is never
  truncated away. The stored `text` is the passage itself, without that prefix.
- The context line (an FAQ's question) is also embedded alone, as one more variant of the
  chunk, and search keeps the chunk's best variant. A short question often matches what a
  section is *about* better than the passage, whose vector is diluted by its details: on
  FeedbackQA (train) this raised vector-only MRR@10 from 0.52 to 0.58 and the hybrid's
  from 0.59 to 0.63; windows over long passages did not help (docs/retrieval.md).
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, replace

from markdown_it import MarkdownIt

from knowledge.loaders.document import DocFormat, Document
from knowledge.types import Visibility

DEFAULT_CHUNK_CHARS = 1200
MIN_CHUNK_CHARS = 200
CONTEXT_SEPARATOR = " > "

_PARSER = MarkdownIt("commonmark")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9À-Ý])")
_FENCE = re.compile(r"^\s*(```|~~~)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Chunk:
    """One passage with everything search filters on and citations show."""

    doc_id: str
    position: int  # 0-based order within its document
    text: str
    title: str
    heading_path: tuple[str, ...]
    source: str
    url: str | None
    category: str | None
    updated: str | None
    product: str
    visibility: Visibility
    embed_texts: tuple[str, ...]  # [0] the passage in context; then phrasings, the context

    @property
    def context(self) -> str:
        """'Title > Heading > Subheading' without repeating a heading equal to the title."""
        return context_line(self.title, self.heading_path)

    @property
    def content_hash(self) -> str:
        """Changes whenever what is stored or embedded for this chunk changes."""
        digest = hashlib.sha256()
        for part in (self.text, *self.embed_texts):
            digest.update(part.encode("utf-8"))
            digest.update(b"\x00")
        return digest.hexdigest()[:32]

    @property
    def chunk_id(self) -> str:
        """Deterministic: `<doc_id>#<position>-<hash8>`; same content, same place, same id."""
        return f"{self.doc_id}#{self.position}-{self.content_hash[:8]}"


def context_line(title: str, heading_path: tuple[str, ...]) -> str:
    parts = [title] if title else []
    for heading in heading_path:
        if not parts or heading.casefold() != parts[-1].casefold():
            parts.append(heading)
    return CONTEXT_SEPARATOR.join(parts)


@dataclass(frozen=True, slots=True)
class Section:
    heading_path: tuple[str, ...]
    text: str


class Chunker:
    """Splits documents into bounded, heading-aware chunks (see the module docstring)."""

    def __init__(self, chunk_chars: int = DEFAULT_CHUNK_CHARS, overlap_chars: int | None = None):
        if chunk_chars < MIN_CHUNK_CHARS:
            raise ValueError(f"chunk_chars must be at least {MIN_CHUNK_CHARS}, got {chunk_chars}")
        self.chunk_chars = chunk_chars
        self.overlap_chars = (
            min(200, chunk_chars // 8) if overlap_chars is None else max(0, overlap_chars)
        )
        if self.overlap_chars >= chunk_chars // 2:
            raise ValueError("overlap_chars must be less than half of chunk_chars")

    def chunk(self, doc: Document) -> list[Chunk]:
        if doc.format is DocFormat.FAQ:
            return [self._faq_chunk(doc)]
        if doc.format is DocFormat.MARKDOWN:
            sections = markdown_sections(doc.body)
        else:
            sections = [Section((), doc.body)]
        chunks: list[Chunk] = []
        for section in sections:
            for piece in split_bounded(section.text, self.chunk_chars, self.overlap_chars):
                chunks.append(self._chunk(doc, len(chunks), piece, section.heading_path))
        return chunks

    def _chunk(
        self, doc: Document, position: int, text: str, heading_path: tuple[str, ...]
    ) -> Chunk:
        context = context_line(doc.title, heading_path)
        return Chunk(
            doc_id=doc.doc_id,
            position=position,
            text=text,
            title=doc.title,
            heading_path=heading_path,
            source=doc.source,
            url=doc.url,
            category=doc.category,
            updated=doc.updated,
            product=doc.product,
            visibility=doc.visibility,
            embed_texts=_with_alone(f"{context}\n{text}", (), context),
        )

    def _faq_chunk(self, doc: Document) -> Chunk:
        question, answer = doc.title.strip(), doc.body.strip()
        lines = [question]
        if doc.questions:
            lines.append("Also asked as: " + " | ".join(doc.questions))
        text = "\n".join(lines) + "\n\n" + answer
        chunk = self._chunk(doc, 0, text, ())
        embed_texts = _with_alone(f"{question}\n{answer}", doc.questions, question)
        return replace(chunk, embed_texts=embed_texts)


def _with_alone(main: str, phrasings: tuple[str, ...], alone: str) -> tuple[str, ...]:
    """The texts to embed: the main one, the phrasings, then `alone` unless empty or seen."""
    texts = (main, *phrasings)
    alone = alone.strip()
    return (*texts, alone) if alone and alone not in texts else texts


def markdown_sections(markdown: str) -> list[Section]:
    """Cut Markdown at its headings; each section's text excludes its heading line."""
    lines = markdown.splitlines()
    tokens = _PARSER.parse(markdown)
    headings: list[tuple[int, int, int, str]] = []  # (start line, end line, level, text)
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.map and i + 1 < len(tokens):
            level = int(token.tag[1])
            text = " ".join(tokens[i + 1].content.split())
            headings.append((token.map[0], token.map[1], level, text))
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    body_start = 0
    for start, end, level, text in [*headings, (len(lines), len(lines), 0, "")]:
        body = "\n".join(lines[body_start:start]).strip("\n")
        if body.strip():
            sections.append(Section(tuple(h for _, h in stack), _dedent_block(body)))
        if level == 0:
            break
        while stack and stack[-1][0] >= level:
            stack.pop()
        if text:
            stack.append((level, text))
        body_start = end
    return sections


def _dedent_block(text: str) -> str:
    return textwrap.dedent(text).strip()


def split_bounded(text: str, limit: int, overlap: int) -> list[str]:
    """Pack paragraphs (then sentences, then words) into pieces of at most `limit` chars."""
    text = text.strip()
    if not text:
        return []
    if len(text) <= limit:
        return [text]
    units = list(_units(text, limit))
    pieces: list[str] = []
    current: list[tuple[int, str]] = []  # (paragraph number, unit text)
    for unit in units:
        if current and _joined_len([*current, unit]) > limit:
            pieces.append(_join(current))
            current = _overlap_tail(current, overlap)
            while current and _joined_len([*current, unit]) > limit:
                current.pop(0)
        current.append(unit)
    if current:
        pieces.append(_join(current))
    return pieces


def _units(text: str, limit: int) -> Iterator[tuple[int, str]]:
    """Paragraphs that fit, else their sentences, else word-wrapped slices of a sentence."""
    for number, paragraph in enumerate(_paragraphs(text)):
        if len(paragraph) <= limit:
            yield number, paragraph
            continue
        for sentence in _SENTENCE_END.split(paragraph):
            sentence = sentence.strip()
            if not sentence:
                continue
            if len(sentence) <= limit:
                yield number, sentence
            else:
                for part in textwrap.wrap(sentence, limit, break_on_hyphens=False):
                    yield number, part


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated blocks, keeping a fenced code block (with blank lines) together."""
    paragraphs: list[str] = []
    open_fence = False
    for block in re.split(r"\n\s*\n", text):
        block = block.strip("\n")
        if not block.strip():
            continue
        if open_fence:
            paragraphs[-1] += "\n\n" + block
        else:
            paragraphs.append(block)
        if len(_FENCE.findall(block)) % 2 == 1:
            open_fence = not open_fence
    return paragraphs


def _join(units: list[tuple[int, str]]) -> str:
    out = ""
    previous = None
    for number, unit in units:
        if previous is not None:
            out += " " if number == previous else "\n\n"
        out += unit
        previous = number
    return out


def _joined_len(units: list[tuple[int, str]]) -> int:
    return len(_join(units))


def _overlap_tail(units: list[tuple[int, str]], overlap: int) -> list[tuple[int, str]]:
    """The last units of a piece whose joined length is within `overlap` (maybe none)."""
    tail: list[tuple[int, str]] = []
    for unit in reversed(units):
        if _joined_len([unit, *tail]) > overlap:
            break
        tail.insert(0, unit)
    if len(tail) == len(units):  # never repeat a whole piece
        tail = tail[1:]
    return tail
