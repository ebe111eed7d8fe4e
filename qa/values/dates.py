"""dates: dates, years, decades, weekdays and relative days ("last week") as day intervals.

A date is [first day, last day] as date ordinals, or None while its year is unknown; its calendar
fields are kept so that "Feb. 7" can be compared with "February 7, 2025" without a year. Month and
weekday names come from `calendar`. `dateline_date` reads an article's dateline with the same patterns.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import NamedTuple

from qa.values.value import Value, year_value
from qa.values.words import DAY_ORDINALS, NOT_INSIDE_TOKEN, alternation, word_key

# calendar's names are English unless the process changes LC_TIME, which this project does not.
_MONTHS = {name.lower(): n for n in range(1, 13)
           for name in (calendar.month_name[n], calendar.month_abbr[n])} | {"sept": 9}
_WEEKDAYS = {calendar.day_name[n]: n for n in range(7)}

# Months are matched capitalised only, so the verbs "may" and "march" stay out.
_MONTH = rf"(?:{alternation(m.capitalize() for m in _MONTHS)})(?![a-z])\.?"
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?(?![\d:])|(?i:{alternation(DAY_ORDINALS)}))(?!\w)"
_WEEKDAY = "(?:" + "|".join(_WEEKDAYS) + ")"
_YEAR = r"\d{4}(?!\d)"
_DATE_RANGE_GAP = r"(?:\s*[-–]\s*|\s+(?i:to|through|until)\s+)"

_DATE_RE = re.compile(rf"""
    (?<!\w)
    (?:(?P<weekday>{_WEEKDAY}),?\s+(?:(?i:the)\s+)?)?
    (?:
        (?P<month>{_MONTH})\s+(?P<day>{_DAY})
        (?:{_DATE_RANGE_GAP}(?:(?P<end_month>{_MONTH})\s+)?(?P<end_day>{_DAY}))?
        (?:,?\s+(?P<year>{_YEAR}))?
      | {NOT_INSIDE_TOKEN}(?P<day_first>{_DAY})(?:\s*[-–]\s*(?P<end_day_first>{_DAY}))?
        \s+(?:(?i:of)\s+)?(?P<month_after>{_MONTH})(?:,?\s+(?P<year_after>{_YEAR}))?
      | (?P<month_of_year>{_MONTH}),?\s+(?:(?i:of)\s+)?(?P<year_of_month>{_YEAR})
      | (?<![\w-])(?P<iso_year>\d{{4}})-(?P<iso_month>\d\d)-(?P<iso_day>\d\d)(?!\d)
      | (?<![\w.,])(?P<decade>(?:1[89]|20)\d0)s(?!\w)
    )
""", re.VERBOSE)

# A month alone is only a date after a word that makes it one ("in May", not "may").
_BARE_MONTH_RE = re.compile(
    rf"(?<!\w)(?i:in|since|from|until|till|by|during|through|throughout|last|next|this|early|late|"
    rf"mid|end\s+of|beginning\s+of|start\s+of)(?:\s+|-)(?P<month>{_MONTH})")

_RELATIVE_RE = re.compile(rf"""
    (?<!\w)(?:(?P<relation>(?i:last|next|this|past))\s+)?(?P<weekday>{_WEEKDAY})(?!\w)
  | (?<!\w)(?P<week>(?i:last|next|this|past))\s+(?i:week)(?!\w)
  | (?<!\w)(?P<day>(?i:yesterday|today|tomorrow))(?!\w)
