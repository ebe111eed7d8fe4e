"""expected: what kind of value a question asks for ("In what year ..." -> a year).

A question that names the kind of its answer can be answered by a value of that kind only: the
reader's span is checked against it, and the values of that kind in the read sentences compete as
candidates (`qa.select`). The kinds are those `qa.values` finds in text; a question that names
none ("Why ...", "What did ...") expects nothing in particular.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from qa.tokens import tokenize
from qa.values.value import TEMPORAL_KINDS, Value  # the kinds a time is written as

Tense = Literal["future", "past"]

# (pattern, kinds), first match wins; patterns read the question lower-cased
_ASKS: tuple[tuple[re.Pattern, frozenset[str]], ...] = tuple(
    (re.compile(pattern), frozenset(kinds)) for pattern, kinds in (
        (r"\b(?:what|which) (?:percentage|percent|per cent|share|proportion|fraction|portion)\b|\bhow big a share\b",
         {"percent"}),
        (r"\b(?:what|which) (?:year|decade)\b|\bsince when\b|\bhow long ago\b", {"year", "date"}),
        (r"\b(?:what|which) (?:day of the week|weekday)\b", {"weekday"}),
        (r"\b(?:what|which) (?:day|date)\b|\bon what day\b", {"date", "weekday"}),
        (r"\b(?:what|which) month\b", {"date"}),
        (r"\bhow much (?:money|did|does|do|will|would|is|was|are|were|has|have|had)\b.*\b(?:cost|costs|worth|"
         r"pay|paid|price|spend|spent|earn|earned|raise|raised|fund|funding|budget|invest|invested|value|charge|"
         r"sell|sold|owe|lose|lost|fine|fined|profit|revenue)\b|\bhow much money\b"
         r"|\b(?:what|which) (?:price|amount of money|sum)\b|\bhow much (?:funding|investment|profit|revenue)\b"
         r"|\bwhat (?:is|was|were) the (?:cost|price|budget|value)\b"
         r"|\bwhat (?:is|was|were) (?:the )?(?:[\w-]+ ){0,2}[\w-]+(?:'s|’s) (?:total |final |estimated |overall )?"
         r"(?:cost|price|budget)\b",
         {"money"}),
        (r"\bhow (?:far|wide|tall|high|deep)\b|\b(?:what|which) (?:distance|length|height|depth)\b"
         r"|\bhow many (?:kilomet|km\b|miles?\b|met(?:re|er)s?\b|feet\b|yards?\b)", {"length"}),
        (r"\bhow (?:large|big) (?:an )?area\b|\bwhat area\b|\bhow many (?:square|hectares?\b|acres?\b)", {"area"}),
        (r"\bhow many (?:dollars|euros|pounds|yen|rupees)\b", {"money"}),
        (r"\bhow many (?:seconds|minutes|hours|days|weeks|months|years|decades|centuries)\b", {"duration", "number"}),
        (r"\bhow long\b", {"duration", "length", "year", "date"}),  # "for 11 years", "since 2014", "14.5 km"
        (r"\bhow many\b|\b(?:what|the) number of\b|\bhow old\b|\bpopulation\b", {"number"}),
        (r"\bwhat time\b|\bat what (?:hour|time)\b", {"time"}),
        (r"^\s*when\b|\bwhen (?:did|does|do|was|were|is|will|would|has|had|can)\b", set(TEMPORAL_KINDS) | {"time"}),
    )
)


_ASKS_OF_A_STATEMENT = re.compile(
    r"\b(?:say|says|said|saying|announce[sd]?|announcing|announcements?|tell|tells|told|confirm(?:s|ed)?|"
    r"reveal(?:s|ed)?|disclose[sd]?|state[sd]?|statements?|interview(?:s|ed)?|speak|spoke|talk(?:s|ed)?|"
    r"comment(?:s|ed)?|report(?:s|ed)?|warn(?:s|ed)?|declare[sd]?|release[sd]?|publish(?:es|ed)?|news)\b")


_AUXILIARY_FIRST = re.compile(r"^\s*(?:is|are|was|were|will|would|can|could|does|do|did|has|have|had|should|"
                              r"shall|may|might|must|isn't|aren't|wasn't|didn't|doesn't|won't|hasn't)\b")


def asks_yes_or_no(question: str) -> bool:
    """"Will Vance appeal?": the answer is yes or no, which no span of an article is, so the engine
    shows the passage and marks no span. A question offering a choice ("Is it Kyiv or Lviv?") is
    answered by one of its own words."""
    text = " ".join(question.lower().split())
    return bool(_AUXILIARY_FIRST.match(text)) and not re.search(r"\bor\b", text)


_ASKS_WHY = re.compile(r"^\s*why\b|\bfor what reason\b|\bwhat (?:is|was|were|are) the reasons?\b")


def asks_for_a_reason(question: str) -> bool:
    """"Why ...?": a reason answers it, never a bare name ("Redmere" for "Why is the plant closing?")."""
    return bool(_ASKS_WHY.search(question.lower()))


def asks_for_a_time(question: str) -> bool:
    """The question asks when something happens, not when it was said: a report's own day ("said on
    Thursday") answers "When did Norvale announce the closure?", never "When will the plant close?"."""
    text = " ".join(question.lower().split())
    return bool(expected_kinds(question) & TEMPORAL_KINDS) and not _ASKS_OF_A_STATEMENT.search(text)


