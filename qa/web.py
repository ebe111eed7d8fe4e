"""web: the Gradio front end: the chat, the citation picker and the article viewer over an engine.

Every decision about the answer is the engine's; every word and mark of a reply is qa/render.py's
(which also holds the rule that keeps question and article text from becoming markup).
"""

from __future__ import annotations

import logging
import os
import typing
from pathlib import Path
from typing import Any

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported anywhere

import gradio as gr  # noqa: E402

from qa.engine import SHIPPED_CORPUS, InvalidQuestion  # noqa: E402
from qa.models import Answer, Citation, Document  # noqa: E402
from qa.render import (  # noqa: E402
    HIGHLIGHT_COLORS,
    PICKER_LABEL,
    VIEWER_HINT,
    VIEWER_LEGEND,
    article_segments,
    citation_for_document,
    citation_label,
    friendly_problem,
    literal,
    picker_label,
    render_problem,
    render_question,
    render_reply,
    source_choices,
    viewable_citations,
    viewer_heading,
)

log = logging.getLogger(__name__)

# Questions about the shipped articles (seeds/): offered only over that corpus.
EXAMPLES = [
    "How far did Ukrainian forces advance into Russia's Kursk region?",
    "Who is Trump's special envoy for Russia and Ukraine?",
    "What is the estimated value of Ukraine's mineral resources according to Forbes?",
    "What share of Ukraine's mineral resources is under Russian occupation?",
    "What is the capital of France?",
]
PLACEHOLDER = "Ask a question about the articles and press Enter"
PLACEHOLDER_OWN_CORPUS = "Ask a question about your articles and press Enter"
CSS = """
.qa-answer { font-size: 1.35em; font-weight: 700; margin-bottom: .4em; }
.qa-abstain { font-size: 1.2em; font-weight: 700; margin-bottom: .4em; }
.qa-confidence { color: #374151; font-size: .9em; margin-bottom: .3em; }
.qa-confidence span[title] { text-decoration: underline dotted; cursor: help; }
.qa-quote .qa-tentative { background: none; text-decoration: underline dotted #b45309 2px; text-underline-offset: 3px; }
.qa-quote { margin: .3em 0 .6em 0; padding-left: .7em; border-left: 3px solid #93c5fd; }
.qa-quote mark { background: #fde047; color: inherit; padding: 0 .1em; }
.qa-heading { font-weight: 600; margin-top: .5em; }
.qa-citation, .qa-related { margin: .15em 0; }
.qa-source { margin: .1em 0; }
.qa-source summary { cursor: pointer; }
.qa-agrees .qa-mark { color: #15803d; font-weight: 700; }
.qa-conflicts .qa-mark { color: #b91c1c; font-weight: 700; }
.qa-silent .qa-mark { color: #6b7280; }
.qa-doc { color: #6b7280; font-size: .85em; }
.qa-hint { color: #6b7280; font-size: .85em; margin-top: .5em; }
.qa-disagree { color: #b91c1c; font-weight: 600; margin: .2em 0 .5em 0; }
/* The article reads as running text: HighlightedText lays tokens out as flex items, breaks words
   inside them and leaves whitespace between its elements (hidden here with font-size 0). */
#qa-article .textfield { display: block; word-break: normal; overflow-wrap: break-word; line-height: 1.6;
                         max-height: 640px; overflow-y: auto; font-size: 0; }
#qa-article .token-container, #qa-article .token { display: inline; padding: 0; margin: 0; }
#qa-article .text { font-size: var(--text-md); background-color: inherit; border-radius: 3px; }
#qa-article .line-break { display: block; height: .35rem; }
.qa-legend { font-size: .85em; color: #374151; }
.qa-legend span { padding: 0 .3em; border-radius: 3px; }
.qa-legend .qa-legend-answer { background: #facc15; }
.qa-legend .qa-legend-sentence { background: #bfdbfe; }
"""

# The viewer's colour key, on its own line above the article (Gradio's legend overlays the text).
SHOW_LATEST_REPLY = """(history) => {
  const wanted = (history || []).length;
  let frames = 0;
  const step = () => {
    const drawn = document.querySelectorAll('#qa-chat [data-testid=user], #qa-chat [data-testid=bot]');
    if (drawn.length < wanted && ++frames < 120) return requestAnimationFrame(step);
    const asked = [...document.querySelectorAll('#qa-chat [data-testid=user]')].pop();
    if (!asked) return;
    let box = asked.parentElement;
    while (box && box.id !== 'qa-chat' && !/auto|scroll/.test(getComputedStyle(box).overflowY)) box = box.parentElement;
    if (box && box.id !== 'qa-chat') box.scrollTop += asked.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
    const top = asked.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight / 2) window.scrollBy(0, top - 8);
  };
  requestAnimationFrame(step);
}"""

# Our own fixed script (no data in it): bring the highlighted sentence into view once it is drawn.
SCROLL_TO_HIGHLIGHT = """() => { setTimeout(() => {
  const mark = document.querySelector('#qa-article .token.highlighted');
  if (mark) mark.scrollIntoView({block: 'center'});
}, 50); }"""

