from bot.text import clean_message, defuse_mass_mentions


def test_zero_width_and_control_characters_are_removed() -> None:
    cleaned = clean_message("pass\u200bword\x00 re\u202eset\x07\r\nplease", max_chars=100)
    assert cleaned.text == "password reset\nplease"


def test_long_message_keeps_everything_but_reads_the_head() -> None:
    raw = "x" * 100_000
    cleaned = clean_message(raw, max_chars=4000)
    assert cleaned.truncated
    assert len(cleaned.text) == 100_000
    assert len(cleaned.head) == 4000


def test_whitespace_only_is_empty() -> None:
    assert clean_message(" \u200b\t\n ", max_chars=10).text == ""


def test_mass_mentions_are_defused() -> None:
    out = defuse_mass_mentions("hi @everyone and @HERE and @channel, mail a@everyone.example")
    assert "@everyone " not in out and "@HERE" not in out and "@channel" not in out
    assert (
        out.replace("\u2060", "") == "hi @everyone and @HERE and @channel, mail a@everyone.example"
    )
