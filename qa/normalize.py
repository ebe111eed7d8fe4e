"""Comparable values for the many ways news reports state one fact.

Agreement between articles is decided on values, not strings: "about half", "approximately
half" and "50 percent" must meet; "2.5 km (1.5 miles)" must meet "about one and a half miles";
"Feb. 7" must meet "Friday" once the year is known. So every value is an interval in a
canonical unit: hedges ("nearly", "more than"), ranges, vague plurals ("thousands") and
rounded unit conversions are all ways of saying "somewhere in here", and two reports agree
when their intervals meet.

Scanning is regex-only, compiled at import, because the answer selector runs find_values over
hundreds of sentences per question. dateparser was tried and rejected: it takes milliseconds per
call, reads "2.5" as a date, maps "Feb. 14-16" to 2016-02-14 and cannot read "February
fourteenth". Month and weekday names come from `calendar`, number words from word2number's
vocabulary (which also does the word-to-number arithmetic).

Representation (see `Value`):
- numeric kinds ("number", "percent", "money", "length", "area") hold [low, high] in the
  canonical unit; high None means unbounded ("more than 70%").
- temporal kinds ("date", "year", "weekday") hold [low, high] as date.toordinal() of the first
  and last day covered, or None while the year is unknown. Dates also keep their calendar fields
  (month, day, end_month, end_day, year) so that "Feb. 7" can be compared with "February 7,
  2025" without a year.
- "name" holds `key`, the canonical_name of the text.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import NamedTuple

from word2number import w2n


@dataclass(frozen=True)
class Value:
    """One typed value found in text.

    kind: "number" | "percent" | "money" | "length" | "area" | "date" | "year" | "weekday" | "name".
    low/high: interval in the canonical unit (km, km2, "%" points, currency units) or, for the
        temporal kinds, date ordinals of the first and last day; None = unbounded or unknown.
    unit: "km", "km2", "%", "pp" (percentage points), a currency code such as "USD", or None.
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


# ---------------------------------------------------------------------------------------------
# Vocabulary. Derived from libraries where one exists; the hand-written tables are the few
# facts no library here provides (unit sizes, currency symbols, hedge meanings, aliases).

def _alternation(words) -> str:
    """Regex alternation trying longer words first, so "February" wins over "Feb"."""
    return "|".join(_phrase(w) for w in sorted(set(words), key=len, reverse=True))


def _phrase(words: str) -> str:
    """Pattern for a phrase whose spaces/hyphens may be any run of whitespace or a hyphen."""
    return r"[\s-]+".join(re.escape(part) for part in re.split(r"[\s-]+", words))


_CARDINALS = {w: n for w, n in w2n.american_number_system.items() if isinstance(n, int)}
_NUMBER_NAMES = {n: w for w, n in _CARDINALS.items()}
_IRREGULAR_ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                       "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}


def _ordinal_word(cardinal: str) -> str:
    if cardinal in _IRREGULAR_ORDINALS:
        return _IRREGULAR_ORDINALS[cardinal]
    return cardinal[:-1] + "ieth" if cardinal.endswith("y") else cardinal + "th"


def _spelled_ordinal(n: int) -> str:
    if n in _NUMBER_NAMES:
        return _ordinal_word(_NUMBER_NAMES[n])
    tens, unit = divmod(n, 10)
    return f"{_NUMBER_NAMES[tens * 10]}-{_ordinal_word(_NUMBER_NAMES[unit])}"


def _key(text: str) -> str:
    return " ".join(re.split(r"[\s-]+", text.lower()))


_DAY_ORDINALS = {_spelled_ordinal(n): n for n in range(1, 32)}
_DENOMINATORS = {"half": 2, "halves": 2, "quarter": 4, "quarters": 4} | {
    word: n for n in range(3, 11) for word in (_spelled_ordinal(n), _spelled_ordinal(n) + "s")}
_SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
           "dozen": 12.0}
