"""Remove personal data from text shown to agents unless it is needed.

Agents need the issue, not the customer's card number: emails, phone numbers and payment
card numbers (checked with Luhn, so order ids are not eaten) become [email], [phone] and
[card number].
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_PHONE = re.compile(r"(?<![\w/])\+?\(?\d{1,4}\)?(?:[ .-]?\(?\d{2,4}\)?){2,5}(?![\w/])")


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[card number]" if 13 <= len(digits) <= 19 and luhn_ok(digits) else match.group(0)


def _phone(match: re.Match[str]) -> str:
    raw = match.group(0)
    digits = re.sub(r"\D", "", raw)
    # A bare run of digits is more likely an order or ticket number than a phone number.
    formatted = raw.lstrip().startswith("+") or len(re.findall(r"[ .()-]", raw)) >= 2
    return "[phone]" if 8 <= len(digits) <= 15 and formatted else raw


def redact(text: str) -> str:
    text = _EMAIL.sub("[email]", text)
    text = _CARD.sub(_card, text)
    return _PHONE.sub(_phone, text)
