"""scan: every value in a text, the longest reading of each stretch, in text order."""

from __future__ import annotations

from datetime import date

from qa.values.dates import bare_months, centuries_and_seasons, relative_days, relative_years, written_dates
from qa.values.names import name_value
from qa.values.quantities import merge_conversions, quantities, vague_quantities
from qa.values.times import clock_times
from qa.values.value import Value


def find_values(text: str, reference_date: date | None = None) -> list[Value]:
    """Every typed value mentioned in `text`, with exact offsets, longest match first /
    non-overlapping, in text order. A lone "one" is left out: it is far more often a pronoun
    ("one of the largest") than a quantity worth proposing as an answer; parse_value keeps it."""
    return _scan(text, reference_date, keep_lone_one=False)



def parse_value(text: str, reference_date: date | None = None) -> Value | None:
    """The main value of a short answer span such as 'about half' or '2.5 km (1.5 miles)';
    a span holding no typed value is read as a name."""
    values = _scan(text, reference_date, keep_lone_one=True)
    if values:
        return max(values, key=lambda v: (v.end - v.start, -v.start))
    return name_value(text)



def _scan(text: str, reference_date: date | None, keep_lone_one: bool) -> list[Value]:
    candidates = [*quantities(text, keep_lone_one), *vague_quantities(text),
                  *written_dates(text, reference_date), *bare_months(text, reference_date),
                  *relative_days(text, reference_date), *relative_years(text, reference_date),
                  *centuries_and_seasons(text), *clock_times(text)]
    return merge_conversions(text, _longest_non_overlapping(candidates))


def _longest_non_overlapping(candidates: list[Value]) -> list[Value]:
    chosen: list[Value] = []
    for value in sorted(candidates, key=lambda v: (v.start - v.end, v.start)):
        if all(value.end <= c.start or value.start >= c.end for c in chosen):
            chosen.append(value)
    return sorted(chosen, key=lambda v: v.start)

