"""Signals read from the text alone: lexicon phrases and regexes with simple negation.

Why rules and not a model: these flags drive escalations that must be explainable and
testable ("the customer wrote 'lawyer'"), and the cost of a miss on legal, fraud or
safety is far higher than an extra escalation. Rules for those never honour negation
("I don't think I was hacked, but..." still goes to a human); the others do, so
"I don't want a human" is not a human request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.triage.types import Signal


@dataclass(frozen=True, slots=True)
class _Rule:
    signal: Signal
    pattern: re.Pattern[str]
    negatable: bool


def _rule(signal: Signal, *alternatives: str, negatable: bool) -> _Rule:
    body = "|".join(f"(?:{alt})" for alt in alternatives)
    return _Rule(signal, re.compile(rf"\b(?:{body})\b", re.IGNORECASE), negatable)


_STAFF = (
    r"(?:real\s+|live\s+|actual\s+|human\s+)?"
    r"(?:human(?:\s+being)?|person|agent|representative|rep|operator|manager|supervisor|"
    r"staff(?:\s+member)?|support\s+(?:person|team))"
)
_ANYONE = rf"(?:{_STAFF}|(?:someone|somebody|people)(?!'))"
_DET = r"(?:(?:a|an|the|some|your|one\s+of\s+your)\s+)?"
_BOT = (
    r"(?:(?:a|the|this|your|some|stupid|dumb)\s+)*"
    r"(?:bot|robot|ai|machine|chatbot|automated\s+\w+)"
)

_RULES: tuple[_Rule, ...] = (
    _rule(
        Signal.EXPLICIT_HUMAN_REQUEST,
        rf"(?:talk|speak|chat)\s+(?:(?:to|with)\s+)?{_DET}{_ANYONE}",
        rf"(?:connect|transfer|put|pass|hand|get)\s+(?:me|us)\s+"
        rf"(?:(?:to|with|through\s+to|over\s+to)\s+)?{_DET}{_ANYONE}",
        rf"(?:want|need|request|demand|like)\s+(?:to\s+(?:talk|speak|chat)\s+(?:to|with)\s+)?"
        rf"{_DET}{_STAFF}",
        r"get\s+(?:a|your)\s+(?:manager|supervisor)",
        r"(?:a|an)\s+(?:real\s+)?human(?!\s+resources)",
        r"real\s+person|live\s+(?:agent|person|chat|support)|human\s+(?:agent|support|please)",
        r"escalate(?:\s+(?:this|it|my\s+\w+))?",
        r"is\s+there\s+(?:a\s+|an\s+)?(?:human|anyone|someone|real\s+person)\s+"
        r"(?:there|here|available|i\s+can)",
        negatable=True,
    ),
    _rule(  # "I don't want a bot" is itself a request for a person: never negated.
        Signal.EXPLICIT_HUMAN_REQUEST,
        rf"(?:don'?t|do\s+not|no)\s+(?:want|need|more)\s+(?:to\s+(?:talk|speak|chat)\s+"
        rf"(?:to|with)\s+)?{_BOT}",
        rf"not\s+(?:to\s+)?{_BOT}",
        r"stop\s+(?:the\s+)?bot",
        negatable=False,
    ),
    _rule(
        Signal.LEGAL_THREAT,
        r"lawyers?|attorneys?|solicitors?|legal\s+(?:action|team|counsel|proceedings)",
        r"sue|suing|sued|lawsuit|litigation|small\s+claims|class\s+action|cease\s+and\s+desist",
        r"(?:take|taking)\s+(?:you|this|it)\s+to\s+court|see\s+you\s+in\s+court",
        r"report\s+(?:you|this|your\s+company|it)\s+to\s+(?:the\s+)?"
        r"(?:bbb|ftc|cfpb|authorities|regulators?|police|ombudsman|trading\s+standards)",
        r"consumer\s+protection|data\s+protection\s+authority|gdpr\s+complaint|chargeback",
        negatable=True,
    ),
    _rule(
        Signal.CHURN_THREAT,
        r"cancel(?:l?ing)?\s+(?:my|our|the)\s+"
        r"(?:subscription|account|membership|plan|service|contract)",
        r"close\s+(?:my|our)\s+account",
        r"switch(?:ing)?\s+(?:over\s+)?to\s+(?:a\s+)?(?:competitor|another\s+"
        r"(?:provider|service|company|app|bank|vendor))",
        r"(?:leave|leaving|quit|quitting|done\s+with|finished\s+with)\s+"
        r"(?:your|this)\s+(?:company|service|app|product|platform|bank)",
        r"take\s+(?:my|our)\s+business\s+elsewhere",
        r"looking\s+(?:at|for)\s+(?:alternatives|other\s+options|competitors)",
        negatable=True,
    ),
    _rule(
        Signal.CHURN_THREAT,
        r"never\s+(?:use|buy|order|recommend)",
        r"(?:won'?t|will\s+not|not\s+going\s+to|no\s+longer)\s+(?:be\s+)?(?:renew|renewing|"
        r"using|coming\s+back|recommend)",
        negatable=False,
    ),
    _rule(
        Signal.SECURITY_OR_FRAUD,
        r"hack(?:ed|er|ers|ing)?|compromised|unauthori[sz]ed|fraud(?:ulent)?|scammed|"
        r"phish(?:ing|ed)?|identity\s+theft|data\s+breach|account\s+takeover",
        r"stolen\s+(?:card|password|identity|account|credentials|phone|laptop)",
        r"(?:card|account|password|identity|phone|wallet|credentials)\s+"
        r"(?:was|were|has\s+been|got)\s+stolen",
        r"someone\s+(?:else\s+)?(?:logged|got|has|accessed|is\s+using|used|took)\s+"
        r"(?:in\w*\s+|into\s+)?(?:to\s+)?my\s+(?:account|card|money)",
        r"(?:didn'?t|did\s+not|never)\s+(?:make|authori[sz]e|approve|order)\s+"
        r"(?:this|that|these|the|a|any)\s+(?:purchases?|payments?|transactions?|charges?|"
        r"logins?|transfers?|withdrawals?)",
        r"(?:don'?t|do\s+not)\s+recogni[sz]e\s+(?:this|that|these|the|a)\s+"
        r"(?:purchases?|payments?|transactions?|charges?|logins?|transfers?|withdrawals?)",
        r"suspicious\s+(?:login|sign[- ]?in|activity|transaction|charge|email|payment)s?",
        r"(?:password|api\s+key|token|credentials|data|keys?)\s+(?:was\s+|were\s+|got\s+)?"
        r"(?:leaked|exposed)",
        r"security\s+(?:issue|vulnerability|hole|breach|incident|problem)|vulnerabilit(?:y|ies)",
        negatable=False,
    ),
    _rule(
        Signal.SAFETY,
        r"suicid(?:e|al)|kill(?:ing)?\s+myself|end(?:ing)?\s+(?:my\s+life|it\s+all)|"
        r"self[- ]harm|hurt(?:ing)?\s+myself|want\s+to\s+die",
        r"(?:caught|catch|catching|on)\s+fire|smoke\s+(?:coming|came|is\s+coming)\s+(?:out|from)|"
        r"explod(?:e|ed|ing)|electric(?:al)?\s+shock|electrocut\w*|"
        r"(?:swollen|swelling)\s+battery|battery\s+(?:is\s+)?(?:swollen|swelling)|gas\s+leak|"
        r"carbon\s+monoxide",
        r"(?:kill|hurt|shoot|attack|stab)\s+(?:you|someone|them|him|her|people|everyone)|"
        r"bomb|weapon",
        r"medical\s+emergency|injur(?:y|ed|ies)|in\s+danger|unsafe|burn(?:ed|t)\s+"
        r"(?:me|my|myself)",
        negatable=False,
    ),
    _rule(
        Signal.REPEATED_ISSUE,
        r"again|yet\s+again|once\s+again|recurring",
        r"still\s+(?:not|isn'?t|doesn'?t|won'?t|can'?t|cannot|having|broken|waiting|happening|"
        r"the\s+same|failing|no|getting|seeing|unable|down)",
        r"(?:second|2nd|third|3rd|fourth|4th|fifth|5th|\d+th|nth|umpteenth|multiple|several|"
        r"many)\s+times?",
        r"keeps?\s+(?:happening|failing|crashing|breaking|doing|coming\s+back)",
        r"(?:keep|kept)\s+(?:having|getting|seeing)",
        r"already\s+(?:told|asked|explained|contacted|reported|tried|wrote|written|emailed|"
        r"said|sent)",
        r"as\s+i\s+(?:said|mentioned|explained)|how\s+many\s+times",
        r"same\s+(?:issue|problem|error|thing)\s+(?:as|again|before)",
        r"(?:has\s+not|hasn'?t)\s+been\s+(?:fixed|resolved|solved)",
        negatable=False,
    ),
    _rule(
        Signal.PROFANITY,
        r"f+u+c+k\w*|f\*+k\w*|fck\w*|fkn|wtf|stfu|ffs|omfg|jfc",
        r"shit\w*|sh\*t\w*|bullshit|crap(?:py)?|damn(?:it)?|goddamn\w*|bloody\s+hell",
        r"ass(?:hole|holes|hat)?|bastards?|bitch\w*|pissed|piss|dick(?:head)?s?|douche\w*",
        r"screw\s+(?:you|this|it)",
        negatable=False,
    ),
    _rule(
        Signal.TIME_PRESSURE,
        r"urgent(?:ly)?|asap|a\.s\.a\.p|immediately|right\s+(?:now|away)|"
        r"as\s+soon\s+as\s+possible|time[- ]sensitive|deadline|emergency",
        r"(?:by|before)\s+(?:today|tonight|tomorrow|end\s+of\s+(?:the\s+)?day|eod|noon)",
        r"need\s+(?:it|this|that)?\s*(?:today|tonight|now)",
        r"in\s+the\s+next\s+(?:\d+\s+|few\s+|couple\s+of\s+)?(?:minutes?|hours?)",
        r"running\s+out\s+of\s+time|can'?t\s+wait",
        negatable=True,
    ),
    _rule(
        Signal.BUSINESS_IMPACT,
        r"(?:production|prod|site|website|service|server|store|checkout|api|platform)\s+"
        r"(?:is\s+|went\s+|has\s+gone\s+|'s\s+)?(?:down|offline)",
        r"outage|losing\s+(?:money|customers|sales|revenue|business|clients)",
        r"(?:all|every\s+one\s+of|none\s+of)\s+(?:our|my)\s+"
        r"(?:users|customers|clients|employees|staff)",
        r"blocking\s+(?:our|my|the)\s+(?:team|release|launch|business|work|customers)",
        r"(?:whole|entire)\s+(?:team|company|business)\s+(?:is|are|can'?t)",
        negatable=True,
    ),
    _rule(
        Signal.PROMPT_INJECTION,
        r"(?:ignore|disregard|forget)\s+(?:all\s+|any\s+|the\s+|your\s+)*"
        r"(?:previous|prior|above|earlier|preceding|system)\s+"
        r"(?:instructions?|prompts?|rules|messages|context)",
        r"(?:system|developer)\s+prompt|new\s+instructions|you\s+are\s+now",
        r"(?:set|change|lower|raise|make)\s+(?:the\s+|my\s+|this\s+)?"
        r"(?:priority|frustration|sentiment|triage)",
        r"(?:priority|frustration|escalate_suggestion)\s*[:=]",
        r"mark\s+(?:this|it)\s+as\s+(?:resolved|low|non[- ]urgent)",
        negatable=False,
    ),
)

_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")
# "can't"/"cannot" are left out on purpose: "I can't get a human" still asks for one.
_NEGATOR = re.compile(
    r"^(?:not|no|never|without|nor|(?:do|does|did|wo|would|is|are|need|should)n'?t)$"
)
# A negation only reaches across the few words before the phrase, inside one clause.
_NEGATION_WINDOW = 4
_CLAUSE_BREAK = re.compile(
    r"[.,;:!?\n]|\b(?:but|so|however|because|though|although|just|instead)\b", re.IGNORECASE
)


def _is_negated(text: str, start: int) -> bool:
    before = text[:start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    clause = before[breaks[-1].end() :] if breaks else before
    tokens = _TOKEN.findall(clause.lower().replace("\u2019", "'"))
    return any(_NEGATOR.match(token) for token in tokens[-_NEGATION_WINDOW:])


def lexical_signals(text: str) -> set[Signal]:
    """Signals whose phrases occur in `text`, not counting negated ones where allowed."""
    normalized = text.replace("\u2019", "'")
    found: set[Signal] = set()
    for rule in _RULES:
        if rule.signal in found:
            continue
        for match in rule.pattern.finditer(normalized):
            if not rule.negatable or not _is_negated(normalized, match.start()):
                found.add(rule.signal)
                break
    if is_shouting(text):
        found.add(Signal.ALL_CAPS)
    return found


_WORD = re.compile(r"[^\W\d_]+")


def is_shouting(text: str) -> bool:
    """Mostly capital letters, or three capitalised words in a row ("FIX IT NOW").

    Acronyms alone ("my API key for AWS") are not shouting: the share of capitals over
    all letters must be high, or the capitals must form a run.
    """
    words = _WORD.findall(text)
    caps = [w for w in words if len(w) >= 2 and w.isupper()]
    letters = sum(len(w) for w in words)
    if letters >= 8 and len(caps) >= 2 and sum(len(w) for w in caps) / letters >= 0.6:
        return True
    run = 0
    for word in words:
        if len(word) == 1:  # "I", "A": neither shouting nor a break in it
            continue
        run = run + 1 if word.isupper() else 0
        if run >= 3:
            return True
    return False
