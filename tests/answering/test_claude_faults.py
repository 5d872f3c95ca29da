"""The Claude answerer under API faults: retried by the SDK, then an error result, on time."""

from __future__ import annotations

import logging
import socket
import time

import pytest
from answering_support import TEST_MODEL
from fakes.fake_anthropic import (
    FakeAnthropic,
    api_error,
    bad_request,
    overloaded,
    rate_limited,
    server_error,
    tool_answer,
)

from bot.answering.claude import ClaudeAnswerer
from bot.config import load_settings

ANSWER = "Open Settings > Security and click Reset."


async def test_429_is_retried_after_retry_after_then_succeeds(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(rate_limited(retry_after=0.3), tool_answer(ANSWER, ["doc-reset"]))
    answerer = make_answerer(timeout=2.0)

    started = time.monotonic()
    result = await answerer.answer(request_with_passages)
    elapsed = time.monotonic() - started

    assert result.text == ANSWER and result.error is None
    assert fake_anthropic.count == 2
    assert [r.headers["x-stainless-retry-count"] for r in fake_anthropic.requests] == ["0", "1"]
    assert elapsed >= 0.3  # waited as told, not the SDK's own backoff
    assert answerer.calls == 1  # retries are the SDK's, still one call for the message


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (server_error(retry_after=0.01), "llm_unavailable: InternalServerError"),
        (overloaded(retry_after=0.01), "llm_unavailable: OverloadedError"),
        (rate_limited(retry_after=0.01), "llm_unavailable: RateLimitError"),
    ],
    ids=["500", "529", "429"],
)
async def test_persistent_server_errors_end_in_an_error_result_after_three_tries(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages, reply, expected
):
    fake_anthropic.enqueue(reply, times=3)
    answerer = make_answerer()

    result = await answerer.answer(request_with_passages)

    assert (result.text, result.cited_doc_ids, result.confidence) == (None, (), 0.0)
    assert result.error == expected
    assert fake_anthropic.count == 3  # max_retries=2
    assert answerer.calls == 1


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (api_error(401, "authentication_error", "invalid x-api-key"), "AuthenticationError"),
        (bad_request("messages: text content blocks must be non-empty"), "BadRequestError"),
    ],
    ids=["401", "400"],
)
async def test_client_errors_are_not_retried_and_logged_without_message_text(
    make_answerer,
    fake_anthropic: FakeAnthropic,
    request_with_passages,
    reply,
    expected,
    caplog: pytest.LogCaptureFixture,
):
    fake_anthropic.enqueue(reply)
    caplog.set_level(logging.DEBUG, logger="bot.answering")

    result = await make_answerer().answer(request_with_passages)

    assert result.text is None
    assert result.error == f"llm_unavailable: {expected}"
    assert fake_anthropic.count == 1
    logged = caplog.text
    assert expected in logged
    assert "reset my password" not in logged  # the customer's words
    assert "x-api-key" not in logged and "non-empty" not in logged  # the API's message text


async def test_wrong_key_is_an_error_result(fake_anthropic: FakeAnthropic, request_with_passages):
    settings = load_settings(
        _env_file=None,
        anthropic_api_key="sk-wrong",
        anthropic_base_url=fake_anthropic.url,
        anthropic_timeout_seconds=1.0,
        anthropic_model=TEST_MODEL,
    )
    async with ClaudeAnswerer(settings) as answerer:
        result = await answerer.answer(request_with_passages)

    assert result.error == "llm_unavailable: AuthenticationError"


async def test_slow_response_ends_within_the_configured_timeout(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(tool_answer(ANSWER, ["doc-reset"]).slow(5.0), times=3)
    answerer = make_answerer(timeout=1.0)

    started = time.monotonic()
    result = await answerer.answer(request_with_passages)
    elapsed = time.monotonic() - started

    assert result.text is None
    assert result.error is not None and result.error.startswith("llm_unavailable: ")
    assert 0.9 <= elapsed < 1.8


async def test_per_attempt_timeouts_are_retried_inside_a_longer_deadline(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(tool_answer(ANSWER, ["doc-reset"]).slow(5.0))
    fake_anthropic.enqueue(tool_answer(ANSWER, ["doc-reset"]))
    answerer = make_answerer(timeout=0.4, deadline_seconds=3.0)

    result = await answerer.answer(request_with_passages)

    assert result.text == ANSWER
    assert fake_anthropic.count == 2


async def test_connection_refused_is_an_error_result(request_with_passages):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = load_settings(
        _env_file=None,
        anthropic_api_key="sk-x",
        anthropic_base_url=f"http://127.0.0.1:{port}",
        anthropic_timeout_seconds=1.0,
        anthropic_model=TEST_MODEL,
    )
    async with ClaudeAnswerer(settings, max_retries=0) as answerer:
        result = await answerer.answer(request_with_passages)

    assert result.error == "llm_unavailable: APIConnectionError"


async def test_stalled_stream_ends_within_the_deadline(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(tool_answer(ANSWER, ["doc-reset"]).stalled(after_events=6))
    answerer = make_answerer(timeout=1.0)

    async def ignore(_: str) -> None:
        return None

    started = time.monotonic()
    result = await answerer.answer_stream(request_with_passages, ignore)
    elapsed = time.monotonic() - started

    assert result.text is None
    assert result.error is not None and result.error.startswith("llm_unavailable: ")
    assert elapsed < 1.8


async def test_stalled_stream_raw_read_timeout_is_caught(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    """With a deadline longer than the read timeout, the HTTP library's own ReadTimeout
    escapes the SDK (it is not wrapped or retried mid-stream); it must not escape us."""
    fake_anthropic.enqueue(tool_answer(ANSWER, ["doc-reset"]).stalled(after_events=6))
    answerer = make_answerer(timeout=0.5, deadline_seconds=5.0)

    async def ignore(_: str) -> None:
        return None

    started = time.monotonic()
    result = await answerer.answer_stream(request_with_passages, ignore)

    assert result.error == "llm_unavailable: ReadTimeout"
    assert time.monotonic() - started < 2.0
    assert fake_anthropic.count == 1


async def test_error_event_inside_a_stream_is_an_error_result(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(tool_answer(ANSWER, ["doc-reset"]).error_mid_stream(after_events=5))

    async def ignore(_: str) -> None:
        return None

    result = await make_answerer().answer_stream(request_with_passages, ignore)

    assert result.text is None
    assert result.error == "llm_unavailable: APIStatusError"


async def test_errors_before_a_stream_starts_are_retried(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(overloaded(retry_after=0.01), tool_answer(ANSWER, ["doc-reset"]))
    seen: list[str] = []

    async def collect(text: str) -> None:
        seen.append(text)

    result = await make_answerer().answer_stream(request_with_passages, collect)

    assert result.text == ANSWER
    assert fake_anthropic.count == 2
    assert seen and seen[-1] == ANSWER


async def test_stream_cut_before_message_stop_is_an_error_result(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(tool_answer(ANSWER, ["doc-reset"]).cut(after_events=8))

    async def ignore(_: str) -> None:
        return None

    result = await make_answerer().answer_stream(request_with_passages, ignore)

    assert result.text is None
    assert result.error == "llm_unavailable: incomplete_stream"
