"""PDF files via pypdf: the text layer of each page, in order. Scanned PDFs without a text
layer are reported (OCR is out of scope), as are corrupt and password-protected files.
"""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader

from knowledge.loaders.document import DocFormat, Document, Loaded, LoadError
from knowledge.loaders.protocols import FileRef
from knowledge.loaders.text import title_from_filename

logging.getLogger("pypdf").setLevel(logging.ERROR)  # it warns on every odd xref


class PdfTextReader:
    suffixes = (".pdf",)

    def read(self, file: FileRef, data: bytes) -> Loaded:
        if not data.strip():
            raise LoadError("empty file")
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise LoadError("the PDF is password-protected")
            pages = list(reader.pages)
            title = _metadata_title(reader)
        except LoadError:
            raise
        except Exception as exc:  # pypdf raises many types on damaged files
            raise LoadError(f"not a readable PDF ({type(exc).__name__}: {exc})") from None
        texts: list[str] = []
        warnings: list[str] = []
        for number, page in enumerate(pages, start=1):
            try:
                text = page.extract_text() or ""
            except Exception as exc:
                warnings.append(f"page {number} skipped ({type(exc).__name__}: {exc})")
                continue
            if text.strip():
                texts.append(text.strip())
        if not texts:
            raise LoadError("the PDF has no text layer (scanned pages need OCR first)")
        doc = Document(
            doc_id=file.doc_id,
            title=title or title_from_filename(file),
            body="\n\n".join(texts),
            format=DocFormat.TEXT,
            source=file.source,
        )
        return Loaded(documents=[doc], warnings=warnings)


def _metadata_title(reader: PdfReader) -> str | None:
    try:
        meta = reader.metadata
        title = meta.title if meta is not None else None
    except Exception:
        return None
    return title.strip() if isinstance(title, str) and title.strip() else None
