"""Per-source agreement: every source agrees, conflicts (states another value for the same thing) or
is silent, with its own sentence cited at exact offsets.

Two layers of examples:
- `judge(...)` asks the engine with a reader stage that is sure of one chosen span (and of nothing
  else), so each example pins exactly which claim is being checked against which articles;
- `answer(...)` runs the whole engine, as a user would: every source reads the question for itself.
Conflicting reports are written into temporary copies of the seed corpus; the seeds are never edited.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.agree import Reading, ValueGroup, mentions_any, names_asked, stated_values
from qa.answer_scorer import repeats_question
from qa.engine import Engine
from qa.models import Citation, Passage, SourceAgreement
from qa.retrieve import Hit
from qa.select import Span
from qa.spans import SpanGuess
from qa.values import parse_value

from helpers import BANK_STORY, FERRY_STORY_WITH_CUTS

DOC_000, DOC_001, DOC_003, DOC_004 = (
    "000_4c55fd7b660ac3d2",
    "001_ba940ec7e439679a",
    "003_512a320aae66a7a6",
    "004_7480487250863ef3",
)
SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"


def corpus_of(tmp_path: Path, articles: dict[str, str]) -> Path:
    """A folder holding `articles` ({file name: text})."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def answer_over(tmp_path: Path, articles: dict[str, str], question: str, reader=None):
    """`question` asked of a fresh engine over a folder holding `articles`, read by `reader` if given."""
    return Engine(corpus_dir=corpus_of(tmp_path, articles), index_dir=tmp_path / "index", reader=reader).answer(question)


class SureOf:
    """A reader stage passed to the engine for the test: sure of `answer` wherever a sentence states it
    word for word, and of nothing else, so the claim checked against the sources is exactly that span."""

    def __init__(self, answer: str):
        self.answer = answer

    def read(self, question: str, sentences: list[str]) -> list[SpanGuess]:
        return [self._guess(sentence) for sentence in sentences]

    def _guess(self, sentence: str) -> SpanGuess:
        at = sentence.find(self.answer)
        if at < 0:
            return SpanGuess(0, min(5, len(sentence)), score=-9.0, no_answer=0.0)
        return SpanGuess(at, at + len(self.answer), score=20.0, no_answer=0.0)


def judge(engine: Engine, question: str, doc_id: str, answer_text: str) -> dict[str, tuple[str, str | None]]:
    """{doc_id: (marker, value)} when the answer is `answer_text`, as stated by `doc_id`."""
    asked = Engine(engine.corpus_dir, engine.index_dir, reader=SureOf(answer_text)).answer(question)
    assert asked.answered and asked.answer == answer_text
    assert {s.doc_id: s.marker for s in asked.sources}[doc_id] == "agrees"
    for s in asked.sources:  # offsets are sacred, for every marked source
        if s.citation:
            text = engine.documents[s.doc_id].text
            assert text[s.citation.start : s.citation.end] == s.citation.text
            assert text[s.citation.answer_start : s.citation.answer_end] == s.value
    return {s.doc_id: (s.marker, s.value) for s in asked.sources}


@pytest.fixture(scope="module")
def conflict_engine(tmp_path_factory):
    """The seeds plus three reports that state other values for facts the seeds agree on."""
    folder = tmp_path_factory.mktemp("conflicts") / "corpus"
    shutil.copytree(SEEDS_DIR, folder)
    (folder / "900_other_share.txt").write_text(
        "Kyiv says a third of rare earth deposits are occupied\n\n"
        "Ukraine's president said on Friday that about a third of the country's rare earth deposits "
        "remain under Russian occupation. He repeated his offer of a minerals partnership with Washington.\n",
        encoding="utf-8",
    )
    (folder / "901_other_distance.txt").write_text(
        "Ukrainian push in Kursk\n\n"
        "Ukrainian troops launched a new offensive in Russia's Kursk region on Thursday, advancing "
        "8 km (5 miles), according to President Zelensky.\n",
        encoding="utf-8",
    )
    (folder / "902_other_value.txt").write_text(
        "Ukraine's mineral wealth\n\n"
        "According to Forbes data released in 2023, the total value of Ukraine's mineral resources is "
        "estimated to be $7 trillion. Most of these resources lie in the east of the country.\n",
        encoding="utf-8",
    )
    (folder / "903_other_commitment.txt").write_text(
        "Zelensky's priority\n\n"
        "The Ukrainian leader said his priority would be securing firm commitments on troop deployments.\n",
        encoding="utf-8",
    )
    return Engine(corpus_dir=folder, index_dir=tmp_path_factory.mktemp("conflicts-index"))