def expected_kinds(question: str) -> frozenset[str]:
    """The kinds of value that would answer the question; empty when it names none."""
    text = " ".join(question.lower().split())
    for pattern, kinds in _ASKS:
        if pattern.search(text):
            return kinds
    return frozenset()


_ASKS_THE_FUTURE = re.compile(
    r"\b(?:will|shall)\b|\bwhen would\b|\bhow soon\b"
    r"|\b(?:is|are)\b.*\b(?:expected|due|set|scheduled|planned|going|supposed|likely) to\b|\b(?:is|are)\b.*\b(?:to be|due)\b")
_ASKS_THE_PAST = re.compile(r"\bdid\b|\bwhen (?:was|were|had)\b")
_STILL_AHEAD = re.compile(r"\b(?:expected|due|set|scheduled|planned|supposed|going) to\b")
# a weekday without "last"/"next" is read as the latest one on or before the report's date, which is
# how news uses it for what was said; what will happen "on Monday" is ahead, so it is never judged
_RELATIVE_DAY = re.compile(r"\b(?:last|next|this|past|yesterday|today|tomorrow)\b", re.IGNORECASE)


def asked_tense(question: str) -> Tense | None:
    """Whether a question about a time asks what is still ahead ("When will the line open?", "When
    is the report due?") or what has happened ("When did the plant open?"); None when it says neither."""
    text = " ".join(question.lower().split())
    if not expected_kinds(question) & TEMPORAL_KINDS:
        return None
    if _ASKS_THE_FUTURE.search(text):
        return "future"
    if _ASKS_THE_PAST.search(text) and not _STILL_AHEAD.search(text):  # "When was it expected to open?"
        return "past"
    return None


def out_of_tense(value: Value, tense: Tense | None, reference: date | None) -> bool:
    """A time on the wrong side of its report's date for the question: wholly before it for a question
    about what is ahead ("1962" for "When will the plant close?", in a report of 2024), wholly after it
    for one about what has happened. A bare weekday, and a time of unknown days, is never judged."""
    if tense is None or reference is None or value.kind not in TEMPORAL_KINDS or value.low is None or value.high is None:
        return False
    if value.kind == "weekday" and not _RELATIVE_DAY.search(value.text):
        return False
    day = reference.toordinal()
    return value.high < day if tense == "future" else value.low > day


_ASKED_COUNT = re.compile(r"\bhow many\s+(\S+)|\bnumber of\s+(\S+)", re.IGNORECASE)


def asked_count(question: str) -> str | None:
    """The term of what a "How many ...?" question counts ("How many fires were reported?" -> "fire")."""
    asked = _ASKED_COUNT.search(question)
    return counted_term(asked.group(1) or asked.group(2)) if asked else None


def counted_term(after: str) -> str | None:
    """The term of the one word after a count ("320 beds, is" -> "bed"; "350 of the jobs" -> None:
    what an "of" phrase counts is not read)."""
    first = after.split()[:1]
    terms = tokenize(first[0]) if first else []
    return terms[0] if terms else None
