"""tokens: text -> the terms BM25 counts, the same for passages at index time and for questions.

Numbers keep their decimals, ranges and signs ("2.5", "18-24", "$14.8", "20%"); dotted
abbreviations stay one token ("U.S." -> "us"); hyphenated words count whole and by part.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
import re
import threading
from functools import lru_cache

import snowballstemmer

_TOKEN = re.compile(
    r"\$?\d+(?:[.,]\d+)*(?:-\d+(?:[.,]\d+)*)?%?"
    r"|(?:[^\W\d_]\.){2,}"
    r"|[^\W_]+(?:[-'’][^\W_]+)*",
)
_STOPWORDS = frozenset(
    """a an and are as at be been being but by did do does for from had has have he her his how i
    if in into is it its me my no not of on or our she so than that the their them then there these
    they this those to too was we were what when where which while who whom whose why will with
    would you your can could should may might must shall also about after before up out over such
    any all each both other some own same very s t just""".split()
)  # not "us": the pronoun carries little, while "U.S."/"US" is a country and reads as "us"


@lru_cache(maxsize=1)
def _stemmer():
    return snowballstemmer.stemmer("english")


_stem_lock = threading.Lock()


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    # A snowball stemmer holds the word it is working on in itself: two threads stemming at once
    # (the web app answers several questions at a time) get each other's stems or an IndexError.
    with _stem_lock:
        return _stemmer().stemWord(word)


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed terms for BM25; stopwords dropped, numbers and hyphenations kept."""
    terms: list[str] = []
    for raw in _TOKEN.findall(text.casefold()):
        token = raw.replace("’", "'").rstrip("'")
        if token.endswith("'s"):
            token = token[:-2]
        if "." in token and not token[0].isdigit() and not token.startswith("$"):
            token = token.replace(".", "")  # u.s. -> us
        if not token or token in _STOPWORDS:
            continue
        terms.append(_stem(token) if token.isalpha() else token)
        if "-" in token:
            terms.extend(_stem(part) for part in token.split("-") if part and part not in _STOPWORDS)
    return terms


@lru_cache(maxsize=1)
def tokenizer_fingerprint() -> str:
    """Changes whenever `tokenize` could give other terms: saved term counts of another tokenizer
    are not reused."""
    parts = [inspect.getsource(tokenize), inspect.getsource(_stem.__wrapped__), _TOKEN.pattern,
             " ".join(sorted(_STOPWORDS)), importlib.metadata.version("snowballstemmer")]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]
