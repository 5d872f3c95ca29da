"""The splitter both adapters use: limits, links and code fences (platform-free rules)."""

from __future__ import annotations

import re

from bot.message_split import split_message

SLACK_LINK = "<https://help.example.com/reset?a=1&amp;b=2|How to reset your password>"


def test_slack_links_with_spaces_in_their_titles_are_never_cut() -> None:
    text = " ".join([SLACK_LINK] * 120)
    pieces = split_message(text, 1000)
    assert len(pieces) > 1
    for piece in pieces:
        assert len(piece) <= 1000
        assert re.sub(r"<[^<>]+>", "", piece).strip() == ""  # only whole links remain


def test_a_one_line_fenced_block_does_not_swallow_what_follows() -> None:
    text = "```inline code```\n\nWords after it.\n\n" + ("More words. " * 200)
    pieces = split_message(text, 1000)
    assert pieces[0].startswith("```inline code```\n\nWords after it.")
    assert all(p.count("```") % 2 == 0 and len(p) <= 1000 for p in pieces)
    assert "".join(pieces).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )


def test_blank_text_gives_no_pieces_and_short_text_one() -> None:
    assert split_message("  \n ", 100) == []
    assert split_message(" hello ", 100) == ["hello"]