# --- agreement over the seeds ---------------------------------------------------------------------------


def test_the_kursk_advance_agrees_in_every_unit_and_wording(seed_engine):
    marks = judge(seed_engine, "How far did Ukrainian troops advance into Kursk?", DOC_000, "2.5 km (1.5 miles)")
    assert marks[DOC_000] == ("agrees", "2.5 km (1.5 miles)")
    assert marks[DOC_001][0] == "agrees" and "2.5 km" in marks[DOC_001][1]
    assert marks[DOC_003] == ("agrees", "about one and a half miles")
    assert marks[DOC_004] == ("silent", None)


def test_hedged_shares_that_overlap_agree(seed_engine):
    # "nearly 20%" (000) and "less than 20%" (001) are both "somewhat under a fifth".
    marks = judge(
        seed_engine, "What share of Ukraine's mineral resources is under Russian occupation?", DOC_000, "nearly 20%"
    )
    assert marks[DOC_001] == ("agrees", "less than 20%")


def test_an_untyped_lowercase_answer_agrees_where_another_source_states_it(seed_engine):
    # "uranium" is no number, date or proper name: it is looked for as words in the related sentence.
    marks = judge(
        seed_engine, "Apart from titanium, which nuclear-fuel element is found in notable quantities in Ukraine?",
        DOC_000, "uranium",
    )
    assert marks[DOC_001] == ("agrees", "uranium")


def test_a_name_agrees_where_another_source_spells_it_differently(seed_engine):
    marks = judge(
        seed_engine, "Who revealed a once-classified map of Ukraine's minerals to Reuters?", DOC_000, "Zelenskiy"
    )
    assert marks[DOC_001] == ("agrees", "Zelensky")  # 000 spells it Zelenskiy, 001 Zelensky
    assert marks[DOC_003] == ("agrees", "Zelensky")


def test_a_source_that_only_mentions_the_topic_is_silent_not_conflicting(seed_engine):
    # 004 talks about the deposits Russia controls but gives no share: silence, not conflict.
    marks = judge(
        seed_engine, "What share of Ukraine's rare earth deposits is under Russian occupation?", DOC_001, "about half"
    )
    assert marks[DOC_004][0] == "silent"
    assert all(marker != "conflicts" for marker, _ in marks.values())


def test_sources_are_listed_agreeing_then_conflicting_then_silent(conflict_engine):
    sources = conflict_engine.answer("How far did Ukrainian troops advance into Kursk?").sources
    order = {"agrees": 0, "conflicts": 1, "silent": 2}
    assert [order[s.marker] for s in sources] == sorted(order[s.marker] for s in sources)
    assert len(sources) == len(conflict_engine.documents)


# --- conflicts, from reports written for the test ------------------------------------------------------------


def test_a_report_of_a_different_distance_conflicts_with_its_own_value(conflict_engine):
    marks = judge(conflict_engine, "How far did Ukrainian troops advance into Kursk?", DOC_000, "2.5 km (1.5 miles)")
    assert marks["901_other_distance"] == ("conflicts", "8 km (5 miles)")
    assert marks[DOC_003] == ("agrees", "about one and a half miles")
    assert marks[DOC_001][0] == "agrees"


