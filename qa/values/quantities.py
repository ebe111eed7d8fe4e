"""quantities: numbers, shares, money, lengths and areas as intervals in a canonical unit.

Each regex match is one written amount ("$14.8 trillion", "a third", "18"); adjacent amounts joined by
"-", "to" or "between ... and" form a range; a hedge before it ("nearly", "more than") widens it, and
a bracketed conversion after it ("2.5 km (1.5 miles)") is folded into it. Vague plurals ("thousands")
are intervals too. The hand-written tables are the few facts no library here provides (unit sizes,
currency symbols, hedge meanings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from word2number import w2n

from qa.values.value import TEMPORAL_KINDS, Value, year_value
from qa.values.words import CARDINALS, NOT_INSIDE_TOKEN, alternation, spelled_ordinal, word_key

_DENOMINATORS = {"half": 2, "halves": 2, "quarter": 4, "quarters": 4} | {
    word: n for n in range(3, 11) for word in (spelled_ordinal(n), spelled_ordinal(n) + "s")}
_SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
           "dozen": 12.0, "lakh": 1e5, "lakhs": 1e5, "crore": 1e7, "crores": 1e7}  # South Asian scales
_SCALE_ABBREVIATIONS = {"k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "tn": 1e12}

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
# days per unit: "a seven-week trial" is not "jailed for seven years", and "18 months" is "a year and
# a half" (years and months at their calendar averages)
_DURATION_UNITS = {"second": 1 / 86400, "minute": 1 / 1440, "hour": 1 / 24, "day": 1.0, "week": 7.0,
                   "fortnight": 14.0, "month": 30.4375, "year": 365.25, "decade": 3652.5, "century": 36525.0}
_DURATION = r"(?:seconds?|minutes?|hours?|days?|weeks?|fortnights?|months?|years?|decades?|century|centuries)"

_CURRENCIES = {"$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD",
               "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
               "£": "GBP", "gbp": "GBP", "sterling": "GBP", "pounds sterling": "GBP", "pounds": "GBP",
               "¥": "JPY", "jpy": "JPY", "yen": "JPY",
               # written after the amount ("14.8 million pounds", "212 crore rupees") or as a prefix
               # ("Rs 212 crore", "RM 1,500", "A$310 million", "NOK 9 million"; a letter prefix touching the digits,
               # "RM1,500", is not read)
               "rupees": "INR", "rs": "INR", "rs.": "INR", "₹": "INR", "yuan": "CNY", "renminbi": "CNY",
               "rand": "ZAR", "naira": "NGN", "₦": "NGN", "baht": "THB", "ringgit": "MYR", "rm": "MYR",
               "rupiah": "IDR", "rp": "IDR", "dirhams": "AED", "hryvnias": "UAH", "roubles": "RUB",
               "rubles": "RUB", "zlotys": "PLN", "zloty": "PLN", "lira": "TRY", "cedis": "GHS",
               "shillings": "KES", "ksh": "KES", "francs": "CHF", "pesos": "MXN", "reais": "BRL",
               "kroner": "NOK", "kronor": "SEK", "crowns": "crowns",
               "a$": "AUD", "c$": "CAD", "hk$": "HKD", "s$": "SGD", "nz$": "NZD", "r$": "BRL",
               **{code.lower(): code for code in ("AUD", "CAD", "CHF", "CNY", "DKK", "HKD", "INR", "NOK", "NZD",
                                                  "SEK", "SGD", "ZAR")},
               # a country's own crowns, pounds, dollars ... are its own currency, never another's
               "danish crowns": "DKK", "swedish crowns": "SEK", "norwegian crowns": "NOK",
               "czech crowns": "CZK", "icelandic crowns": "ISK", "egyptian pounds": "EGP",
               "australian dollars": "AUD", "canadian dollars": "CAD", "hong kong dollars": "HKD",
               "singapore dollars": "SGD", "new zealand dollars": "NZD", "indian rupees": "INR",
               "pakistani rupees": "PKR", "sri lankan rupees": "LKR", "swiss francs": "CHF",
               "mexican pesos": "MXN", "kenyan shillings": "KES", "turkish lira": "TRY"}

# Hedge -> factors applied to (low, high). "At least 12 people were killed" is a floor a report
# would not keep using at twice the count: it agrees with a later "14" or "15", not with "120".
_APPROXIMATELY, _NEARLY, _JUST_OVER = (0.9, 1.1), (0.9, 1.0), (1.0, 1.1)
_AT_MOST, _AT_LEAST = (0.0, 1.0), (1.0, 2.0)
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
_CONVERTED_KINDS = frozenset({"length", "area", "money"})  # kinds written with a "(conversion)"

_CARD = rf"(?:{alternation(CARDINALS)})(?!\w)"
_SCALE = rf"(?:{alternation(_SCALES)})(?!\w)"
_LENGTH = rf"(?:{alternation(_LENGTH_UNITS)})"
_SMALL_DIGITS = r"\d{1,3}(?![\d,.]\d|\w)"
# "five strikes in 10 days" is a count and a duration, not a share like "one in five".
_TIME_SPAN = r"(?:\s+(?:days?|weeks?|months?|years?|hours?|minutes?|games?|matches?))"
_AFTER_SCALE = r"(?:(?<=hundred)|(?<=thousand)|(?<=million)|(?<=billion))"  # "one hundred and twenty"

_RATIO = rf"(?:{_CARD}|\d{{1,2}})\s+in\s+(?:every\s+)?(?:{_CARD}|{_SMALL_DIGITS})(?!{_TIME_SPAN})"
_FRACTION = rf"(?:(?:an?|{_CARD})[\s-]+(?:{alternation(_DENOMINATORS)})|half)(?![\w-])"
_FRACTION_OF_SCALE = rf"\s+an?(?=\s+(?:{_SCALE}|{_LENGTH}(?!\w)))"  # "half a million", "half a mile"
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d:]|(?:st|nd|rd|th)(?!\w))"
_WORDS = rf"{_CARD}(?:(?:[\s-]+|{_AFTER_SCALE}\s+and\s+){_CARD})*"
_PERCENT = r"\s?%|\s+per\s?cent(?!\w)|\s+pct(?!\w)"
_AREA = rf"(?:square|sq\.?)\s+{_LENGTH}|(?:km|m|mi)[2²]|{alternation(_AREA_UNITS)}"
_CURRENCY_AFTER = (r"(?:U\.?S\.?\s+)?dollars?|euros?|pounds\s+sterling|sterling|yen|USD|EUR|GBP|JPY"
                   r"|(?:(?-i:[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)\s+)?"  # "Danish crowns", "Hong Kong dollars"
                   r"(?:dollars|pounds|crowns|rupees|francs|pesos|shillings|lira)"
                   r"|yuan|renminbi|rand|naira|baht|ringgit|rupiah|dirhams|hryvnias|roubles|rubles|zlotys?|cedis"
                   r"|reais|kroner|kronor")

# One written amount: currency, number, scale and unit. Ranges and hedges are assembled
# from neighbouring amounts afterwards, which keeps this pattern free of repeated groups.
_AMOUNT_RE = re.compile(rf"""
    (?<!\w)  # word starts only: rejects most positions cheaply
    (?P<cur_pre>US\$|A\$|C\$|HK\$|S\$|NZ\$|R\$|\$|€|£|¥|₹|₦
               |(?-i:Rs\.?|RM|Rp|Ksh|KSh)\s?
               |(?:USD|EUR|GBP|JPY|AUD|CAD|CHF|CNY|DKK|HKD|INR|NOK|NZD|SEK|SGD|ZAR)\s?)?
    {NOT_INSIDE_TOKEN}
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
      | (?:\s+|-)(?P<duration>{_DURATION})(?![\w-]|\s+old\b)  # "58-year-old", "58 years old": an age, a number
      | \s+(?P<cur_post>{_CURRENCY_AFTER})(?!\w)
    )?
