"""spans: the reader's scores -> one span of a sentence, as character offsets a person would copy.

How a (question, sentence) pair is fed to the reader's graph, which positions may start or end an
answer, the best span under the length limit, and its widening to whole words. Shared by the reader
(`qa.reader`), its ONNX checks and its training (`bench/train_reader.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MAX_ANSWER_TOKENS = 30
NEG = -1e4  # the score of positions that can never start or end an answer (question, padding)
CONTEXT_CHARS = 200  # of the sentence before, read as context: where "he" or "the company" is named


def with_context(context: str, sentence: str) -> tuple[str, int]:
    """What the reader reads for a sentence: the end of the sentence before it (at most CONTEXT_CHARS,
    from a word's start), then the sentence; and where the sentence starts in that text. Only the
    sentence may hold the answer; the context is there for what its pronouns stand for."""
    context = " ".join(context.split())
    if not context:
        return sentence, 0
    if len(context) > CONTEXT_CHARS:
        clipped = context[-CONTEXT_CHARS:]
        context = clipped.split(" ", 1)[1] if " " in clipped else clipped
    return f"{context} {sentence}", len(context) + 1


def sentence_mask(offsets, allowed: np.ndarray, sentence_start: int) -> np.ndarray:
    """`allowed` without the tokens before `sentence_start` (a context or a dateline); [CLS], "no
    answer", stays allowed."""
    if not sentence_start:
        return allowed
    before = np.array([start < sentence_start for start, _ in offsets], dtype=bool)
    before[0] = False
    return allowed & ~before


def answer_mask(sequence_ids: list[int | None]) -> np.ndarray:
    """True where an answer may start or end: the sentence's tokens, and [CLS] for "no answer"."""
    mask = np.array([sid == 1 for sid in sequence_ids], dtype=bool)
    mask[0] = True
    return mask


def model_inputs(pairs) -> dict[str, np.ndarray]:
    """The graph's inputs for a batch of encoded (question, sentence) pairs."""
    return {
        "input_ids": np.array([p.ids for p in pairs], dtype=np.int64),
        "attention_mask": np.array([p.attention_mask for p in pairs], dtype=np.int64),
        "token_type_ids": np.array([p.type_ids for p in pairs], dtype=np.int64),
    }


@dataclass(frozen=True)
class SpanGuess:
    start: int  # character offsets into the sentence read
    end: int
    score: float  # start + end score of the span
    no_answer: float  # the sentence's [CLS] score: how strongly it says "not here"
    token_scores: tuple | None = field(default=None, compare=False, repr=False)  # (offsets, starts, ends)

    @property
    def margin(self) -> float:
        """How far the span's score clears the sentence's no-answer score (> 0: the reader would answer)."""
        return self.score - self.no_answer

    def shifted(self, by: int) -> SpanGuess:
        """The same guess with its offsets moved by `by`: into the sentence, out of a context read before it."""
        if not by:
            return self
        offsets, starts, ends = self.token_scores
        moved = np.where(offsets[:, 1:] > offsets[:, :1], offsets + by, 0)  # tokens no span may use stay (0, 0)
        return SpanGuess(self.start + by, self.end + by, self.score, self.no_answer, (moved, starts, ends))

    def margin_of(self, start: int, end: int) -> float | None:
        """The reader's margin for another span of the same sentence (character offsets), scored
        from the tokens it starts and ends on: how typed candidates compete with the reader's pick."""
        if self.token_scores is None:
            return None
        offsets, starts, ends = self.token_scores
        inside = np.flatnonzero((offsets[:, 1] > start) & (offsets[:, 0] < end) & (offsets[:, 1] > offsets[:, 0]))
        if not len(inside):
            return None
        return float(starts[inside[0]] + ends[inside[-1]]) - self.no_answer



def best_span(
    sentence: str, start_scores: np.ndarray, end_scores: np.ndarray, offsets: np.ndarray, allowed: np.ndarray
) -> SpanGuess:
    start_scores = np.where(allowed, start_scores, NEG)
    end_scores = np.where(allowed, end_scores, NEG)
    no_answer = float(start_scores[0] + end_scores[0])
    # every (start, end) pair with start <= end < start + MAX_ANSWER_TOKENS, at once
    pair = start_scores[:, None] + end_scores[None, :]
    n = len(start_scores)
    i, j = np.indices((n, n))
    pair = np.where((j >= i) & (j - i < MAX_ANSWER_TOKENS), pair, NEG)
    pair[0, :] = NEG
    pair[:, 0] = NEG
    s, e = np.unravel_index(int(np.argmax(pair)), pair.shape)
    char_start, char_end = whole_words(sentence, int(offsets[s][0]), int(offsets[e][1]))
    sentence_tokens = np.where(allowed[:, None], offsets, 0)  # question (or dateline) tokens are never a candidate
    return SpanGuess(char_start, char_end, float(pair[s, e]), no_answer, (sentence_tokens, start_scores, end_scores))


_TRAILING = ",;:—–-(\"“‘'"
_CURRENCY = "$€£¥"


def whole_words(sentence: str, start: int, end: int) -> tuple[int, int]:
    """Widen a word-piece span to whole words, and drop punctuation hanging at its ends."""
    while start > 0 and (sentence[start - 1].isalnum() or sentence[start - 1] in "'’" and start > 1
                         and sentence[start - 2].isalnum()):
        start -= 1
    while end < len(sentence) and sentence[end].isalnum():
        end += 1
    if start > 0 and sentence[start - 1] in _CURRENCY:
        start -= 1  # "$14.8 trillion", not "14.8 trillion"
    for opener, closer in (("(", ")"), ("“", "”")):
        text = sentence[start:end]
        if end < len(sentence) and sentence[end] == closer and text.count(opener) > text.count(closer):
            end += 1  # "2.5 km (1.5 miles)": a bracket opened inside the span closes inside it
    text = sentence[start:end]
    while text and text[-1] in _TRAILING + ".)”’":
        if text[-1] == "." and _is_abbreviation(text):
            break  # "U.S." keeps its dots
        if text[-1] in ")”’" and _opens(text, text[-1]):
            break  # "2.5 km (1.5 miles)" keeps its bracket
        text = text[:-1].rstrip()
    lead = len(text) - len(text.lstrip(_TRAILING + " "))
    return start + lead, start + len(text)


def _is_abbreviation(text: str) -> bool:
    word = text.split()[-1] if text.split() else ""
    return len(word) >= 2 and word[-2].isupper() and (len(word) == 2 or word[-3] == ".")


def _opens(text: str, closer: str) -> bool:
    opener = {")": "(", "”": "“", "’": "‘"}[closer]
    return text.count(opener) >= text.count(closer)
