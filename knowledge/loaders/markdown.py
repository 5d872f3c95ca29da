"""Markdown files with optional YAML front matter (title, category, url, updated, product,
visibility). The title is the front matter's, else the first level-1 heading, else the file
name.
"""

from __future__ import annotations

import frontmatter
import yaml
from markdown_it import MarkdownIt

from knowledge.loaders.document import DocFormat, Document, Loaded, LoadError
from knowledge.loaders.metadata import parse_metadata
from knowledge.loaders.protocols import FileRef
from knowledge.loaders.text import decode_text, title_from_filename

_PARSER = MarkdownIt("commonmark")


def first_h1(markdown: str) -> str | None:
    """The first level-1 heading (code blocks are not mistaken for headings)."""
    tokens = _PARSER.parse(markdown)
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1" and i + 1 < len(tokens):
            text = tokens[i + 1].content.strip()
            if text:
                return text
    return None


class MarkdownReader:
    suffixes = (".md", ".markdown", ".mdx")

    def read(self, file: FileRef, data: bytes) -> Loaded:
        text, warning = decode_text(data)
        try:
            post = frontmatter.loads(text)
        except yaml.YAMLError as exc:
            first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise LoadError(f"invalid YAML front matter: {first_line}") from None
        if not isinstance(post.metadata, dict):
            raise LoadError("front matter must be a mapping of fields")
        meta = parse_metadata(post.metadata)
        body = post.content
        if not body.strip():
            raise LoadError("no text after the front matter")
        doc = Document(
            doc_id=file.doc_id,
            title=meta.title or first_h1(body) or title_from_filename(file),
            body=body,
            format=DocFormat.MARKDOWN,
            source=file.source,
            url=meta.url,
            category=meta.category,
            updated=meta.updated,
            product=meta.product,
            visibility=meta.visibility,
        )
        return Loaded(documents=[doc], warnings=[warning] if warning else [])
