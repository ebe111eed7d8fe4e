"""values: comparable values for the many ways news reports state one fact.

Agreement between articles is decided on values, not strings: "about half", "approximately half" and
"50 percent" must meet; "2.5 km (1.5 miles)" must meet "about one and a half miles"; "Feb. 7" must
meet "Friday" once the year is known. So every value is an interval in a canonical unit (`Value`):
hedges ("nearly", "more than"), ranges, vague plurals ("thousands") and rounded unit conversions are
all ways of saying "somewhere in here", and two reports agree when their intervals meet.

Scanning is regex-only, compiled at import, because the answer selector runs find_values over hundreds
of sentences per question (dateparser was too slow and misread figures as dates: docs/experiments.md).

    quantities.py  numbers, shares, money, lengths, areas     dates.py    dates, years, weekdays
    names.py       proper names as keys                      compare.py  same fact, conflict, or neither
    scan.py        every value of a text, longest first     value.py    the Value record
    times.py       clock times
"""

from qa.values.compare import compatible
from qa.values.dates import dateline_date, dateline_end, is_reporting_date
from qa.values.names import canonical_name, find_names
from qa.values.scan import find_values, parse_value
from qa.values.value import Value

__all__ = ["Value", "canonical_name", "compatible", "dateline_date", "dateline_end", "find_names", "find_values",
           "is_reporting_date", "parse_value"]
