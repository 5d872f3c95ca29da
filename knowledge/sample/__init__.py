"""The bundled sample knowledge base: help-center articles for the fictional product Tasklane.

Used only by the embedded default (when the knowledge base is empty and no sources are
configured); `supportbot kb ingest` never adds it.
"""

from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent
