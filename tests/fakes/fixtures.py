"""Pytest fixtures for the fakes. Import them into a conftest.py to use them:

from fakes.fixtures import fake_anthropic  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fakes.fake_anthropic import FakeAnthropic


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    """A running fake Anthropic API for one test; see fakes/fake_anthropic.py to script it."""
    with FakeAnthropic() as fake:
        yield fake