_SCALE_ABBREVIATIONS = {"k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "tn": 1e12}

# calendar's names are English unless the process changes LC_TIME, which this project does not.
_MONTHS = {name.lower(): n for n in range(1, 13)
           for name in (calendar.month_name[n], calendar.month_abbr[n])} | {"sept": 9}
_WEEKDAYS = {calendar.day_name[n]: n for n in range(7)}

_LENGTH_UNITS: dict[str, tuple[str, float]] = {}  # spelling -> (short name, km per unit)
for _short, _km, _spellings in (
        ("km", 1.0, ("km", "kilometre", "kilometer")),
        ("m", 1e-3, ("m", "metre", "meter")),
        ("mi", 1.609344, ("mi", "mile")),
        ("nmi", 1.852, ("nautical mile",)),
        ("ft", 3.048e-4, ("ft", "foot", "feet")),
        ("yd", 9.144e-4, ("yd", "yard"))):
    for _spelling in _spellings:
        _LENGTH_UNITS[_spelling] = (_short, _km)
        if len(_spelling) > 2 and _spelling != "feet":
            _LENGTH_UNITS[_spelling + "s"] = (_short, _km)
_AREA_UNITS = {"hectare": ("ha", 0.01), "hectares": ("ha", 0.01),
               "acre": ("acre", 0.00404686), "acres": ("acre", 0.00404686)}

_CURRENCIES = {"$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD",
               "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
               "£": "GBP", "gbp": "GBP", "sterling": "GBP", "pounds sterling": "GBP",
               "¥": "JPY", "jpy": "JPY", "yen": "JPY"}

# Hedge -> factors applied to (low, high); None = no upper bound.
_APPROXIMATELY, _NEARLY, _JUST_OVER = (0.9, 1.1), (0.9, 1.0), (1.0, 1.1)
_AT_MOST, _AT_LEAST = (0.0, 1.0), (1.0, None)
_HEDGES = {
    **dict.fromkeys(("about", "approximately", "roughly", "around", "some", "circa",
                     "an estimated", "estimated"), _APPROXIMATELY),
    **dict.fromkeys(("nearly", "almost", "close to", "just under", "just shy of"), _NEARLY),
    **dict.fromkeys(("less than", "fewer than", "under", "below", "up to", "at most",
                     "no more than", "not more than", "as many as", "as much as"), _AT_MOST),
    **dict.fromkeys(("more than", "over", "at least", "above", "upwards of", "upward of",
                     "in excess of", "exceeding", "no fewer than", "no less than",
                     "well over", "well above"), _AT_LEAST),
    **dict.fromkeys(("just over", "just above", "slightly more than"), _JUST_OVER),
}

# A vague plural reaches up to where the next word would be used: "hundreds" stops at a
# thousand, but nothing is said between "thousands" and "millions".
_VAGUE_MULTIPLIERS = {"tens": (20, 100), "dozens": (24, 120), "hundreds": (200, 1000),
                      "several": (2, 10), "a few": (2, 10), "many": (2, 1000)}

_NAME_ALIASES = {variant: key for key, variants in {
    "us": ("us", "usa", "united states", "united states of america", "america"),
    "uk": ("uk", "britain", "great britain", "united kingdom"),
    "eu": ("eu", "european union"),
}.items() for variant in variants}

_NAME_RUN_RE = re.compile(r"[A-Z][\w'’.-]*(?:\s+(?:(?:of|and|the|for)\s+)?[A-Z][\w'’.-]*)*")
_POSSESSIVE_END_RE = re.compile(r"['’]s?$")
_RELATIVE_TOLERANCE = 0.005  # same-unit figures must match to rounding noise, no more
_TEMPORAL_KINDS = frozenset({"date", "year", "weekday"})
_CONVERTED_KINDS = frozenset({"length", "area", "money"})  # kinds written with a "(conversion)"

# ---------------------------------------------------------------------------------------------
# Patterns

_CARD = rf"(?:{_alternation(_CARDINALS)})(?!\w)"
_SCALE = rf"(?:{_alternation(_SCALES)})(?!\w)"
_LENGTH = rf"(?:{_alternation(_LENGTH_UNITS)})"
_NOT_INSIDE_TOKEN = r"(?<![\w.,:/])(?<![A-Za-z]-)"  # not "G7", "1.5.2", "8:58", "COVID-19"
_SMALL_DIGITS = r"\d{1,3}(?![\d,.]\d|\w)"
# "five strikes in 10 days" is a count and a duration, not a share like "one in five".
_TIME_SPAN = r"(?:\s+(?:days?|weeks?|months?|years?|hours?|minutes?|games?|matches?))"
_AFTER_SCALE = r"(?:(?<=hundred)|(?<=thousand)|(?<=million)|(?<=billion))"  # "one hundred and twenty"

_RATIO = rf"(?:{_CARD}|\d{{1,2}})\s+in\s+(?:every\s+)?(?:{_CARD}|{_SMALL_DIGITS})(?!{_TIME_SPAN})"
_FRACTION = rf"(?:(?:an?|{_CARD})[\s-]+(?:{_alternation(_DENOMINATORS)})|half)(?![\w-])"
_FRACTION_OF_SCALE = rf"\s+an?(?=\s+(?:{_SCALE}|{_LENGTH}(?!\w)))"  # "half a million", "half a mile"
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d:]|(?:st|nd|rd|th)(?!\w))"
_WORDS = rf"{_CARD}(?:(?:[\s-]+|{_AFTER_SCALE}\s+and\s+){_CARD})*"
_PERCENT = r"\s?%|\s+per\s?cent(?!\w)|\s+pct(?!\w)"
_AREA = rf"(?:square|sq\.?)\s+{_LENGTH}|(?:km|m|mi)[2²]|{_alternation(_AREA_UNITS)}"
_CURRENCY_AFTER = r"(?:U\.?S\.?\s+)?dollars?|euros?|pounds\s+sterling|sterling|yen|USD|EUR|GBP|JPY"

