"""render: an `Answer` as the chat shows it (HTML), and an article with its cited span marked.

Everything here is text in, text out: no Gradio, so the wording of each outcome can be read and
tested alone. qa/web.py puts it on screen.

Safety rule for everything below: question and article text reach the browser only as text.
- The chatbot renders its messages as (sanitised) HTML with Markdown switched off, so every piece of
  text in a message goes through `as_html()` (html.escape) and only this module's fixed tags are markup.
- `gr.Markdown` (the viewer heading) renders Markdown and HTML, so text there goes through `literal()`:
  every ASCII punctuation character becomes a numeric character reference, so no tag, entity, link,
  emphasis, code span or math delimiter can form, and whitespace runs collapse to one space, so no
  line can start an indented code block.
- Components that render plain text themselves (HighlightedText, Radio, Dropdown) get the raw text.
"""

from __future__ import annotations

import html
import string
from collections import Counter

from qa.models import Answer, Citation, Document, SourceAgreement, StatedValue

NOT_COVERED = "The articles don't cover this."
NO_SHORT_ANSWER = "No short answer I can stand behind. This passage looks closest:"
ANSWER_MEANING = "Copied word for word from the sentence below; the confidence is how sure the reader is that this span answers the question."
PASSAGE_MEANING = "The dotted words are the reader's best guess, not an answer: read the passage to judge."
MARKS = {"agrees": "✓ agrees", "conflicts": "✗ conflicts", "silent": "– silent"}
MARKS_MEANING = ("✓ agrees: states the same value · ✗ conflicts: states a different value · "
                 "– silent: the article says nothing on this")
TITLES_NAMED = 3  # a side of a disagreement names this many source titles, then counts the rest
MARKER_ORDER = {"agrees": 0, "conflicts": 1, "silent": 2}
ECHO_MAX_CHARS = 300  # a rejected, overlong question is echoed only this far
VIEWER_HINT = "Choose a citation (or a source) to read the whole article here."
# What to ask for instead of an empty question, by where it came from: the chat (with or without
# example buttons to point at) or the /answer API, whose caller sends a string and sees no buttons.
ASK_IN_WORDS = {
    "chat": "Please type a question in words, or pick one of the examples.",
    "chat without examples": "Please type a question in words.",
    "api": "Please send a question in words: the question had none.",
}
PICKER_LABEL = "Citations of the selected answer"
PICKER_QUESTION_CHARS = 120  # the picker's label names the reply it lists, this far
HIGHLIGHT_COLORS = {"answer": "#facc15", "cited sentence": "#bfdbfe"}

_PUNCTUATION = frozenset(string.punctuation)

VIEWER_LEGEND = ('<div class="qa-legend">Highlighted: <span class="qa-legend-answer">the answer</span> '
                 '<span class="qa-legend-sentence">the cited sentence</span></div>')

# Our own fixed script (no data in it; the chat history is read for its length only). Once the new
# messages are drawn, the chat scrolls so the latest question sits at its top with its reply, answer
# first, right below; where that is off screen (a phone: the page scrolls too) the page follows.
# ---------------------------------------------------------------- text that cannot become markup


def as_html(value: str) -> str:
    """`value` as HTML that displays exactly these characters (for the chatbot's HTML messages)."""
    return html.escape(value, quote=True)


def literal(text: str) -> str:
    """`text` as inert Markdown-and-HTML source that displays exactly these characters (whitespace
    collapsed), for `gr.Markdown`."""
    return "".join(f"&#{ord(ch)};" if ch in _PUNCTUATION else ch for ch in " ".join(text.split()))


def friendly_problem(error: ValueError, door: str = "chat") -> str:
    """What to tell a person whose question the engine refused (`clean_question`'s InvalidQuestion),
    worded for the door it came through (a key of ASK_IN_WORDS). Only that error is the user's to fix;
    any other failure is ours and is logged, never echoed."""
    reason = str(error)
    if "too long" in reason:
        return f"That question is too long to answer: {reason.removeprefix('question is too long ')}. Please shorten it."
    if "empty" in reason or "no words" in reason:
        return ASK_IN_WORDS[door]
    return f"That question can't be asked: {reason}."


# ---------------------------------------------------------------- one reply in the chat


def viewable_citations(answer: Answer) -> list[Citation]:
    """The numbered citations of a reply: the answer's citations (or, for an abstention, the related
    passages), then the sentence of each conflicting source, so every one can be opened."""
    cited = list(answer.citations)
    seen = {(c.doc_id, c.start, c.end) for c in cited}
    for source in answer.sources:
        c = source.citation
        if source.marker == "conflicts" and c and (c.doc_id, c.start, c.end) not in seen:
            cited.append(c)
            seen.add((c.doc_id, c.start, c.end))
    return cited


def citation_label(number: int, citation: Citation) -> str:
    """A picker line: the number and title only; the picker shows plain text, so the document id
    (an internal name like 001_ba940ec7e439679a) is left to the viewer heading."""
    return f"[{number}] {citation.title}"