""", re.IGNORECASE | re.VERBOSE)

_VAGUE_RE = re.compile(rf"""
    (?<!\w)(?:
        (?P<multiplier>{alternation(_VAGUE_MULTIPLIERS)})\s+(?:of\s+)?
        (?P<scale>(?:dozen|hundred|thousand|million|billion)s?)
      | (?P<plural>dozens|hundreds|thousands|millions|billions)
    )(?!\w)
""", re.IGNORECASE | re.VERBOSE)

_HEDGE_BEFORE_RE = re.compile(rf"(?<![\w-])(?P<hedge>{alternation(_HEDGES)})\s+$", re.IGNORECASE)
_BETWEEN_BEFORE_RE = re.compile(r"(?<!\w)between\s+$", re.IGNORECASE)
_RANGE_GAP_RE = re.compile(r"\s*[-–]\s*|\s+(?:to|through)\s+", re.IGNORECASE)
_AND_GAP_RE = re.compile(r"\s+and\s+", re.IGNORECASE)
_COMPOUND_GAP_RE = re.compile(r"\s+and\s+|,\s*|\s+", re.IGNORECASE)
_OPEN_PAREN_RE = re.compile(r"\s*\(\s*")
_CLOSE_PAREN_RE = re.compile(r"\s*\)")
_HALF_AS_PART_RE = re.compile(r"(?<!\w)(?:first|second|latter|other)\s+$", re.IGNORECASE)


def merge_conversions(text: str, values: list[Value]) -> list[Value]:
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


def quantities(text: str, keep_lone_one: bool) -> list[Value]:
    amounts = [a for a in map(_read_amount, _AMOUNT_RE.finditer(text)) if a is not None]
    values, i = [], 0
    while i < len(amounts):
        ranged = _range(text, amounts[i], amounts[i + 1]) if i + 1 < len(amounts) else None
        if ranged is not None:
            values.append(ranged)
            i += 2
            continue
        parts = _compound_duration(amounts, i, text)
        if parts > 1:
            values.append(_hedged(text, _sum_of_durations(text, amounts[i:i + parts])))
            i += parts
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


# An older year needs a word that makes it one ("founded in 1221", "since 1650"): 1500 alone is a count.
_EARLY_YEAR_CUE = re.compile(r"(?i:\b(?:in|since|from|until|till|by|around|circa|year)\s+)$")


def _read_amount(match: re.Match) -> _Amount | None:
    number, precision, is_share = _written_number(match)
    if number is None:
        return None
    if match["half"]:
        number, precision = number + 0.5, 0.25
    scale, measure = _scale_and_measure(match, is_share)
    digits = match["digits"]
    is_year = bool(digits and len(digits) == 4 and digits.isdigit() and scale is None and measure is None
                   and not match["half"] and (1800 <= number <= 2100 or 1000 <= number < 1800 and _EARLY_YEAR_CUE.search(
                       match.string, max(0, match.start() - 10), match.start())))
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
            return float(w2n.word_to_num(word_key(match["words"]))), 0.5, False
        except (ValueError, IndexError):
            return None, 0.0, False
    return 1.0, 0.0, False  # "a" in "a million"


def _small_number(token: str) -> float:
    return float(token) if token.isdigit() else float(CARDINALS[token])


def _fraction(written: str) -> float:
    words = word_key(written).split()
    numerator = 1 if words[0] in ("a", "an", "half") else CARDINALS[words[0]]
    return numerator / _DENOMINATORS[words[-1]]


def _scale_and_measure(match: re.Match, is_share: bool) -> tuple[float | None, _Measure | None]:
    currency = _currency_of(match["cur_pre"] or match["cur_post"] or "")
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
        short, km = _LENGTH_UNITS[word_key(match["length"])]
        return "length", "km", short, km
    if match["area"]:
        return ("area", "km2", *_area_unit(match["area"]))
    if currency:
        return "money", currency, currency, 1.0
    if match["duration"]:
        unit = match["duration"].lower()
        unit = "century" if unit.startswith("centur") else unit.removesuffix("s")
        return "duration", "day", unit, _DURATION_UNITS[unit]
    if is_share:
        return "percent", "%", "fraction", 100.0
    return None


def _area_unit(written: str) -> tuple[str, float]:
    words = word_key(written.replace(".", "")).split()
    if words[-1] in _AREA_UNITS:
        return _AREA_UNITS[words[-1]]
    short, km = _LENGTH_UNITS[words[-1].rstrip("2²")]
    return "sq " + short, km * km


def _currency_key(written: str) -> str:
    return re.sub(r"^u\.?s\.?\s+", "", " ".join(written.lower().split()))


def _currency_of(written: str) -> str | None:
    """The currency code of a written currency; a country's crowns or pounds that the table does not
    name ("Faroese crowns") are a currency of their own, named as written."""
    key = _currency_key(written)
    if not key:
        return None
    return _CURRENCIES.get(key) or (key.upper() if " " in key else None)


def _amount_value(text: str, amount: _Amount) -> Value:
    if amount.is_year:
        return year_value(text, amount.start, amount.end, int(amount.number), int(amount.number))
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
        return year_value(text, start, second.end, int(first.number), int(second.number))
    low, high = _shared_reading(first, second), _shared_reading(second, first)
    if low.measure != high.measure or low.is_year or high.is_year:
        return None
    low_value, high_value = _amount_value(text, low), _amount_value(text, high)
    if low_value.low > high_value.high:
        return None  # "3-1" is a score, not a range
    ranged = replace(low_value, high=high_value.high, text=text[start:second.end], end=second.end,
                     start=start, precision=max(low_value.precision, high_value.precision))
    return _hedged(text, ranged)


def _compound_duration(amounts: list[_Amount], i: int, text: str) -> int:
    """How many amounts from the i-th make one duration, each a smaller unit than the one before
    ("six years and three months", "4 hours 21 minutes, 38 seconds"): 1 when no other follows."""
    parts = 1
    while i + parts < len(amounts):
        before, after = amounts[i + parts - 1], amounts[i + parts]
        if not (before.measure and after.measure and before.measure[0] == after.measure[0] == "duration"
                and before.measure[3] > after.measure[3] and _COMPOUND_GAP_RE.fullmatch(text, before.end, after.start)):
            break
        parts += 1
    return parts


def _sum_of_durations(text: str, parts: list[_Amount]) -> Value:
    values = [_amount_value(text, part) for part in parts]
    total = sum(v.low for v in values)
    return replace(values[0], low=total, high=total, text=text[parts[0].start:parts[-1].end], end=parts[-1].end,
                   precision=values[-1].precision)


def _shared_reading(amount: _Amount, other: _Amount) -> _Amount:
    """In "$10-15 billion" the currency and the scale written once apply to both ends."""
    return replace(amount, scale=amount.scale or other.scale, measure=amount.measure or other.measure,
                   is_year=amount.is_year and other.is_year)


def _hedged(text: str, value: Value) -> Value:
    if value.kind in TEMPORAL_KINDS:
        return value
    hedge = _HEDGE_BEFORE_RE.search(text, max(0, value.start - 24), value.start)
    if not hedge:
        return value
    low_factor, high_factor = _HEDGES[word_key(hedge["hedge"])]
    high = None if high_factor is None or value.high is None else value.high * high_factor
    return replace(value, low=value.low * low_factor, high=high, start=hedge.start(),
                   text=text[hedge.start():value.end])


def vague_quantities(text: str) -> list[Value]:
    values = []
    for match in _VAGUE_RE.finditer(text):
        scale_word = (match["scale"] or match["plural"]).lower().removesuffix("s")
        scale = _SCALES[scale_word]
        multiplier = word_key(match["multiplier"]) if match["multiplier"] else None
        if multiplier is None:
            low, high = (2, 1000) if scale >= 1000 else (2, 10)
        else:
            low, high = _VAGUE_MULTIPLIERS[multiplier]
        value = Value("number", low * scale, high * scale, None, match[0], match.start(), match.end())
        values.append(_hedged(text, value))
    return values

