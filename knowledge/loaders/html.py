"""HTML pages: navigation, scripts and page chrome are dropped, headings kept as Markdown
headings so the chunker can follow them. Title from <title>, else the first <h1>; url from
<link rel="canonical"> when present.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag

from knowledge.loaders.document import DocFormat, Document, Loaded, LoadError
from knowledge.loaders.protocols import FileRef
from knowledge.loaders.text import decode_text, title_from_filename

_ALWAYS_DROP = ("script", "style", "noscript", "template", "nav", "svg", "iframe", "form")
_CHROME = ("header", "footer", "aside")  # dropped unless inside the article itself
_BLOCKS = (
    "p", "div", "section", "article", "main", "blockquote", "ul", "ol", "li", "dl", "dt",
    "dd", "table", "tr", "figure", "figcaption", "br", "hr",
)  # fmt: skip
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_FENCE = "```"


def html_to_markdown(soup: BeautifulSoup) -> str:
    """The readable text of a page, with headings as '#' lines and blank lines between blocks."""
    for tag in soup.find_all(_ALWAYS_DROP):
        tag.decompose()
    for tag in soup.find_all(_CHROME):
        if not tag.decomposed and tag.find_parent(("article", "main")) is None:
            tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    for pre in root.find_all("pre"):
        code = pre.get_text().strip("\n")
        pre.replace_with(NavigableString(f"\n\n{_FENCE}\n{code}\n{_FENCE}\n\n"))
    for heading in root.find_all(_HEADINGS):
        level = int(heading.name[1])
        text = " ".join(heading.get_text(" ").split())
        heading.replace_with(NavigableString(f"\n\n{'#' * level} {text}\n\n" if text else ""))
    for cell in root.find_all(("td", "th")):
        cell.append(NavigableString(" "))
    for block in root.find_all(_BLOCKS):
        if block.name == "li":
            block.insert(0, NavigableString("- "))
        block.insert_before(NavigableString("\n\n"))
        block.insert_after(NavigableString("\n\n"))
    return _tidy(root.get_text())


def _tidy(text: str) -> str:
    """Collapse HTML whitespace inside each block, but keep fenced code as it was."""
    blocks: list[str] = []
    in_fence = False
    for part in re.split(r"\n\s*\n", text):
        if in_fence or part.lstrip().startswith(_FENCE):
            blocks.append(part.strip("\n"))
            in_fence = (in_fence + part.count(_FENCE)) % 2 == 1
            continue
        line = " ".join(part.split())
        if line and line != "-":
            blocks.append(line)
    return "\n\n".join(blocks)


class HtmlReader:
    suffixes = (".html", ".htm")

    def read(self, file: FileRef, data: bytes) -> Loaded:
        text, warning = decode_text(data)
        soup = BeautifulSoup(text, "html.parser")
        title = _title(soup)
        url = _canonical_url(soup)
        body = html_to_markdown(soup)
        if not body.strip():
            raise LoadError("no readable text in the HTML page")
        doc = Document(
            doc_id=file.doc_id,
            title=title or title_from_filename(file),
            body=body,
            format=DocFormat.MARKDOWN,
            source=file.source,
            url=url,
        )
        return Loaded(documents=[doc], warnings=[warning] if warning else [])


def _title(soup: BeautifulSoup) -> str | None:
    for tag in (soup.title, soup.find("h1")):
        if isinstance(tag, Tag):
            text = " ".join(tag.get_text(" ").split())
            if text:
                return text
    return None


def _canonical_url(soup: BeautifulSoup) -> str | None:
    link = soup.find("link", rel="canonical")
    if isinstance(link, Tag):
        href = link.get("href")
        if isinstance(href, str) and href.strip():
            return href.strip()
    return None