""", re.VERBOSE)

_RELATIVE_YEAR_RE = re.compile(r"(?<!\w)(?P<relation>(?i:last|next|this))\s+(?i:year)(?!\w)")
_YEAR_OFFSETS = {"last": -1, "this": 0, "next": 1}
_DAY_OFFSETS = {"yesterday": -1, "today": 0, "tomorrow": 1}
_WEEK_OFFSETS = {"last": (-7, -1), "this": (0, 6), "next": (7, 13)}  # days from this Monday


def written_dates(text: str, reference: date | None) -> list[Value]:
    values = []
    for match in _DATE_RE.finditer(text):
        value = _date_from_match(text, match, reference)
        if value is not None:
            values.append(value)
    return values


class _Calendar(NamedTuple):
    """A date as written: month and day of its first and last day, and the year if known."""
    month: int
    day: int | None
    end_month: int
    end_day: int | None
    year: int | None


def _date_from_match(text: str, match: re.Match, reference: date | None) -> Value | None:
    if match["decade"]:
        decade = int(match["decade"])
        return year_value(text, match.start(), match.end(), decade, decade + 9)
    weekday = _WEEKDAYS[match["weekday"]] if match["weekday"] else None
    return _date_value(text, match.span(), _calendar(match), weekday, reference)


def _calendar(match: re.Match) -> _Calendar:
    def read(group: str, convert):
        return convert(match[group]) if match[group] else None

    if match["iso_year"]:
        month, day = int(match["iso_month"]), int(match["iso_day"])
        return _Calendar(month, day, month, day, int(match["iso_year"]))
    if match["month_of_year"]:
        month = _month_number(match["month_of_year"])
        return _Calendar(month, None, month, None, int(match["year_of_month"]))
    if match["month"]:
        month, day = _month_number(match["month"]), _day_number(match["day"])
        return _Calendar(month, day, read("end_month", _month_number) or month,
                         read("end_day", _day_number) or day, read("year", int))
    month, day = _month_number(match["month_after"]), _day_number(match["day_first"])
    return _Calendar(month, day, month, read("end_day_first", _day_number) or day,
                     read("year_after", int))


def bare_months(text: str, reference: date | None) -> list[Value]:
    values = []
    for match in _BARE_MONTH_RE.finditer(text):
        month = _month_number(match["month"])
        value = _date_value(text, match.span("month"), _Calendar(month, None, month, None, None), None,
                            reference)
        if value is not None:
            values.append(value)
    return values


def _month_number(written: str) -> int:
    return _MONTHS[written.rstrip(".").lower()]


def _day_number(written: str) -> int:
    digits = re.match(r"\d+", written)
    return int(digits[0]) if digits else DAY_ORDINALS[word_key(written).replace(" ", "-")]


def _date_value(text: str, span: tuple[int, int], written: _Calendar, weekday: int | None,
                reference: date | None) -> Value | None:
    year = written.year
    if year is None and reference is not None:
        year = _likely_year(written.month, written.day or 1, reference)
    first_day, last_day = _days_covered(written, year)
    if first_day is None:
        return None  # "Feb. 30" is not a date
    low = high = None
    if year is not None:
        low, high = first_day.toordinal(), last_day.toordinal()
    start, end = span
    return Value("date", low, high, None, text[start:end], start, end, year=year, month=written.month,
                 day=written.day, end_month=written.end_month, end_day=written.end_day, weekday=weekday)


def _days_covered(written: _Calendar, year: int | None) -> tuple[date | None, date | None]:
    """First and last day; a leap year stands in for an unknown one, and a range that ends
    in an earlier month ("Dec. 30 to Jan. 2") ends in the next year."""
    first_year = 2000 if year is None else year
    wraps = (written.end_month, written.end_day or 31) < (written.month, written.day or 1)
    last_year = first_year + 1 if wraps else first_year
    if not (_is_real_day(written.month, written.day, first_year)
            and _is_real_day(written.end_month, written.end_day, last_year)):
        return None, None
    last_of_month = calendar.monthrange(last_year, written.end_month)[1]
    return (date(first_year, written.month, written.day or 1),
            date(last_year, written.end_month, written.end_day or last_of_month))


def _is_real_day(month: int, day: int | None, year: int) -> bool:
    if not 1 <= month <= 12:  # "2025-13-45" is no date
        return False
    return day is None or 1 <= day <= calendar.monthrange(year, month)[1]


def _likely_year(month: int, day: int, reference: date) -> int:
    """News mentions of a day without a year mean the nearest such day, leaning to the past:
    within roughly eight months before or four months after the report."""
    candidate = date(reference.year, month, min(day, 28))
    if (candidate - reference).days > 122:
        return reference.year - 1
    if (reference - candidate).days > 244:
        return reference.year + 1
    return reference.year


def relative_days(text: str, reference: date | None) -> list[Value]:
    values = []
    for match in _RELATIVE_RE.finditer(text):
        first, last, weekday = _resolve_relative(match, reference)
        values.append(Value("weekday", first and first.toordinal(), last and last.toordinal(), None,
                            match[0], match.start(), match.end(), weekday=weekday))
    return values


_CENTURY_RE = re.compile(r"""
    (?<!\w)(?:(?i:early|mid|late)[\s-]+)?(?P<ordinal>\d{1,2})(?:st|nd|rd|th)[\s-]+(?i:century)
    (?:\s+(?P<era>BCE?|AD|CE)(?!\w))?
""", re.VERBOSE)
_SEASON_RE = re.compile(r"(?<!\w)(?:(?i:last|next|this|early|late)\s+)?(?:spring|summer|autumn|winter)(?:\s+(?:of\s+)?\d{4})?(?!\w)"
                        r"|(?<!\w)(?i:last|next|this)\s+fall(?!\w)")  # lower case: "Spring Street" is a name


def centuries_and_seasons(text: str) -> list[Value]:
    """"the 20th century", "4th century BC", "early 20th century" (a century, BC ones of unknown
    days) and "last autumn", "next spring", "summer 2024": times a "when" question is answered by.
    A season's days are left unknown (hemispheres differ), so it is compared with nothing."""
    values = []
    for match in _CENTURY_RE.finditer(text):
        century = int(match["ordinal"])
        if match["era"] and match["era"].upper().startswith("BC") or century == 0:
            values.append(Value("year", None, None, None, match[0], match.start(), match.end()))
        else:
            values.append(year_value(text, match.start(), match.end(), (century - 1) * 100 + 1, century * 100))
    values += [Value("date", None, None, None, m[0], m.start(), m.end()) for m in _SEASON_RE.finditer(text)]
    return values


