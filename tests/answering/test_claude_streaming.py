"""answer_stream: a typing preview of the answer as the tool input streams, then the verdict."""

from __future__ import annotations

from fakes.fake_anthropic import FakeAnthropic, answer_input, text_reply, tool_answer, tool_call

from bot.answering.claude import ERROR_CITATION, ERROR_MALFORMED

ANSWER = (
    "Open Settings > Security and click Reset. You will get an email with a link; "
    "it is valid for one hour."
)


class Previews:
    def __init__(self) -> None:
        self.texts: list[str] = []

    async def __call__(self, text: str) -> None:
        self.texts.append(text)


async def test_stream_previews_growing_text_then_returns_the_validated_result(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(tool_answer(ANSWER, ["doc-reset"], confidence=0.8))
    previews = Previews()
    answerer = make_answerer()

    result = await answerer.answer_stream(request_with_passages, previews)

    assert result.text == ANSWER
    assert result.cited_doc_ids == ("doc-reset",)
    assert result.error is None
    assert len(previews.texts) >= 3
    assert previews.texts[-1] == ANSWER
    for shorter, longer in zip(previews.texts, previews.texts[1:], strict=False):
        assert len(shorter) < len(longer) and ANSWER.startswith(shorter)
    assert fake_anthropic.last.streaming
    assert fake_anthropic.count == 1 and answerer.calls == 1


async def test_stream_never_previews_text_with_a_citation_outside_the_passages(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(tool_answer(ANSWER, ["doc-reset", "doc-invented"]))
    previews = Previews()

    result = await make_answerer().answer_stream(request_with_passages, previews)

    assert (result.text, result.error) == (None, ERROR_CITATION)
    assert previews.texts == []


async def test_stream_without_citations_previews_nothing(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(tool_answer(ANSWER, []))
    previews = Previews()

    result = await make_answerer().answer_stream(request_with_passages, previews)

    assert result.text is None and result.error is not None
    assert previews.texts == []


async def test_stream_with_answer_before_citations_holds_the_preview(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    """If the model writes `answer` first, citations are unknown while it streams: no preview."""
    fields = answer_input(ANSWER, ["doc-reset"])
    reordered = {"answer": fields.pop("answer"), **fields}
    fake_anthropic.enqueue(tool_call(reordered))
    previews = Previews()

    result = await make_answerer().answer_stream(request_with_passages, previews)

    assert result.text == ANSWER
    assert previews.texts == []


async def test_stream_with_broken_tool_json_is_malformed(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(tool_call('{"cited_doc_ids": ["doc-reset"], "answer": "Open } oops {'))

    result = await make_answerer().answer_stream(request_with_passages, Previews())

    assert (result.text, result.error) == (None, ERROR_MALFORMED)


async def test_stream_text_only_is_malformed(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(text_reply("Just open Settings, it's easy."))
    previews = Previews()

    result = await make_answerer().answer_stream(request_with_passages, previews)

    assert (result.text, result.error) == (None, ERROR_MALFORMED)
    assert previews.texts == []


async def test_a_failing_preview_callback_does_not_lose_the_answer(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(tool_answer(ANSWER, ["doc-reset"]))
    calls = 0

    async def broken(_: str) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("chat platform said no")

    result = await make_answerer().answer_stream(request_with_passages, broken)

    assert result.text == ANSWER
    assert calls == 1  # previews stop after the first failure
