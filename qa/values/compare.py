"""compare: whether two values state the same fact, conflict, or cannot be compared."""

from __future__ import annotations

import calendar
from datetime import date

from qa.values.names import names_compatible
from qa.values.value import TEMPORAL_KINDS, Value

_RELATIVE_TOLERANCE = 0.005  # same-unit figures must match to rounding noise, no more


def compatible(a: Value, b: Value) -> bool | None:
    """True = same fact (intervals overlap after unit conversion, within rounding tolerance),
    False = same kind of slot with incompatible value (a conflict), None = not comparable
    (different kinds, different currencies, a year-less date against a weekday, or two
    differing phrases that are not proper names)."""
    if a.kind in TEMPORAL_KINDS and b.kind in TEMPORAL_KINDS:
        return _temporal_compatible(a, b)
    if a.kind != b.kind:
        return None
    if a.kind == "name":
        return names_compatible(a, b)
    if a.unit != b.unit or a.low is None or b.low is None:
        return None
    return _intervals_meet(a, b)



def _intervals_meet(a: Value, b: Value) -> bool:
    rounding = 0.0
    if a.source_unit != b.source_unit:  # one side was converted and rounded by the writer
        rounding = a.precision + b.precision
    return _not_above(a.low, b.high, rounding) and _not_above(b.low, a.high, rounding)


def _not_above(low: float, high: float | None, rounding: float) -> bool:
    if high is None:
        return True
    return low <= high + rounding + _RELATIVE_TOLERANCE * max(abs(low), abs(high))


def _temporal_compatible(a: Value, b: Value) -> bool | None:
    if _names_weekday(a) and _names_weekday(b):
        return a.weekday == b.weekday
    for day_name, other in ((a, b), (b, a)):
        if _names_weekday(day_name):
            return _falls_on(other, day_name)
    if a.low is not None and b.low is not None:
        return a.low <= b.high and b.low <= a.high
    spans = _month_day_span(a), _month_day_span(b)
    if None in spans:
        return None
    (a_first, a_last), (b_first, b_last) = spans
    return a_first <= b_last and b_first <= a_last


def _names_weekday(value: Value) -> bool:
    return value.kind == "weekday" and value.weekday is not None


def _falls_on(value: Value, day_name: Value) -> bool | None:
    weekday = day_name.weekday
    if value.weekday is not None:
        return value.weekday == weekday
    if value.low is None:
        return None
    if value.high - value.low >= 6:
        # a week, a month or a season holds every weekday, so only the day this weekday names
        # (against its article's date) can tell: "Friday" in a February report is not "September 2024"
        if day_name.low is None or not value.low <= day_name.low <= value.high:
            return None
        return True
    days = range(int(value.low), int(value.high) + 1)
    return any(date.fromordinal(day).weekday() == weekday for day in days)


def _month_day_span(value: Value) -> tuple[int, int] | None:
    """The value's days placed in a leap year, to compare dates whose year is unknown."""
    if value.kind != "date" or value.month is None:
        return None
    first = date(2000, value.month, value.day or 1)
    last_day = value.end_day or calendar.monthrange(2000, value.end_month)[1]
    last = date(2000 if (value.end_month, last_day) >= (value.month, value.day or 1) else 2001,
                value.end_month, last_day)
    return first.toordinal(), last.toordinal()