def quoted_sentence(citation: Citation, tentative: bool = False) -> str:
    """The cited sentence with the answer span (if any) inside <mark>, or, for a tentative span, a
    dotted underline: a guess must never look like an answer."""
    if citation.answer_start is None or citation.answer_end is None:
        return as_html(citation.text)
    a = max(0, citation.answer_start - citation.start)
    b = min(len(citation.text), citation.answer_end - citation.start)
    before, span, after = citation.text[:a], citation.text[a:b], citation.text[b:]
    marked = (f'<span class="qa-tentative" title="possible answer, not confirmed">{as_html(span)}</span>' if tentative
              else f'<mark class="qa-span">{as_html(span)}</mark>')
    return f"{as_html(before)}{marked}{as_html(after)}"


def confidence_words(confidence: float) -> str:
    return "very high confidence" if confidence >= 0.99 else "high confidence" if confidence >= 0.9 else "moderate confidence"


def _doc_line(title: str, doc_id: str) -> str:
    """A source's title; its document id (a file name, not meant for reading) shows on hover."""
    return f'<span class="qa-title" title="{as_html(doc_id)}">{as_html(title)}</span>'


def _source_line(source: SourceAgreement) -> str:
    mark = f'<span class="qa-mark">{MARKS[source.marker]}</span>'
    line = f"{mark} · {_doc_line(source.title, source.doc_id)}"
    if source.value:
        line += f" — “{as_html(source.value)}”"
    if source.citation is None:
        return f'<div class="qa-source qa-{source.marker}">{line}</div>'
    sentence = as_html(source.citation.text)
    return (
        f'<details class="qa-source qa-{source.marker}">'
        f'<summary title="{sentence}">{line}</summary>'
        f'<div class="qa-quote qa-source-sentence">{sentence}</div></details>'
    )


def agreement_strip(answer: Answer) -> str:
    """One line per source, agreeing ones first, and one line saying what the three marks mean."""
    sources = sorted(answer.sources, key=lambda s: MARKER_ORDER[s.marker])
    lines = "".join(_source_line(s) for s in sources)
    return (f'<div class="qa-heading">{as_html(strip_heading(answer))}</div><div class="qa-sources">{lines}</div>'
            f'<div class="qa-hint qa-marks-meaning">{as_html(MARKS_MEANING)}</div>')


def disagreement_note(answer: Answer) -> str:
    """One line under the answer when sources state different values, so a split is seen before the
    strip is read. It names each value and the sources stating it (`Answer.values`, most sources
    first); an answer whose values are not filled in only counts its conflicting sources."""
    if len(answer.values) >= 2:
        titles = _titles_by_doc(answer)
        sides = "; ".join(_value_side(v, titles) for v in answer.values)
        return f'<div class="qa-disagree">⚠ Sources disagree: {sides}</div>'
    conflicting = sum(s.marker == "conflicts" for s in answer.sources)
    if not conflicting:
        return ""
    sources = "1 source states" if conflicting == 1 else f"{conflicting} sources state"
    return f'<div class="qa-disagree">⚠ Sources disagree: {sources} a different value (see below).</div>'


def strip_heading(answer: Answer) -> str:
    """Without a short answer, the strip's heading names the value the agreeing sources state, so that
    "✓ agrees" says with what (it may differ from the reader's guess in the passage above)."""
    stated = answer.values[0] if len(answer.values) == 1 else None
    if answer.status != "passage" or stated is None or not stated.doc_ids:
        return "What each source says"
    count = "1 source states" if len(stated.doc_ids) == 1 else f"{len(stated.doc_ids)} sources state"
    return f"What each source says ({count} “{stated.value}”)"


def _titles_by_doc(answer: Answer) -> dict[str, str]:
    titles = {c.doc_id: c.title for c in answer.citations}
    titles.update((s.doc_id, s.title) for s in answer.sources)
    return titles


def _value_side(value: StatedValue, titles: dict[str, str]) -> str:
    """'8 km (5 miles) — 1 source (Title)': a value, how many sources state it, and which."""
    count = len(value.doc_ids)
    named = [_doc_line(titles.get(d, d), d) for d in value.doc_ids[:TITLES_NAMED]]
    if count > TITLES_NAMED:
        named.append(f"{count - TITLES_NAMED} more")
    sources = "1 source" if count == 1 else f"{count} sources"
    return f'<span class="qa-value">{as_html(value.value)}</span> — {sources} ({", ".join(named)})'


def render_reply(answer: Answer) -> str:
    """The chat bubble for an `Answer`, one presentation per outcome: fixed tags around `as_html()` text."""
    if answer.status == "answer":
        return render_short_answer(answer)
    if answer.status == "passage":
        return render_closest_passage(answer)
    return render_not_covered(answer)