def relative_years(text: str, reference: date | None) -> list[Value]:
    """"next year", "last year", "this year": the whole year, counted from the report's date (its
    year unknown without one). "The plant will close next year" answers "When ...?" as "2026" does."""
    values = []
    for match in _RELATIVE_YEAR_RE.finditer(text):
        if reference is None:
            values.append(Value("year", None, None, None, match[0], match.start(), match.end()))
        else:
            year = reference.year + _YEAR_OFFSETS[match["relation"].lower()]
            values.append(year_value(text, match.start(), match.end(), year, year))
    return values


def _resolve_relative(match: re.Match, reference: date | None
                      ) -> tuple[date | None, date | None, int | None]:
    """(first day, last day, weekday) of "Friday", "last week", "yesterday"; days are None
    without a reference date. A bare weekday is the latest one on or before the report's date,
    which is how news uses it ("said on Friday")."""
    if match["weekday"]:
        weekday = _WEEKDAYS[match["weekday"]]
        if reference is None:
            return None, None, weekday
        day = _weekday_near(reference, weekday, (match["relation"] or "").lower())
        return day, day, weekday
    if reference is None:
        return None, None, None
    if match["day"]:
        day = reference + timedelta(days=_DAY_OFFSETS[match["day"].lower()])
        return day, day, day.weekday()
    monday = reference - timedelta(days=reference.weekday())
    relation = match["week"].lower()
    if relation == "past":  # the seven days up to the report
        return reference - timedelta(days=7), reference, None
    first, last = _WEEK_OFFSETS[relation]
    return monday + timedelta(days=first), monday + timedelta(days=last), None


def _weekday_near(reference: date, weekday: int, relation: str) -> date:
    if relation == "next":
        return reference + timedelta(days=(weekday - reference.weekday()) % 7 or 7)
    days_back = (reference.weekday() - weekday) % 7
    if relation == "last" and days_back == 0:
        days_back = 7
    return reference - timedelta(days=days_back)



# A wire-style dateline opening a paragraph: the place in capitals, perhaps its country, then the day
# and/or the agency, then a dash ("LYON, France, June 22, 2017 (AFP) - ", "MANILA, Aug 8 (Reuters) - ").
_DATELINE_RE = re.compile(rf"""
    ^\s*[A-Z][A-Z'.]+(?:[\s-][A-Z][A-Z'.]+)*
    (?:,\s*[A-Z][a-z]+(?:\s[A-Z][a-z]+)*)?
    (?:,?\s+(?:{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?|{_DAY}\s+{_MONTH}(?:,?\s+{_YEAR})?|\d{{4}}-\d\d-\d\d)
       (?:\s*\([^()\n]{{1,30}}\))?
     | \s*\([^()\n]{{1,30}}\))
    (?:\s*[—–]|\s+-{{1,2}})\s*
""", re.VERBOSE)


def dateline_end(sentence: str) -> int:
    """Where the statement of a sentence opened by a dateline starts (0 where there is none): the
    dateline says where and when the report was filed, which is no answer to what happened."""
    match = _DATELINE_RE.match(sentence)
    return match.end() if match else 0


# What may stand between a reporting verb and the day of the report: "said on Thursday", "told
# reporters on Monday", "announced on June 12", "said in an interview with Reuters on Friday". A word
# of anything else ("said the plant will close on Friday") makes the day the event's, not the report's.
_REPORTED_ON = re.compile(r"""
    \b(?:say|says|said|announce[sd]?|told|tells|confirm(?:s|ed)|reveal(?:s|ed)|disclose[sd]|state[sd]|
       add(?:s|ed)|warn(?:s|ed)|report(?:s|ed)|wrote|writes|declare[sd])
    (?:\s+(?:to|in|on|at|with|a|an|the|its|his|her|their|reporters|journalists|statement|interview|
              briefing|press|news|conference|[A-Z][\w.&'’-]*))*?
    \s+(?:on\s+|late\s+|early\s+)?$
""", re.VERBOSE)


def is_reporting_date(sentence: str, start: int) -> bool:
    """True where the date at `start` is when a statement was made ("Norvale said on Thursday it will
    close the plant by March"): the day of the report, not of what it reports."""
    return _REPORTED_ON.search(sentence[max(0, start - 80) : start]) is not None


def dateline_date(line: str) -> date | None:
    """The day an article's dateline or headline line states ("2025-02-04", "February 4, 2025",
    "Tuesday, 4 Feb. 2025"): its first date written with day, month and year."""
    for value in written_dates(line, None):
        if value.year is not None and value.day is not None and value.low == value.high:
            return date.fromordinal(int(value.low))
    return None
