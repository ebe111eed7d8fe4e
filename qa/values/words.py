"""words: the vocabulary the value patterns are built from (number words, ordinals, regex helpers).

Derived from libraries where one exists: number words from word2number's vocabulary (which also does
the word-to-number arithmetic).
"""

from __future__ import annotations

import re

from word2number import w2n

def alternation(words) -> str:
    """Regex alternation trying longer words first, so "February" wins over "Feb"."""
    return "|".join(_phrase(w) for w in sorted(set(words), key=len, reverse=True))


def _phrase(words: str) -> str:
    """Pattern for a phrase whose spaces/hyphens may be any run of whitespace or a hyphen."""
    return r"[\s-]+".join(re.escape(part) for part in re.split(r"[\s-]+", words))


CARDINALS = {w: n for w, n in w2n.american_number_system.items() if isinstance(n, int)}
_NUMBER_NAMES = {n: w for w, n in CARDINALS.items()}
_IRREGULAR_ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                       "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}


def _ordinal_word(cardinal: str) -> str:
    if cardinal in _IRREGULAR_ORDINALS:
        return _IRREGULAR_ORDINALS[cardinal]
    return cardinal[:-1] + "ieth" if cardinal.endswith("y") else cardinal + "th"


def spelled_ordinal(n: int) -> str:
    if n in _NUMBER_NAMES:
        return _ordinal_word(_NUMBER_NAMES[n])
    tens, unit = divmod(n, 10)
    return f"{_NUMBER_NAMES[tens * 10]}-{_ordinal_word(_NUMBER_NAMES[unit])}"


def word_key(text: str) -> str:
    return " ".join(re.split(r"[\s-]+", text.lower()))


DAY_ORDINALS = {spelled_ordinal(n): n for n in range(1, 32)}
NOT_INSIDE_TOKEN = r"(?<![\w.,:/])(?<![A-Za-z]-)"  # not "G7", "1.5.2", "8:58", "COVID-19"
