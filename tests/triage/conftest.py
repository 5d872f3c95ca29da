"""One Triager per test run: it embeds the intent prototypes once."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def triager(embedder):
    from bot.triage import Triager

    return Triager(embedder)