def test_a_report_of_a_different_occupied_share_conflicts(conflict_engine):
    marks = judge(
        conflict_engine, "What share of Ukraine's rare earth deposits is under Russian occupation?", DOC_001, "about half"
    )
    assert marks["900_other_share"] == ("conflicts", "about a third")
    assert marks[DOC_000] == ("agrees", "about half")


def test_a_report_of_a_different_valuation_conflicts(conflict_engine):
    marks = judge(
        conflict_engine, "What is the total value of Ukraine's mineral resources according to Forbes?", DOC_004,
        "$14.8 trillion",
    )
    assert marks["902_other_value"] == ("conflicts", "$7 trillion")
    assert all(marks[d][0] != "conflicts" for d in (DOC_000, DOC_001, DOC_003))


def test_a_name_merely_mentioned_near_the_topic_never_conflicts(conflict_engine):
    marks = judge(conflict_engine, "Who is Trump's special envoy for Russia and Ukraine?", DOC_001, "Keith Kellogg")
    assert marks[DOC_001][0] == "agrees"
    assert all(marker != "conflicts" for marker, _ in marks.values())


def test_a_sentence_sharing_most_of_a_phrase_answer_but_not_its_point_does_not_agree(conflict_engine):
    marks = judge(
        conflict_engine, "What would the Ukrainian leader's priority be?", DOC_001,
        "securing firm commitments on security guarantees",
    )
    assert marks["903_other_commitment"] == ("silent", None)  # "... on troop deployments": not the same thing


# --- end to end ------------------------------------------------------------------------------------------------


def test_an_answer_carries_one_marker_per_source_with_the_answer_source_agreeing(seed_engine):
    a = seed_engine.answer("How far did Ukrainian forces advance into Russia's Kursk region?")
    assert a.answered
    assert sorted(s.doc_id for s in a.sources) == sorted(seed_engine.documents)
    by_doc = {s.doc_id: s for s in a.sources}
    assert by_doc[a.citations[0].doc_id].marker == "agrees"
    assert by_doc[DOC_004].marker == "silent"
    assert all(s.marker == "agrees" for s in a.sources if s.doc_id != DOC_004)


def test_the_conflicting_report_is_marked_when_asked_end_to_end(conflict_engine):
    a = conflict_engine.answer("How far did Ukrainian forces advance into Russia's Kursk region?")
    assert a.answered
    by_doc = {s.doc_id: s for s in a.sources}
    seed_value = "8 km" not in a.answer
    # Whichever report the answer comes from, the other side of the disagreement is a conflict.
    if seed_value:
        assert by_doc["901_other_distance"].marker == "conflicts"
        assert by_doc["901_other_distance"].value == "8 km (5 miles)"
    else:
        assert {by_doc[d].marker for d in (DOC_000, DOC_001, DOC_003)} == {"conflicts"}


# --- every source reads the question for itself -------------------------------------------------------------

TRAM_LINE = {
    "harbour_a.txt": "2025-03-03 Harbour Line opens to passengers\n\nThe new Harbour Line tram opened on Monday. "
                     "The line is 14.5 km long and has 14 stations between the ferry terminal and the stadium. "
                     "Building it cost EUR 412 million, the city said.\n",
    "harbour_b.txt": "2025-03-03 Trams return to the docks\n\nPassengers boarded the first Harbour Line trams on Monday. "
                     "The Harbour Line has 14 stations and runs every ten minutes. "
                     "The city put the cost of the project at EUR 412 million.\n",
    "harbour_c.txt": "2025-03-04 A tram line, at last\n\nAfter years of delays the Harbour Line is running. "
                     "The Harbour Line has 16 stations, according to the operator. "
                     "Critics say the project cost EUR 450 million, far above its budget.\n",
}