def render_short_answer(answer: Answer) -> str:
    cited = viewable_citations(answer)
    citations = "".join(
        f'<div class="qa-citation">[{n}] {_doc_line(c.title, c.doc_id)}</div>' for n, c in enumerate(cited, 1)
    )
    confidence = (f'<div class="qa-confidence"><span title="confidence {answer.confidence:.2f}">'
                  f'{confidence_words(answer.confidence)}</span> · {as_html(ANSWER_MEANING)}</div>')
    parts = [
        f'<div class="qa-answer">{as_html(answer.answer or "")}</div>',
        disagreement_note(answer),
        confidence,
        f'<div class="qa-quote">{quoted_sentence(cited[0])} <span class="qa-doc">[1]</span></div>',
        f'<div class="qa-heading">Citations</div><div class="qa-citations">{citations}</div>',
        agreement_strip(answer),
        '<div class="qa-hint">Open a citation in the source viewer to read it in its article.</div>',
    ]
    return f'<div class="qa-reply qa-answered">{"".join(parts)}</div>'


def render_closest_passage(answer: Answer) -> str:
    cited = viewable_citations(answer)
    top, others = cited[0], cited[1:]
    parts = [
        f'<div class="qa-abstain">{as_html(NO_SHORT_ANSWER)}</div>',
        f'<div class="qa-quote qa-closest">{quoted_sentence(top, tentative=True)} <span class="qa-doc">[1]'
        f" {_doc_line(top.title, top.doc_id)}</span></div>",
    ]
    if top.answer_start is not None:
        parts.append(f'<div class="qa-hint">{as_html(PASSAGE_MEANING)}</div>')
    if others:
        parts.append(f'<div class="qa-heading">Other related passages</div>{_related_lines(others, first=2)}')
    if any(s.marker != "silent" for s in answer.sources):
        parts.extend([disagreement_note(answer), agreement_strip(answer)])
    parts.append('<div class="qa-hint">Open a passage in the source viewer to read it in context.</div>')
    return f'<div class="qa-reply qa-passage">{"".join(parts)}</div>'


def render_not_covered(answer: Answer) -> str:
    cited = viewable_citations(answer)
    parts = [f'<div class="qa-abstain">{as_html(NOT_COVERED)}</div>']
    if cited:
        parts.append(f'<div class="qa-heading">Closest passages, for reference only</div>{_related_lines(cited)}')
        parts.append('<div class="qa-hint">Open a passage in the source viewer to read it in context.</div>')
    return f'<div class="qa-reply qa-abstained">{"".join(parts)}</div>'


def _related_lines(citations: list[Citation], first: int = 1) -> str:
    return "".join(
        f'<div class="qa-related">[{n}] “{as_html(c.text)}” — {_doc_line(c.title, c.doc_id)}</div>'
        for n, c in enumerate(citations, first)
    )


def render_problem(message: str) -> str:
    return f'<div class="qa-reply qa-problem">{as_html(message)}</div>'


def render_question(question: str) -> str:
    if len(question) > ECHO_MAX_CHARS:
        question = question[:ECHO_MAX_CHARS] + "…"
    return as_html(question)


# ---------------------------------------------------------------- the source viewer


def article_segments(text: str, citation: Citation | None, tentative: bool = False) -> list[tuple[str, str | None]]:
    """The whole article cut at the citation's exact offsets, for `gr.HighlightedText`: plain text,
    the cited sentence, and the answer span inside it. A tentative span (a reply without a short
    answer) gets no answer colour: the viewer must not present a guess as the answer."""
    if citation is None:
        return [(text, None)]
    start, end = citation.start, citation.end
    spanned = citation.answer_start is not None and citation.answer_end is not None and not tentative
    a_start = citation.answer_start if spanned else end
    a_end = citation.answer_end if spanned else end
    cuts = [
        (0, start, None),
        (start, a_start, "cited sentence"),
        (a_start, a_end, "answer"),
        (a_end, end, "cited sentence"),
        (end, len(text), None),
    ]
    return [(text[i:j], label) for i, j, label in cuts if j > i]


def viewer_heading(document: Document) -> str:
    date = document.date.isoformat() if document.date else "date unknown"
    return f"### {literal(document.title)}\n\n{literal(date)} · {literal(document.doc_id)}"


def citation_for_document(answer: Answer | None, doc_id: str) -> Citation | None:
    """What to highlight when a whole source is chosen: that source's sentence in the shown answer."""
    if answer is None:
        return None
    for c in viewable_citations(answer):
        if c.doc_id == doc_id:
            return c
    for s in answer.sources:
        if s.doc_id == doc_id and s.citation:
            return s.citation
    return None


def source_choices(documents: dict[str, Document]) -> list[tuple[str, str]]:
    """The source picker's (label, doc_id) pairs: titles, with the id added only where two articles
    share a title, so that every line can still be told apart."""
    shared = {t for t, n in Counter(d.title for d in documents.values()).items() if n > 1}
    return [(f"{d.title} ({d.doc_id})" if d.title in shared else d.title, d.doc_id) for d in documents.values()]


def picker_label(answer: Answer) -> str:
    """The citation picker's label names the question whose reply it lists (Gradio shows labels as
    text), so after clicking an earlier reply it is clear which citations are on offer."""
    question = " ".join(answer.question.split())
    if len(question) > PICKER_QUESTION_CHARS:
        question = question[:PICKER_QUESTION_CHARS] + "…"
    return f"{PICKER_LABEL}: “{question}”"


