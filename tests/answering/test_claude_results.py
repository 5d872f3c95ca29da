"""How the Claude answerer judges what came back: citations, don't-know, malformed output."""

from __future__ import annotations

import pytest
from answering_support import hit
from fakes.fake_anthropic import (
    FakeAnthropic,
    answer_input,
    grounded_answer,
    text_reply,
    tool_answer,
    tool_call,
)

from bot.answering.base import AnswerRequest
from bot.answering.claude import ERROR_CITATION, ERROR_MALFORMED, ERROR_NO_CITATION

ANSWER = "Open Settings > Security and click Reset."


async def test_good_answer_with_valid_citation_is_one_call(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(
        tool_answer(
            ANSWER,
            ["doc-reset"],
            confidence=0.82,
            intent="problem",
            category="account",
            sentiment="negative",
            frustration=0.4,
            signals=["time_pressure"],
            priority_suggestion=5,
        )
    )
    answerer = make_answerer()

    result = await answerer.answer(request_with_passages)

    assert result.text == ANSWER
    assert result.cited_doc_ids == ("doc-reset",)
    assert result.confidence == pytest.approx(0.82)
    assert result.error is None
    assert result.triage == {
        "source": "claude",
        "needs_clarification": False,
        "intent": "problem",
        "category": "account",
        "sentiment": "negative",
        "frustration": pytest.approx(0.4),
        "signals": ["time_pressure"],
        "priority_suggestion": 5,
        "escalate_suggestion": False,
    }
    assert answerer.calls == 1
    assert fake_anthropic.count == 1
    assert answerer.usage.input_tokens == 1200


async def test_citation_outside_the_passages_is_not_sent(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(tool_answer(ANSWER, ["doc-reset", "doc-invented"], intent="problem"))

    result = await make_answerer().answer(request_with_passages)

    assert result.text is None
    assert result.cited_doc_ids == ()
    assert result.confidence == 0.0
    assert result.error == ERROR_CITATION
    assert result.triage["intent"] == "problem"  # triage advice survives the rejection


async def test_answer_without_citation_is_not_sent(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(tool_answer(ANSWER, []))

    result = await make_answerer().answer(request_with_passages)

    assert (result.text, result.error) == (None, ERROR_NO_CITATION)


async def test_empty_answer_is_an_honest_dont_know_with_its_clarifying_question(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(
        tool_answer(
            "  ",
            ["doc-reset"],
            confidence=0.7,
            needs_clarification=True,
            clarifying_question="Which account do you mean?",
        )
    )

    result = await make_answerer().answer(request_with_passages)

    assert result.text is None
    assert result.error is None
    assert result.cited_doc_ids == ()
    assert result.confidence == 0.0
    assert result.triage["needs_clarification"] is True
    assert result.triage["clarifying_question"] == "Which account do you mean?"


@pytest.mark.parametrize(
    "tool_input",
    [
        answer_input(42, ["doc-reset"]),  # type: ignore[arg-type]
        {**answer_input(ANSWER, []), "cited_doc_ids": "doc-reset"},
        answer_input(ANSWER, ["doc-reset", 7]),  # type: ignore[list-item]
        answer_input(ANSWER, ["doc-reset"], confidence="high"),
        answer_input(ANSWER, ["doc-reset"], confidence=True),
        answer_input(ANSWER, ["doc-reset"], needs_clarification="no"),
        {"answer": ANSWER},
        "not json at all",
    ],
    ids=[
        "answer-int",
        "cited-str",
        "cited-int-item",
        "confidence-str",
        "confidence-bool",
        "clarification-str",
        "fields-missing",
        "input-not-object",
    ],
)
async def test_malformed_tool_input_is_an_error_result(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages, tool_input
):
    fake_anthropic.enqueue(tool_call(tool_input))

    result = await make_answerer().answer(request_with_passages)

    assert (result.text, result.cited_doc_ids, result.error) == (None, (), ERROR_MALFORMED)


async def test_text_only_response_is_an_error_result(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(text_reply("Sure! Just open Settings. [doc-reset]"))

    result = await make_answerer().answer(request_with_passages)

    assert (result.text, result.error) == (None, ERROR_MALFORMED)


async def test_other_tool_name_is_an_error_result(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(tool_call(answer_input(ANSWER, ["doc-reset"]), name="send_email"))

    result = await make_answerer().answer(request_with_passages)

    assert (result.text, result.error) == (None, ERROR_MALFORMED)


async def test_answer_cut_at_max_tokens_is_not_sent(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    from dataclasses import replace

    fake_anthropic.enqueue(replace(tool_answer(ANSWER, ["doc-reset"]), stop_reason="max_tokens"))

    result = await make_answerer().answer(request_with_passages)

    assert (result.text, result.error) == (None, ERROR_MALFORMED)


async def test_triage_advice_is_normalised_not_fatal(
    make_answerer, fake_anthropic: FakeAnthropic, request_with_passages
):
    fake_anthropic.enqueue(
        tool_answer(
            ANSWER,
            ["doc-reset", "doc-reset"],
            confidence=1.7,
            intent="rant",
            category="crypto",
            sentiment="ANGRY",
            frustration=3,
            signals=["legal_threat", "made_up", "legal_threat"],
            priority_suggestion=42,
            escalate_suggestion="yes",
        )
    )

    result = await make_answerer().answer(request_with_passages)

    assert result.text == ANSWER
    assert result.cited_doc_ids == ("doc-reset",)
    assert result.confidence == 1.0
    assert result.triage == {
        "source": "claude",
        "needs_clarification": False,
        "category": "other",
        "frustration": 1.0,
        "signals": ["legal_threat"],
        "priority_suggestion": 10,
    }


async def test_no_passages_means_no_call_by_default(make_answerer, fake_anthropic: FakeAnthropic):
    answerer = make_answerer()

    result = await answerer.answer(
        AnswerRequest(question="What is the meaning of life?", passages=())
    )

    assert (result.text, result.error, result.confidence) == (None, None, 0.0)
    assert answerer.calls == 0
    assert fake_anthropic.count == 0


async def test_no_passages_can_still_ask_claude_for_triage(
    make_answerer, fake_anthropic: FakeAnthropic
):
    fake_anthropic.enqueue(
        tool_answer("", [], intent="human_request", signals=["explicit_human_request"])
    )
    answerer = make_answerer(consult_without_passages=True)

    result = await answerer.answer(AnswerRequest(question="Get me a human", passages=()))

    assert result.text is None and result.error is None
    assert result.triage["signals"] == ["explicit_human_request"]
    assert answerer.calls == 1
    assert "<passages>\n</passages>" in fake_anthropic.last.user_text


async def test_grounded_fallback_of_the_fake_cites_the_first_passage(
    make_answerer, fake_anthropic: FakeAnthropic
):
    """The fake's `grounded_answer` fallback is what engine tests use; keep it honest."""
    fake_anthropic.fallback = grounded_answer
    request = AnswerRequest(
        question="Refunds?",
        passages=(hit("doc-refund", "Refunds take 5 days. Contact billing for more."),),
    )

    result = await make_answerer().answer(request)

    assert result.text == "Refunds take 5 days."
    assert result.cited_doc_ids == ("doc-refund",)
