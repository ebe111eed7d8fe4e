"""names: proper names as comparable keys ("Zelenskiy" == "Zelensky", "U.S." == "United States",
"ZCA" == "Zembara Competition Authority")."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from qa.values.value import Value

_NAME_ALIASES = {variant: key for key, variants in {
    "us": ("us", "usa", "united states", "united states of america", "america"),
    "uk": ("uk", "britain", "great britain", "united kingdom"),
    "eu": ("eu", "european union"),
}.items() for variant in variants}

_NAME_RUN_RE = re.compile(r"[A-Z][\w'’.-]*(?:\s+(?:(?:of|and|the|for)\s+)?[A-Z][\w'’.-]*)*")
_POSSESSIVE_END_RE = re.compile(r"['’]s?$")


def find_names(text: str) -> list[Value]:
    """Every run of capitalised words in `text` ("Volodymyr Zelenskiy", "U.S.", "Munich Security
    Conference") as a name value with exact offsets, possessives and a closing full stop left out:
    what a name answer is compared with in another source's sentence."""
    names = []
    for match in _NAME_RUN_RE.finditer(text):
        run = _POSSESSIVE_END_RE.sub("", match.group())
        if run.endswith(".") and run.count(".") == 1:
            run = run[:-1]  # the sentence's full stop, not an abbreviation's ("U.S." keeps its dots)
        value = name_value(run)
        if value is not None:
            names.append(replace(value, start=match.start() + value.start, end=match.start() + value.end))
    return names



def canonical_name(text: str) -> str:
    """Normalised key for names: 'Zelenskiy' == 'Zelensky' == 'Zelenskyy'; 'U.S.' == 'US' ==
    'United States'; 'Reuters' any case."""
    words = _name_words(text)
    phrase = " ".join(words)
    if phrase in _NAME_ALIASES:
        return _NAME_ALIASES[phrase]
    return " ".join(_fold_transliteration(word) for word in words)



def name_value(text: str) -> Value | None:
    stripped = text.strip()
    key = canonical_name(stripped)
    if not key:
        return None
    start = text.index(stripped)
    return Value("name", None, None, None, stripped, start, start + len(stripped), key=key)


def names_compatible(a: Value, b: Value) -> bool | None:
    """Same name, or the shorter is a part of the longer that keeps its last word ("Zelensky" in
    "Volodymyr Zelensky"; "President" alone is not "President Zelensky", so that pair is not
    compared). Two different proper names conflict; two different phrases ("security guarantees",
    "security assurances") may be paraphrases, which is beyond a string key, so they are not compared."""
    a_words, b_words = a.key.split(), b.key.split()
    shorter, longer = sorted((a_words, b_words), key=len)
    if set(shorter) <= set(longer):
        return True if set(shorter) == set(longer) or longer[-1] in shorter else None
    pair = _initialism_and_name(a.text, b.text)
    if pair is not None:
        initialism, letters = pair[0], _initials(pair[1])
        if letters == initialism:
            return True  # "ZCA", "Zembara Competition Authority"
        if sorted(letters) == sorted(initialism):
            return None  # "Competition Authority of Zembara": names are said in both orders, initialisms in one
    return False if _is_proper_name(a.text) and _is_proper_name(b.text) else None


_INITIALISM_RE = re.compile(r"[A-Z]{2,6}")
_LINKING_WORDS = {"of", "and", "the", "for", "on", "in", "de", "del"}


def _initialism_and_name(a: str, b: str) -> tuple[str, str] | None:
    """(the initialism, the name) when one of the two is an initialism and the other a name of words."""
    for short, full in ((a.strip(), b.strip()), (b.strip(), a.strip())):
        if _INITIALISM_RE.fullmatch(short) and " " in full:
            return short, full
    return None


def _initials(name: str) -> str:
    """The initials of a name's words, linking words left out ("Anti-Money Laundering Office" -> "AMLO")."""
    words = re.findall(r"[^\W\d_]+", name)
    return "".join(w[0] for w in words if w.casefold() not in _LINKING_WORDS).upper()


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