# One written amount: currency, number, scale and unit. Ranges and hedges are assembled
# from neighbouring amounts afterwards, which keeps this pattern free of repeated groups.
_AMOUNT_RE = re.compile(rf"""
    (?<!\w)  # word starts only: rejects most positions cheaply
    (?P<cur_pre>US\$|\$|€|£|¥|(?:USD|EUR|GBP|JPY)\s?)?
    {_NOT_INSIDE_TOKEN}
    (?:
        (?P<ratio>{_RATIO})
      | (?P<fraction>{_FRACTION})(?:{_FRACTION_OF_SCALE})?
      | (?P<digits>{_DIGITS})
      | (?P<words>{_WORDS})
      | (?P<article>an?)(?=[\s-]+{_SCALE})
    )
    (?P<half>\s+and\s+a\s+half(?!\w))?
    (?:[\s-]*(?P<scale>{_SCALE})|(?P<abbreviation>bn|tn|mn|m|k)(?!\w))?
    (?:
        (?P<percent>{_PERCENT})
      | (?P<points>\s+percentage\s+points?(?!\w))
      | (?:\s*|-)(?P<area>{_AREA})(?!\w)
      | (?:\s*|-)(?P<length>{_LENGTH})(?!\w)
      | \s+(?P<cur_post>{_CURRENCY_AFTER})(?!\w)
    )?
""", re.IGNORECASE | re.VERBOSE)

_VAGUE_RE = re.compile(rf"""
    (?<!\w)(?:
        (?P<multiplier>{_alternation(_VAGUE_MULTIPLIERS)})\s+(?:of\s+)?
        (?P<scale>(?:dozen|hundred|thousand|million|billion)s?)
      | (?P<plural>dozens|hundreds|thousands|millions|billions)
    )(?!\w)
""", re.IGNORECASE | re.VERBOSE)

_HEDGE_BEFORE_RE = re.compile(rf"(?<![\w-])(?P<hedge>{_alternation(_HEDGES)})\s+$", re.IGNORECASE)
_BETWEEN_BEFORE_RE = re.compile(r"(?<!\w)between\s+$", re.IGNORECASE)
_RANGE_GAP_RE = re.compile(r"\s*[-–]\s*|\s+(?:to|through)\s+", re.IGNORECASE)
_AND_GAP_RE = re.compile(r"\s+and\s+", re.IGNORECASE)
_OPEN_PAREN_RE = re.compile(r"\s*\(\s*")
_CLOSE_PAREN_RE = re.compile(r"\s*\)")
_HALF_AS_PART_RE = re.compile(r"(?<!\w)(?:first|second|latter|other)\s+$", re.IGNORECASE)

# Months are matched capitalised only, so the verbs "may" and "march" stay out.
_MONTH = rf"(?:{_alternation(m.capitalize() for m in _MONTHS)})(?![a-z])\.?"
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?(?![\d:])|(?i:{_alternation(_DAY_ORDINALS)}))(?!\w)"
_YEAR = r"\d{4}(?!\d)"
_WEEKDAY = rf"(?:{'|'.join(_WEEKDAYS)})"
_DATE_RANGE_GAP = r"(?:\s*[-–]\s*|\s+(?i:to|through|until)\s+)"