# System fonts only: the default theme fetches Google Fonts, and this app makes no network requests.
THEME = gr.themes.Default(
    font=["ui-sans-serif", "system-ui", "sans-serif"],
    font_mono=["ui-monospace", "monospace"],
)


# ---------------------------------------------------------------- the app


def is_shipped_corpus(engine: Any) -> bool:
    """Whether the engine reads the articles shipped in seeds/, the only corpus EXAMPLES are about."""
    corpus = getattr(engine, "corpus_dir", None)
    return corpus is not None and Path(corpus).resolve() == SHIPPED_CORPUS.resolve()


def examples_for(engine: Any) -> list[str]:
    """Example questions only where they are about the articles: another corpus gets none, since
    questions made up from its titles would often be ones its articles cannot answer."""
    return list(EXAMPLES) if is_shipped_corpus(engine) else []


class ChatTurns:
    """What the app does when the person acts: ask, pick an earlier reply, open a citation or a source.

    Each handler takes the components' values and returns their new ones (`build_app` wires them).
    """

    def __init__(self, engine: Any, chat_door: str):
        self.engine = engine
        self.documents: dict[str, Document] = engine.documents
        self.chat_door = chat_door

    def show(self, citation: Citation | None, doc_id: str | None, answer: Answer | None):
        document = self.documents.get(doc_id) if doc_id else None
        if document is None:
            return VIEWER_HINT, None
        tentative = answer is not None and answer.status != "answer"
        return viewer_heading(document), article_segments(document.text, citation, tentative)

    def ask(self, question: str, history: list, turns: dict):
        """One chat turn: the question is answered on its own; history is only what is on screen."""
        history = list(history or [])
        question = question if isinstance(question, str) else ""
        try:
            answer = self.engine.answer(question)
        except InvalidQuestion as error:
            if question.strip():
                history.append({"role": "user", "content": render_question(question)})
            history.append({"role": "assistant", "content": render_problem(friendly_problem(error, self.chat_door))})
            return question, history, turns, *[gr.update()] * 5
        except Exception:
            log.exception("answering %r failed", question[:200])
            history.append({"role": "user", "content": render_question(question)})
            history.append({"role": "assistant", "content": render_problem(
                "Sorry, something went wrong while answering that. The details are in the server log.")})
            return question, history, turns, *[gr.update()] * 5
        history.append({"role": "user", "content": render_question(question)})
        history.append({"role": "assistant", "content": render_reply(answer)})
        shown = answer.model_dump(mode="json")
        turns = {**(turns or {}), len(history) - 1: shown}
        return "", history, turns, shown, _citation_radio(answer), VIEWER_HINT, None, None

    def pick_turn(self, turns: dict, evt: gr.SelectData):
        """Clicking an earlier reply puts its citations in the selector."""
        index = evt.index if isinstance(evt.index, int) else (evt.index or [None])[0]
        shown = (turns or {}).get(index)
        if shown is None:
            return gr.update(), gr.update()
        return shown, _citation_radio(Answer.model_validate(shown))

    def open_citation(self, number: int | None, shown: dict | None):
        if number is None or not shown:
            return VIEWER_HINT, None, gr.update()
        answer = Answer.model_validate(shown)
        cited = viewable_citations(answer)
        if not 0 <= number < len(cited):
            return VIEWER_HINT, None, gr.update()
        citation = cited[number]
        return *self.show(citation, citation.doc_id, answer), citation.doc_id

    def open_source(self, doc_id: str | None, shown: dict | None):
        answer = Answer.model_validate(shown) if shown else None
        return *self.show(citation_for_document(answer, doc_id or ""), doc_id, answer), None


def answer_api_of(engine: Any):
    """The /answer endpoint: the Answer record as JSON, or the refusal of a bad question as a gr.Error."""

    def answer_api(question: str) -> Answer:
        """Answer a question from the articles. Returns the `Answer` record as JSON: status ("answer",
        "passage" or "none"), answer, confidence, relevance, citations (doc_id, title, offsets,
        sentence), sources (each one's agreement marker), values (what the sources state), answered."""
        try:
            # gr.api does no postprocessing: the JSON form of the Answer is what the caller receives.
            return engine.answer(question).model_dump(mode="json")
        except InvalidQuestion as error:
            raise gr.Error(friendly_problem(error, "api")) from None

    # Gradio takes an endpoint's return type from the bare signature, where `from __future__ import
    # annotations` leaves the string "Answer": resolved, the API page and `view_api()` show the
    # Answer schema instead of Any.
    answer_api.__annotations__ = typing.get_type_hints(answer_api)
    return answer_api


