"""times: clock times ("4:12 a.m.", "10:30 GMT", "9 p.m.", "noon") as minutes after midnight.

A time without a.m./p.m. is read as written ("4:12" is 04:12, "16:12" is 16:12); a 12-hour time is
compared in 24 hours. A zone word is kept in the text but not converted: two reports of one event
rarely give its time in different zones.
"""

from __future__ import annotations

import re

from qa.values.value import Value

_MERIDIEM = r"(?P<meridiem>[ap]\.\s?m\.|[ap]m\b)"
_ZONE = r"(?:\s+(?:local time|GMT|UTC|BST|CET|CEST|EST|EDT|CST|PST|PDT|ET|PT)\b)?"
_TIME_RE = re.compile(
    rf"(?<![\w:.])(?:(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)(?::[0-5]\d)?(?![\d:])(?:\s*{_MERIDIEM})?"
    rf"|(?P<bare_hour>1[0-2]|0?[1-9])\s*(?P<bare_meridiem>[ap]\.\s?m\.|[ap]m\b)"
    rf"|(?P<word>noon|midnight)\b){_ZONE}",
    re.IGNORECASE,
)


def clock_times(text: str) -> list[Value]:
    values = []
    for match in _TIME_RE.finditer(text):
        minutes = _minutes(match)
        if minutes is not None:
            values.append(Value("time", minutes, minutes, None, match.group(), match.start(), match.end()))
    return values


def _minutes(match: re.Match) -> float | None:
    if match["word"]:
        return 12 * 60.0 if match["word"].lower() == "noon" else 0.0
    if match["bare_hour"]:
        hour, minute, meridiem = int(match["bare_hour"]), 0, match["bare_meridiem"]
    else:
        hour, minute, meridiem = int(match["hour"]), int(match["minute"]), match["meridiem"]
    if meridiem:
        if hour == 0 or hour > 12:
            return None  # "16:12 p.m." is no clock time
        hour = hour % 12 + (12 if meridiem.lower().startswith("p") else 0)
    return float(hour * 60 + minute)
