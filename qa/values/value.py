"""value: one typed value found in text, the record every other module of qa.values makes or compares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

TEMPORAL_KINDS = frozenset({"date", "year", "weekday"})


@dataclass(frozen=True)
class Value:
    """One typed value found in text.

    kind: "number" | "percent" | "money" | "length" | "area" | "duration" | "date" | "year" | "weekday" | "time" |
        "name".
    low/high: interval in the canonical unit (km, km2, "%" points, currency units, days) or, for the
        temporal kinds, date ordinals of the first and last day; for a clock time, minutes after
        midnight; None = unbounded or unknown.
    unit: "km", "km2", "%", "pp" (percentage points), a currency code such as "USD", "day" (durations), or None.
    text/start/end: the exact surface text, input[start:end] == text.
    year/month/day/end_month/end_day: calendar fields of dates (day None for "September 2024";
        end_* equal month/day for a single day; year None when neither written nor inferable).
        Years and decades ("2014", "the 1990s") have kind "year" and cover Jan 1 to Dec 31.
    weekday: 0 = Monday, for weekday values and dates written with their weekday.
    key: canonical_name of the text, for names.
    source_unit/precision: the unit as written ("mi", "%", "fraction") and half a step of the last
        written digit in the canonical unit, so that a converted figure may differ from the
        original by its rounding ("2.5 km" vs "1.5 miles") while a copied one may not.
    """

    kind: str
    low: float | None
    high: float | None
    unit: str | None
    text: str
    start: int
    end: int
    year: int | None = None
    month: int | None = None
    day: int | None = None
    end_month: int | None = None
    end_day: int | None = None
    weekday: int | None = None
    key: str | None = None
    source_unit: str | None = None
    precision: float = 0.0



def year_value(text: str, start: int, end: int, first_year: int, last_year: int) -> Value:
    return Value("year", date(first_year, 1, 1).toordinal(), date(last_year, 12, 31).toordinal(), None,
                 text[start:end], start, end, year=first_year if first_year == last_year else None)