def build_app(engine: Any, *, title: str = "Ask the articles") -> gr.Blocks:
    """The Blocks app over an engine with `.answer(question) -> Answer`, `.documents` and `.corpus_dir`."""
    example_questions = examples_for(engine)
    handlers = ChatTurns(engine, "chat" if example_questions else "chat without examples")
    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        gr.Markdown(
            f"# {literal(title)}\n\nAnswers are copied word for word from "
            f"{len(handlers.documents)} articles, with the sentence they come from and what every source says. "
            "When the articles don't answer, it says so."
        )
        turns, shown = gr.State({}), gr.State(None)
        with gr.Row():
            with gr.Column(scale=3):
                chat = _chat_column(example_questions)
            with gr.Column(scale=2):
                viewer = _viewer_column(handlers.documents)
        _wire(handlers, chat, viewer, turns, shown)
        gr.api(answer_api_of(engine), api_name="answer")
    return demo


def _chat_column(example_questions: list[str]) -> dict:
    chatbot = gr.Chatbot(
        label="Chat",
        show_label=False,  # a label sits over the first line of the top message
        elem_id="qa-chat",
        height=560,
        autoscroll=False,  # it scrolls to the end of a long reply; SHOW_LATEST_REPLY shows its top
        sanitize_html=True,
        render_markdown=False,  # messages are our HTML; see qa/render.py's docstring
        latex_delimiters=[],
        allow_tags=False,
        buttons=[],
        feedback_options=None,
        group_consecutive_messages=False,
    )
    question = gr.Textbox(
        label="Your question",
        elem_id="qa-question",
        placeholder=PLACEHOLDER if example_questions else PLACEHOLDER_OWN_CORPUS,
        autofocus=True,
        submit_btn="Ask",
        max_lines=4,
    )
    examples = (gr.Examples(examples=[[q] for q in example_questions], inputs=[question], label="Examples")
                if example_questions else None)
    return {"chatbot": chatbot, "question": question, "examples": examples}


def _viewer_column(documents: dict[str, Document]) -> dict:
    citation_picker = gr.Radio(
        label=PICKER_LABEL,
        elem_id="qa-citations",
        type="index",
        choices=[],
        info="Click one to open it in its article. Click an earlier reply to list its citations.",
    )
    source_picker = gr.Dropdown(
        label="Or read a source",
        elem_id="qa-sources",
        choices=source_choices(documents),
        value=None,
    )
    heading = gr.Markdown(VIEWER_HINT, elem_id="qa-viewer-heading")
    gr.HTML(VIEWER_LEGEND, elem_id="qa-legend")
    article = gr.HighlightedText(
        label="Article",
        show_label=False,  # the heading above names the article
        elem_id="qa-article",
        color_map=HIGHLIGHT_COLORS,
        show_legend=False,  # Gradio's legend overlays the text; VIEWER_LEGEND sits above it
        show_inline_category=False,
        combine_adjacent=False,
        interactive=False,
    )
    return {"citation_picker": citation_picker, "source_picker": source_picker, "heading": heading,
            "article": article}


def _wire(handlers: ChatTurns, chat: dict, viewer: dict, turns, shown) -> None:
    question, chatbot = chat["question"], chat["chatbot"]
    citation_picker, source_picker = viewer["citation_picker"], viewer["source_picker"]
    heading, article = viewer["heading"], viewer["article"]
    chat_outputs = [question, chatbot, turns, shown, citation_picker, heading, article, source_picker]
    # One compact busy indicator, a small timer in the chat's corner ("minimal", on the chat only: no
    # overlay on the other panels). The question stays in its box until the reply replaces it.
    asking = dict(fn=handlers.ask, inputs=[question, chatbot, turns], outputs=chat_outputs,
                  api_visibility="private", show_progress="minimal", show_progress_on=[chatbot])
    question.submit(**asking).then(None, [chatbot], None, js=SHOW_LATEST_REPLY)
    if chat["examples"] is not None:
        chat["examples"].load_input_event.then(**asking).then(None, [chatbot], None, js=SHOW_LATEST_REPLY)
    chatbot.select(handlers.pick_turn, [turns], [shown, citation_picker], api_visibility="private",
                   show_progress="hidden")
    chatbot.clear(lambda: ({}, None, gr.update(choices=[], value=None, label=PICKER_LABEL), VIEWER_HINT, None,
                           None), None,
                  [turns, shown, citation_picker, heading, article, source_picker], api_visibility="private")
    viewing = dict(api_visibility="private", show_progress="hidden")  # a local lookup: no spinner to flash
    citation_picker.input(handlers.open_citation, [citation_picker, shown], [heading, article, source_picker],
                          **viewing).then(None, js=SCROLL_TO_HIGHLIGHT)
    source_picker.input(handlers.open_source, [source_picker, shown], [heading, article, citation_picker],
                        **viewing).then(None, js=SCROLL_TO_HIGHLIGHT)


def _citation_radio(answer: Answer):
    labels = [citation_label(n, c) for n, c in enumerate(viewable_citations(answer), 1)]
    return gr.update(choices=[(label, i) for i, label in enumerate(labels)], value=None, label=picker_label(answer))
