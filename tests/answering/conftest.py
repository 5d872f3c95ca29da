"""Fixtures of the answering tests: the fake Anthropic API and answerers pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from answering_support import TEST_MAX_TOKENS, TEST_MODEL, hit
from fakes.fake_anthropic import FakeAnthropic

from bot.answering.base import AnswerRequest, HistoryTurn
from bot.answering.claude import ClaudeAnswerer
from bot.config import load_settings


@pytest.fixture
def request_with_passages() -> AnswerRequest:
    return AnswerRequest(
        question="How do I reset my password?",
        passages=(
            hit(
                "doc-reset",
                "To reset your password, open Settings > Security and click Reset.",
                title="Resetting your password",
                heading_path=("Account", "Security"),
            ),
            hit(
                "doc-2fa",
                "Two-factor authentication can be enabled under Settings > Security.",
                title="Two-factor authentication",
            ),
        ),
        thread=(HistoryTurn("customer", "I can't log in"), HistoryTurn("bot", "Which account?")),
        memory=("Uses the Pro plan",),
        categories=("account", "billing"),
    )


MakeAnswerer = Callable[..., ClaudeAnswerer]


@pytest.fixture
async def make_answerer(fake_anthropic: FakeAnthropic) -> AsyncIterator[MakeAnswerer]:
    """Build a ClaudeAnswerer against the fake with a short timeout (1 s unless told)."""
    created: list[ClaudeAnswerer] = []

    def make(timeout: float = 1.0, **kwargs: Any) -> ClaudeAnswerer:
        settings = load_settings(
            _env_file=None,
            anthropic_timeout_seconds=timeout,
            anthropic_model=TEST_MODEL,
            anthropic_max_tokens=TEST_MAX_TOKENS,
            **fake_anthropic.settings_overrides(),
        )
        answerer = ClaudeAnswerer(settings, **kwargs)
        created.append(answerer)
        return answerer

    yield make
    for answerer in created:
        await answerer.aclose()