_DATE_RE = re.compile(rf"""
    (?<!\w)
    (?:(?P<weekday>{_WEEKDAY}),?\s+(?:(?i:the)\s+)?)?
    (?:
        (?P<month>{_MONTH})\s+(?P<day>{_DAY})
        (?:{_DATE_RANGE_GAP}(?:(?P<end_month>{_MONTH})\s+)?(?P<end_day>{_DAY}))?
        (?:,?\s+(?P<year>{_YEAR}))?
      | {_NOT_INSIDE_TOKEN}(?P<day_first>{_DAY})(?:\s*[-–]\s*(?P<end_day_first>{_DAY}))?
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

_DAY_OFFSETS = {"yesterday": -1, "today": 0, "tomorrow": 1}
_WEEK_OFFSETS = {"last": (-7, -1), "this": (0, 6), "next": (7, 13)}  # days from this Monday


# ---------------------------------------------------------------------------------------------
# Public API

def find_values(text: str, reference_date: date | None = None) -> list[Value]:
    """Every typed value mentioned in `text`, with exact offsets, longest match first /
    non-overlapping, in text order. A lone "one" is left out: it is far more often a pronoun
    ("one of the largest") than a quantity worth proposing as an answer; parse_value keeps it."""
    return _scan(text, reference_date, keep_lone_one=False)


def find_names(text: str) -> list[Value]:
    """Every run of capitalised words in `text` ("Volodymyr Zelenskiy", "U.S.", "Munich Security
    Conference") as a name value with exact offsets, possessives and a closing full stop left out:
    what a name answer is compared with in another source's sentence."""
    names = []
    for match in _NAME_RUN_RE.finditer(text):
        run = _POSSESSIVE_END_RE.sub("", match.group())
        if run.endswith(".") and run.count(".") == 1:
            run = run[:-1]  # the sentence's full stop, not an abbreviation's ("U.S." keeps its dots)
        value = _name_value(run)
        if value is not None:
            names.append(replace(value, start=match.start() + value.start, end=match.start() + value.end))
    return names


def parse_value(text: str, reference_date: date | None = None) -> Value | None:
    """The main value of a short answer span such as 'about half' or '2.5 km (1.5 miles)';
    a span holding no typed value is read as a name."""
    values = _scan(text, reference_date, keep_lone_one=True)
    if values:
        return max(values, key=lambda v: (v.end - v.start, -v.start))
    return _name_value(text)


def compatible(a: Value, b: Value) -> bool | None:
    """True = same fact (intervals overlap after unit conversion, within rounding tolerance),
    False = same kind of slot with incompatible value (a conflict), None = not comparable
    (different kinds, different currencies, a year-less date against a weekday, or two
    differing phrases that are not proper names)."""
    if a.kind in _TEMPORAL_KINDS and b.kind in _TEMPORAL_KINDS:
        return _temporal_compatible(a, b)
    if a.kind != b.kind:
        return None
    if a.kind == "name":
        return _names_compatible(a, b)
    if a.unit != b.unit or a.low is None or b.low is None:
        return None
    return _intervals_meet(a, b)


def canonical_name(text: str) -> str:
    """Normalised key for names: 'Zelenskiy' == 'Zelensky' == 'Zelenskyy'; 'U.S.' == 'US' ==
    'United States'; 'Reuters' any case."""
    words = _name_words(text)
    phrase = " ".join(words)
    if phrase in _NAME_ALIASES:
        return _NAME_ALIASES[phrase]
    return " ".join(_fold_transliteration(word) for word in words)


# ---------------------------------------------------------------------------------------------
# Scanning

def _scan(text: str, reference_date: date | None, keep_lone_one: bool) -> list[Value]:
    candidates = [*_quantities(text, keep_lone_one), *_vague_quantities(text),
                  *_dates(text, reference_date), *_bare_months(text, reference_date),
                  *_relative_days(text, reference_date)]
    return _merge_conversions(text, _longest_non_overlapping(candidates))


def _longest_non_overlapping(candidates: list[Value]) -> list[Value]:
    chosen: list[Value] = []
    for value in sorted(candidates, key=lambda v: (v.start - v.end, v.start)):
        if all(value.end <= c.start or value.start >= c.end for c in chosen):
            chosen.append(value)
    return sorted(chosen, key=lambda v: v.start)


def _merge_conversions(text: str, values: list[Value]) -> list[Value]:
    """Fold "2.5 km (1.5 miles)" into one value: the bracket restates the same fact."""
    merged: list[Value] = []
    for value in values:
        previous = merged[-1] if merged else None
        close = _CLOSE_PAREN_RE.match(text, value.end)
        if (previous and close and previous.kind == value.kind and value.kind in _CONVERTED_KINDS
                and _OPEN_PAREN_RE.fullmatch(text, previous.end, value.start)):
            merged[-1] = _with_conversion(text, previous, value, close.end())
        else:
            merged.append(value)
    return merged


def _with_conversion(text: str, main: Value, conversion: Value, end: int) -> Value:
    spanned = replace(main, text=text[main.start:end], end=end)
    if main.unit != conversion.unit:  # another currency: no rate to convert with
        return spanned
    return replace(spanned, low=min(main.low, conversion.low),
                   high=_max_bound(main.high, conversion.high),
                   precision=max(main.precision, conversion.precision))


def _max_bound(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else max(a, b)


# ---------------------------------------------------------------------------------------------
# Quantities: each regex match is one written amount ("$14.8 trillion", "a third", "18");
# adjacent amounts joined by "-", "to" or "between ... and" form a range.

_Measure = tuple[str, str | None, str | None, float]  # kind, unit, unit as written, factor to unit


@dataclass
class _Amount:
    start: int
    end: int
    number: float
    precision: float
    scale: float | None
    measure: _Measure | None
    is_year: bool


def _quantities(text: str, keep_lone_one: bool) -> list[Value]:
    amounts = [a for a in map(_read_amount, _AMOUNT_RE.finditer(text)) if a is not None]
    values, i = [], 0
    while i < len(amounts):
        ranged = _range(text, amounts[i], amounts[i + 1]) if i + 1 < len(amounts) else None
        if ranged is not None:
            values.append(ranged)
            i += 2
            continue
        if not _is_not_a_quantity(text, amounts[i], keep_lone_one):
            values.append(_hedged(text, _amount_value(text, amounts[i])))
        i += 1
    return values


def _is_not_a_quantity(text: str, amount: _Amount, keep_lone_one: bool) -> bool:
    """"one of the largest" is a pronoun and "the first half of 2024" a period, not a share."""
    written = text[amount.start:amount.end].lower()
    if written == "one":
        return not keep_lone_one
    if written != "half":
        return False
    return bool(_HALF_AS_PART_RE.search(text, max(0, amount.start - 10), amount.start))


def _read_amount(match: re.Match) -> _Amount | None:
    number, precision, is_share = _written_number(match)
    if number is None:
        return None
    if match["half"]:
        number, precision = number + 0.5, 0.25
    scale, measure = _scale_and_measure(match, is_share)
    digits = match["digits"]
    is_year = bool(digits and len(digits) == 4 and digits.isdigit() and 1800 <= number <= 2100
                   and scale is None and measure is None and not match["half"])
    return _Amount(match.start(), match.end(), number, precision, scale, measure, is_year)


def _written_number(match: re.Match) -> tuple[float | None, float, bool]:
    """(number, half a step of its last digit, whether it is a share of a whole)."""
    if match["ratio"]:
        numerator, _, denominator = match["ratio"].lower().split(maxsplit=2)
        whole = _small_number(denominator.split()[-1])
        if not 0 < _small_number(numerator) <= whole:
            return None, 0.0, False  # "ten in zero" is no share
        return _small_number(numerator) / whole, 0.005, True
    if match["fraction"]:
        return _fraction(match["fraction"]), 0.005, True
    if match["digits"]:
        digits = match["digits"].replace(",", "")
        decimals = len(digits.partition(".")[2])
        return float(digits), 0.5 * 10 ** -decimals, False
    if match["words"]:
        try:
            return float(w2n.word_to_num(_key(match["words"]))), 0.5, False
        except (ValueError, IndexError):
            return None, 0.0, False
    return 1.0, 0.0, False  # "a" in "a million"


def _small_number(token: str) -> float:
    return float(token) if token.isdigit() else float(_CARDINALS[token])


def _fraction(written: str) -> float:
    words = _key(written).split()
    numerator = 1 if words[0] in ("a", "an", "half") else _CARDINALS[words[0]]
    return numerator / _DENOMINATORS[words[-1]]


def _scale_and_measure(match: re.Match, is_share: bool) -> tuple[float | None, _Measure | None]:
    currency = _CURRENCIES.get(_currency_key(match["cur_pre"] or match["cur_post"] or ""))
    abbreviation = (match["abbreviation"] or "").lower()
    scale = _SCALES[match["scale"].lower()] if match["scale"] else None
    if abbreviation == "m" and not currency:
        return scale, ("length", "km", "m", 1e-3)
    if abbreviation:
        scale = _SCALE_ABBREVIATIONS[abbreviation]
    return scale, _measure(match, currency, is_share and scale is None)


def _measure(match: re.Match, currency: str | None, is_share: bool) -> _Measure | None:
    if match["percent"]:
        return "percent", "%", "%", 1.0
    if match["points"]:
        return "percent", "pp", "pp", 1.0
    if match["length"]:
        short, km = _LENGTH_UNITS[_key(match["length"])]
        return "length", "km", short, km
    if match["area"]:
        return ("area", "km2", *_area_unit(match["area"]))
    if currency:
        return "money", currency, currency, 1.0
    if is_share:
        return "percent", "%", "fraction", 100.0
    return None


def _area_unit(written: str) -> tuple[str, float]:
    words = _key(written.replace(".", "")).split()
    if words[-1] in _AREA_UNITS:
        return _AREA_UNITS[words[-1]]
    short, km = _LENGTH_UNITS[words[-1].rstrip("2²")]
    return "sq " + short, km * km


def _currency_key(written: str) -> str:
    return re.sub(r"^u\.?s\.?\s+", "", " ".join(written.lower().split()))


def _amount_value(text: str, amount: _Amount) -> Value:
    if amount.is_year:
        return _year_value(text, amount.start, amount.end, int(amount.number), int(amount.number))
    kind, unit, source_unit, factor = amount.measure or ("number", None, None, 1.0)
    size = (amount.scale or 1.0) * factor
    return Value(kind, amount.number * size, amount.number * size, unit,
                 text[amount.start:amount.end], amount.start, amount.end,
                 source_unit=source_unit, precision=amount.precision * size)


def _range(text: str, first: _Amount, second: _Amount) -> Value | None:
    between = _BETWEEN_BEFORE_RE.search(text, max(0, first.start - 12), first.start)
    gap_fits = (_RANGE_GAP_RE.fullmatch(text, first.end, second.start)
                or (between and _AND_GAP_RE.fullmatch(text, first.end, second.start)))
    if not gap_fits:
        return None
    start = between.start() if between else first.start
    if first.is_year and second.is_year and first.number <= second.number:
        return _year_value(text, start, second.end, int(first.number), int(second.number))
    low, high = _shared_reading(first, second), _shared_reading(second, first)
    if low.measure != high.measure or low.is_year or high.is_year:
        return None
    low_value, high_value = _amount_value(text, low), _amount_value(text, high)
    if low_value.low > high_value.high:
        return None  # "3-1" is a score, not a range
    ranged = replace(low_value, high=high_value.high, text=text[start:second.end], end=second.end,
                     start=start, precision=max(low_value.precision, high_value.precision))
    return _hedged(text, ranged)


def _shared_reading(amount: _Amount, other: _Amount) -> _Amount:
    """In "$10-15 billion" the currency and the scale written once apply to both ends."""
    return replace(amount, scale=amount.scale or other.scale, measure=amount.measure or other.measure,
                   is_year=amount.is_year and other.is_year)


def _hedged(text: str, value: Value) -> Value:
    if value.kind in _TEMPORAL_KINDS:
        return value
    hedge = _HEDGE_BEFORE_RE.search(text, max(0, value.start - 24), value.start)
    if not hedge:
        return value
    low_factor, high_factor = _HEDGES[_key(hedge["hedge"])]
    high = None if high_factor is None or value.high is None else value.high * high_factor
    return replace(value, low=value.low * low_factor, high=high, start=hedge.start(),
                   text=text[hedge.start():value.end])


def _vague_quantities(text: str) -> list[Value]:
    values = []
    for match in _VAGUE_RE.finditer(text):
        scale_word = (match["scale"] or match["plural"]).lower().removesuffix("s")
        scale = _SCALES[scale_word]
        multiplier = _key(match["multiplier"]) if match["multiplier"] else None
        if multiplier is None:
            low, high = (2, 1000) if scale >= 1000 else (2, 10)
        else:
            low, high = _VAGUE_MULTIPLIERS[multiplier]
        value = Value("number", low * scale, high * scale, None, match[0], match.start(), match.end())
        values.append(_hedged(text, value))
    return values


# ---------------------------------------------------------------------------------------------
# Dates

def _dates(text: str, reference: date | None) -> list[Value]:
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
        return _year_value(text, match.start(), match.end(), decade, decade + 9)
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


def _bare_months(text: str, reference: date | None) -> list[Value]:
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
    return int(digits[0]) if digits else _DAY_ORDINALS[_key(written).replace(" ", "-")]


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


def _year_value(text: str, start: int, end: int, first_year: int, last_year: int) -> Value:
    return Value("year", date(first_year, 1, 1).toordinal(), date(last_year, 12, 31).toordinal(), None,
                 text[start:end], start, end, year=first_year if first_year == last_year else None)


def _relative_days(text: str, reference: date | None) -> list[Value]:
    values = []
    for match in _RELATIVE_RE.finditer(text):
        first, last, weekday = _resolve_relative(match, reference)
        values.append(Value("weekday", first and first.toordinal(), last and last.toordinal(), None,
                            match[0], match.start(), match.end(), weekday=weekday))
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


# ---------------------------------------------------------------------------------------------
# Comparison

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
            return _falls_on(other, day_name.weekday)
    if a.low is not None and b.low is not None:
        return a.low <= b.high and b.low <= a.high
    spans = _month_day_span(a), _month_day_span(b)
    if None in spans:
        return None
    (a_first, a_last), (b_first, b_last) = spans
    return a_first <= b_last and b_first <= a_last


def _names_weekday(value: Value) -> bool:
    return value.kind == "weekday" and value.weekday is not None


def _falls_on(value: Value, weekday: int) -> bool | None:
    if value.weekday is not None:
        return value.weekday == weekday
    if value.low is None:
        return None
    if value.high - value.low >= 6:
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


# ---------------------------------------------------------------------------------------------
# Names

def _name_value(text: str) -> Value | None:
    stripped = text.strip()
    key = canonical_name(stripped)
    if not key:
        return None
    start = text.index(stripped)
    return Value("name", None, None, None, stripped, start, start + len(stripped), key=key)


def _names_compatible(a: Value, b: Value) -> bool | None:
    """Same name, or the shorter is a part of the longer that keeps its last word ("Zelensky" in
    "Volodymyr Zelensky"; "President" alone is not "President Zelensky", so that pair is not
    compared). Two different proper names conflict; two different phrases ("security guarantees",
    "security assurances") may be paraphrases, which is beyond a string key, so they are not compared."""
    a_words, b_words = a.key.split(), b.key.split()
    shorter, longer = sorted((a_words, b_words), key=len)
    if set(shorter) <= set(longer):
        return True if set(shorter) == set(longer) or longer[-1] in shorter else None
    return False if _is_proper_name(a.text) and _is_proper_name(b.text) else None


def _is_proper_name(text: str) -> bool:
    words = re.findall(r"[^\W\d_][\w'’.-]*", text)
    return bool(words) and all(word[0].isupper() or len(word) <= 3 for word in words)  # "of", "and"


def _name_words(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = re.sub(r"['’]s?(?!\w)", "", plain)  # possessives: "Zelenskiy’s", "allies'"
    plain = re.sub(r"[.'’]", "", plain)  # "U.S." -> "us", "O'Brien" -> "obrien"
    words = re.findall(r"\w+", plain)
    return words[1:] if words[:1] == ["the"] else words


def _fold_transliteration(word: str) -> str:
    """One spelling for the ways Cyrillic names reach English: -iy/-yy/-yi/-i endings all
    become -y, -ei becomes -ey, and doubled letters are single."""
    word = re.sub(r"(\w)\1+", r"\1", word)
    word = re.sub(r"(?<![aeiou])(?:iy|yi|ij|i)$", "y", word)
    return re.sub(r"ei$", "ey", word)
