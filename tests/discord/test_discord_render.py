"""Splitting and rendering rules, on the pure render functions."""

from __future__ import annotations

import re

from adapters.discord.render import MESSAGE_LIMIT, safe, split_message

LINK = "[Reset your password](https://help.example.com/reset-password)"


def fences_balanced(chunk: str) -> bool:
    return chunk.count("```") % 2 == 0


def test_long_answer_splits_without_breaking_code_blocks():
    code = "```python\n" + "\n".join(f"print({i})  # step {i}" for i in range(60)) + "\n```"
    text = ("Intro paragraph. " * 80) + "\n\n" + code + "\n\n" + ("Outro words. " * 120)
    chunks = split_message(text)
    assert len(chunks) > 1
    assert all(len(c) <= MESSAGE_LIMIT for c in chunks)
    assert all(fences_balanced(c) for c in chunks)
    assert any(code in c for c in chunks)  # it fits in one message, so it stays whole


def test_oversized_code_block_is_refenced_per_piece():
    code = "```\n" + "\n".join("x = 1  # " + "y" * 60 for _ in range(100)) + "\n```"
    chunks = split_message(code)
    assert len(chunks) > 2
    for chunk in chunks:
        assert len(chunk) <= MESSAGE_LIMIT
        assert chunk.startswith("```") and chunk.endswith("```")


def test_links_are_never_cut():
    text = " ".join([LINK] * 150)
    chunks = split_message(text)
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk) <= MESSAGE_LIMIT
        assert len(re.findall(r"\[[^\]]*\]\([^)]*\)", chunk)) == chunk.count("](")


def test_mass_mentions_are_defused():
    assert "@everyone" not in safe("hi @everyone and @here")