@pytest.fixture(scope="module")
def tram_engine(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tram") / "corpus"
    folder.mkdir()
    for name, text in TRAM_LINE.items():
        (folder / name).write_text(text, encoding="utf-8")
    return Engine(corpus_dir=folder, index_dir=tmp_path_factory.mktemp("tram-index"))


def test_where_sources_split_two_to_one_the_majority_value_is_shown_and_the_split_stated(tram_engine):
    a = tram_engine.answer("How many stations does the Harbour Line have?")
    assert a.status != "none"
    by_doc = {s.doc_id: s for s in a.sources}
    counts = [v.value.split()[0] for v in a.values]  # the count each side states ("16" or "16 stations")
    assert counts[:2] == ["14", "16"]
    assert sorted(a.values[0].doc_ids) == ["harbour_a", "harbour_b"] and a.values[1].doc_ids == ["harbour_c"]
    assert (by_doc["harbour_c"].marker, by_doc["harbour_c"].value.split()[0]) == ("conflicts", "16")
    assert {by_doc["harbour_a"].marker, by_doc["harbour_b"].marker} == {"agrees"}
    if a.status == "answer":
        assert a.answer == "14" and a.confidence < 1.0  # the split costs confidence


def test_a_count_is_never_compared_with_a_length_or_a_cost(tram_engine):
    a = tram_engine.answer("How many stations does the Harbour Line have?")
    values = " ".join(v.value for v in a.values)
    assert "km" not in values and "EUR" not in values


def test_every_source_citation_points_at_its_own_sentence_and_value(tram_engine):
    for question in ("How many stations does the Harbour Line have?", "How long is the Harbour Line?"):
        for s in tram_engine.answer(question).sources:
            if s.citation:
                text = tram_engine.documents[s.doc_id].text
                assert text[s.citation.start:s.citation.end] == s.citation.text
                assert text[s.citation.answer_start:s.citation.answer_end] == s.value


class SureOnce(SureOf):
    """Sure of the answer in the first sentence read that states it, and of nothing after that."""

    def _guess(self, sentence: str) -> SpanGuess:
        guess = super()._guess(sentence)
        if guess.margin > 0:
            self.answer = None  # every later sentence is read as not holding it
        return guess

    def read(self, question: str, sentences: list[str]) -> list[SpanGuess]:
        return [self._guess(s) if self.answer else SpanGuess(0, min(5, len(s)), score=-9.0, no_answer=0.0)
                for s in sentences]


def test_a_short_answer_the_sources_do_not_confirm_is_still_marked_agreeing_in_its_own_source(seed_engine):
    """The selector stood behind a span, and no other reading of any source counts: the answer's
    source still agrees, with the answer's own sentence and value, and nothing is invented elsewhere."""
    engine = Engine(seed_engine.corpus_dir, seed_engine.index_dir, reader=SureOnce("2.5 km (1.5 miles)"))
    answer = engine.answer("How far did Ukrainian troops advance into Kursk?")
    assert answer.answered and answer.answer == "2.5 km (1.5 miles)"
    own = {s.doc_id: s for s in answer.sources}[answer.citations[0].doc_id]
    assert (own.marker, own.value) == ("agrees", answer.answer)
    assert own.citation.answer_start == answer.citations[0].answer_start
    assert all(s.marker != "conflicts" for s in answer.sources)


BRIDGE = {
    "bridge_a.txt": "2024-05-06 New river bridge opens\n\nThe new Elm Street bridge over the Vessel river was opened "
                    "on Monday by Mayor Anna Berg. It carries two traffic lanes and a cycle path.\n",
    "bridge_b.txt": "2024-05-06 Bridge opens after two years of works\n\nMayor Anna Berg opened the Elm Street bridge "
                    "on Monday, two years after work began. The bridge cost 38 million crowns.\n",
    "bridge_c.txt": "2024-05-07 Elm Street bridge is open\n\nDeputy mayor Jonas Holm opened the Elm Street bridge on "
                    "Monday, standing in for the mayor, who was ill. Traffic started flowing an hour later.\n",
}


def test_a_source_that_names_another_person_for_the_same_act_conflicts(tmp_path):
    a = answer_over(tmp_path, BRIDGE, "Who opened the Elm Street bridge?")
    by_doc = {s.doc_id: (s.marker, s.value) for s in a.sources}
    assert by_doc == {"bridge_a": ("agrees", "Anna Berg"), "bridge_b": ("agrees", "Anna Berg"),
                      "bridge_c": ("conflicts", "Jonas Holm")}
    assert [(v.value, sorted(v.doc_ids)) for v in a.values] == [("Anna Berg", ["bridge_a", "bridge_b"]),
                                                               ("Jonas Holm", ["bridge_c"])]


FERRY = {
    "ferry_a.txt": "2024-03-04 Ferry merger faces review\n\nThe Nordland Competition Authority will examine the merger of "
                   "the two ferry operators, the companies said on Monday. The deal is worth 90 million crowns.\n",
    "ferry_b.txt": "2024-03-05 Ferry operators to merge\n\nThe merger of the two ferry operators must be cleared by the NCA "
                   "before it can go ahead, the companies said. Ticket prices will not change this year.\n",
    "ferry_c.txt": "2024-03-05 Watchdog opens ferry inquiry\n\nThe Nordland Competition Authority (NCA) has 60 days to "
                   "examine the merger of the ferry operators. Both firms run routes to the outer islands.\n",
}


@pytest.mark.parametrize("question", ["Which watchdog has to clear the ferry merger?",
                                      "Who will examine the merger of the ferry operators?"])
def test_a_body_named_in_full_and_by_its_initials_agrees_with_itself(tmp_path, question):
    a = answer_over(tmp_path, FERRY, question)
    assert {s.doc_id: s.marker for s in a.sources} == {"ferry_a": "agrees", "ferry_b": "agrees", "ferry_c": "agrees"}
    # each source's value is the body's name (with or without its article), its initials, or both
    named = {"Nordland Competition Authority", "NCA", "Nordland Competition Authority (NCA)"}
    assert {s.value.removeprefix("The ") for s in a.sources} <= named


def test_no_source_is_said_to_state_what_only_repeats_the_question(seed_engine):
    question = "Who did Zelensky give the interview to?"  # every source names Zelensky; that is no answer
    answer = seed_engine.answer(question)
    assert [s.value for s in answer.sources if s.value and repeats_question(question, s.value)] == []


# --- a folder of several stories ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_story_engine(tmp_path_factory):
    folder = tmp_path_factory.mktemp("two-stories")
    (folder / "bank.txt").write_text(BANK_STORY, encoding="utf-8")
    (folder / "ferry.txt").write_text(FERRY_STORY_WITH_CUTS, encoding="utf-8")
    return Engine(corpus_dir=folder, index_dir=tmp_path_factory.mktemp("two-stories-index"))


def test_another_storys_figure_is_no_conflict_when_it_never_names_what_is_asked(two_story_engine):
    # The ferry operator "would cut 120 jobs": a count of jobs, but not the bank's.
    marks = {s.doc_id: (s.marker, s.value) for s in two_story_engine.answer("How many jobs will Nordhavn Bank cut?").sources}
    assert marks == {"bank": ("agrees", "350"), "ferry": ("silent", None)}


def test_without_a_name_to_tell_stories_apart_every_source_still_speaks(two_story_engine):
    marks = {s.doc_id: s.marker for s in two_story_engine.answer("Who is the chief executive?").sources}
    assert marks["bank"] == "agrees" and marks["ferry"] != "agrees"


@pytest.mark.parametrize("question, names", [
    ("How many jobs will Nordhavn Bank cut?", ["nordhavn", "bank"]),
    ("What did Zelensky's office say on Friday?", ["zelensky"]),  # a weekday is a value, not a name
    ("Who won in March?", []),
    ("When did the line open?", []),
])
def test_the_names_a_question_names_are_its_capitalised_words_after_the_first(question, names):
    assert names_asked(question) == names


def test_a_name_is_mentioned_in_any_of_its_spellings():
    assert mentions_any("In an interview, Zelenskiy said ...", ["zelensky"])
    assert mentions_any("ZELENSKYY met Trump.", ["zelensky"])
    assert not mentions_any("The operator cut 120 jobs.", ["nordhavn", "bank"])



AIRPORT = {
    "terminal_a.txt": "2026-03-14 Halden airport opens new terminal\n\nThe new terminal at Halden airport will handle "
                      "4 million passengers a year, the operator said on Saturday.\n",
    "rail_b.txt": "2026-03-15 Airport rail link marks first year\n\nThe rail link to Halden airport now carries about "
                  "6,000 passengers a day. It opened a year ago.\n",
    "terminal_c.txt": "2026-03-14 Halden terminal opens\n\nHalden airport's new terminal, opened on Saturday, will "
                      "handle 3 million passengers a year.\n",
}


def test_a_rate_per_another_period_is_no_conflict_but_one_per_the_same_period_is(tmp_path):
    a = answer_over(tmp_path, AIRPORT, "How many passengers will the new terminal at Halden airport handle?",
                    reader=SureOf("4 million"))
    by_doc = {s.doc_id: (s.marker, s.value) for s in a.sources}
    assert by_doc["terminal_a"] == ("agrees", "4 million")
    assert by_doc["terminal_c"][0] == "conflicts" and by_doc["terminal_c"][1].startswith("3 million")
    assert by_doc["rail_b"][0] != "conflicts"  # 6,000 a day is not a yearly count


def test_a_conflicting_source_is_listed_under_the_value_its_mark_cites():
    """A source's own reading ("18 gates") lost to the consensus, but its mark cites the conflicting
    value the claims check found ("3 million"): the values list says what the mark says."""
    def reading(doc_id, sentence, answer, confidence):
        passage = Passage(passage_id=f"{doc_id}@0", doc_id=doc_id, start=0, end=len(sentence), text=sentence)
        hit = Hit(passage=passage, row=0, bm25=1.0, bm25_norm=0.5, cosine=0.6, fused=0.1, bm25_rank=1, dense_rank=1)
        at = sentence.index(answer)
        return Reading(doc_id, Span(hit, at, at + len(answer), answer, margin=1.0, confidence=confidence),
                       parse_value(answer), confidence)

    def mark(doc_id, marker, sentence, value):
        at = sentence.index(value)
        citation = Citation(doc_id=doc_id, title=doc_id, start=0, end=len(sentence), text=sentence,
                            answer_start=at, answer_end=at + len(value))
        return SourceAgreement(doc_id=doc_id, title=doc_id, marker=marker, citation=citation, value=value)

    a_text, c_text = "It will handle 4 million passengers a year.", "It has 18 gates and will handle 3 million passengers a year."
    consensus = ValueGroup([reading("a", a_text, "4 million", 0.9)])
    gates = ValueGroup([reading("c", c_text, "18", 0.6)])
    marks = [mark("a", "agrees", a_text, "4 million"), mark("c", "conflicts", c_text, "3 million")]
    values = stated_values([consensus, gates], consensus, marks)
    assert [(v.value, v.doc_ids) for v in values] == [("4 million", ["a"]), ("3 million", ["c"])]
    marks[1] = mark("c", "conflicts", c_text, "18")  # the mark is its own reading: listed with the reader's confidence
    values = stated_values([consensus, gates], consensus, marks)
    assert [(v.value, v.doc_ids, v.confidence) for v in values][1] == ("18", ["c"], 0.6)



QUAKE = {  # three reports of one earthquake, as wire and local papers write them
    'quake_a.txt': (
        "Magnitude 6.4 earthquake strikes southern Peru\n"
        "\n"
        "A magnitude 6.4 earthquake struck southern Peru early on Tuesday, killing at least 12 "
        "people and damaging hundreds of homes, officials said.\n"
        "\n"
        "The quake hit about 40 km north of the city of Arequipa. It was 35 km deep, according to "
        "the U.S. Geological Survey.\n"
        "\n"
        "At least 340 homes were damaged in the provinces of Caylloma and Castilla.\n"
    ),
    'quake_b.txt': (
        "Peru quake kills 14, Arequipa region under emergency\n"
        "LIMA, March 3, 2026 (AFP) - A strong earthquake of magnitude 6.2 shook southern Peru "
        "before dawn on Tuesday, killing 14 people, Peru's civil defence institute said.\n"
        "\n"
        "The quake's epicentre was located 38 kilometres north of Arequipa, Peru's second-largest "
        "city, at a depth of 35 km.\n"
        "\n"
        "More than 300 houses were destroyed or damaged. Schools in Arequipa will stay closed until"
        " Friday while engineers inspect buildings.\n"
        "\n"
        "President Ana Villanueva, who flew to Arequipa on Tuesday afternoon, said the government "
        "would release 50 million soles for reconstruction.\n"
    ),
    'quake_c.txt': (
        "Southern Peru counts damage after deadly quake\n"
        "\n"
        "Rescue teams in southern Peru searched collapsed adobe homes on Wednesday after Tuesday's "
        "earthquake, which the USGS measured at magnitude 6.4.\n"
        "\n"
        "The death toll rose to 15 overnight, the health ministry said, and 120 people were "
        "injured. Most of the victims were in the village of Chivay, in Caylloma province.\n"
        "\n"
        "Arequipa's airport reopened on Wednesday morning after runway checks. The Colca Canyon, "
        "one of Peru's main tourist attractions, remains closed to visitors.\n"
    ),
}


def test_a_floor_agrees_with_a_higher_toll_but_not_with_another_count(tmp_path):
    """Each source read for itself: "at least 12" dead is not "more than 300" houses nor 120 injured
    (a floor is read up to twice its count)."""
    a = answer_over(tmp_path, QUAKE, "How many people died in the earthquake?")
    stated = {s.doc_id: s.value for s in a.sources if s.marker == "agrees"}
    assert stated.get("quake_a") == "at least 12"
    assert not {"More than 300", "120"} & set(stated.values())


CLOSURE = {
    "closure_a.txt": "2024-03-14 Norvale to close Ashby plant\n\nNorvale Foods will close its biscuit factory in Ashby "
                     "next year, the company said on Wednesday.\n",
    "closure_b.txt": "2024-03-14 Ashby biscuit factory to shut\n\nThe Ashby factory will shut in 2025, with the loss of "
                     "300 jobs, Norvale Foods said.\n",
    "closure_c.txt": "2024-03-15 Ashby reacts to closure\n\nThe Ashby factory, which Norvale Foods opened in 1962, will "
                     "close, the company confirmed.\n",
}


def test_a_time_before_the_report_never_conflicts_with_what_lies_ahead(tmp_path):
    a = answer_over(tmp_path, CLOSURE, "When will the Ashby factory close?")
    by_doc = {s.doc_id: s.marker for s in a.sources}
    assert by_doc == {"closure_a": "agrees", "closure_b": "agrees", "closure_c": "silent"}  # "next year" is 2025
    assert len(a.values) == 1  # no disagreement to report: the factory opened in 1962


RECALLS = {
    "recall_a.txt": "2025-05-14 Velora recalls air fryers\n\nKitchen appliance maker Velora is recalling 1.2 million air "
                    "fryers sold in Europe after reports that they can overheat.\n",
    "recall_b.txt": "2025-05-14 Velora in second recall\n\nVelora said it would recall air fryers because of a fire hazard. "
                    "In 2023 Velora recalled 400,000 kettles with a faulty switch.\n",
}


def test_a_count_of_another_thing_never_conflicts_though_the_answer_names_what_it_counts(tmp_path):
    a = answer_over(tmp_path, RECALLS, "What did Velora recall in 2023?", reader=SureOf("400,000 kettles"))
    by_doc = {s.doc_id: s.marker for s in a.sources}
    assert by_doc == {"recall_b": "agrees", "recall_a": "silent"}  # 1.2 million air fryers are no kettles
