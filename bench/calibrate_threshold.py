"""Calibrate the engine's two decisions on calibration questions, never on the regression set.

1. Relevance ("do the articles speak to the question at all?"): a logistic model over the question's
   cosine to its nearest sentence and BM25 coverage (`qa.relevance`), fitted
   on questions that are on topic and off topic for their corpus:
   - tests/calibration/questions.jsonl over seeds/, paraphrased_pharmacy.jsonl over SQuAD 2.0
     dev's 17th article ("Pharmacy", written from the SQuAD file at run time) and written.jsonl
     over the news articles in tests/calibration/written_articles/: on topic;
   - tests/calibration/off_topic.jsonl, asked of both corpora: off topic;
   - SQuAD 2.0 dev articles 1-29 (every other one, one corpus each): a sample of each article's own
     questions (on topic) and of the other articles' (off topic).
   Its cut is the highest that keeps "none" for at most MAX_ANSWERABLE_NONE of the answerable
   questions, and for none of the news calibration sets' answerable questions (seeds, paraphrased,
   written: the product's own kind of question), because "the articles don't cover this" is the one
   thing the engine must not say wrongly.
2. The answer scorer (`qa.answer_scorer`): a logistic model over each candidate span's features
   (the reader's margin, whether it is of the kind asked for, ...), fitted on every question of
   SQuAD 2.0 dev articles 26-29 (one corpus each), which the reader never trained on: a candidate is
   labelled right where it matches a gold answer.
3. The span threshold ("can the engine stand behind a short answer?"): the lowest confidence above
   which the short answers on the calibration sets, pooled, are right at least TARGET_PRECISION
   of the time at every higher cut that answers at least MIN_ANSWERED of them (a wrong short answer
   costs more than showing the passage).

All three go into the reader's card (`qa/reader_model.json`) with the data they were chosen on. The tool
prints, for each calibration set, the three outcomes' figures and the risk-coverage table (accuracy
of what is answered at each coverage).

Run: .venv/bin/python bench/calibrate_threshold.py [--write | --source-cut]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import auroc  # noqa: E402
from squad_data import CONFIDENCE_FITTING, DEFAULT_SQUAD, load_articles, write_corpus  # noqa: E402

from qa.agree import Agreement, source_reading_cut  # noqa: E402
from qa.engine import Engine  # noqa: E402
from qa.evaluation import Report, evaluate, load_questions, normalize_answer, span_matches  # noqa: E402
from qa.reader import CARD_PATH  # noqa: E402
from qa.answer_scorer import FEATURES as SCORER_FEATURES  # noqa: E402
from qa.answer_scorer import AnswerScorer, answer_scorer  # noqa: E402
from qa.logistic import fit_logistic  # noqa: E402
from qa.relevance import FEATURES, RelevanceModel, relevance_features, relevance_model  # noqa: E402
from qa.retrieve import retrieve  # noqa: E402
from qa.select import abstention_threshold, calibrated_guess_cut, outcome, read_candidates  # noqa: E402

CALIBRATION = ROOT / "tests" / "calibration"
PARAPHRASED_ARTICLE = 16  # SQuAD 2.0 dev's 17th article in file order, "Pharmacy": validation, never trained on
FITTING_ARTICLES = range(0, 29, 2)  # of the 29 DESIGN.md allows fitting on; one corpus each
SQUAD_PER_ARTICLE = 30  # own questions and other articles' questions asked of each SQuAD corpus
CALIBRATION_FILES = {"seeds": "questions.jsonl", "paraphrased": "paraphrased_pharmacy.jsonl", "written": "written.jsonl"}
IN_DOMAIN_SETS = ("seeds", "paraphrased", "written")  # the sets the span threshold is chosen on
MAX_ANSWERABLE_NONE = 0.01
TARGET_PRECISION = 0.90
TARGET_GUESS_PRECISION = 0.5  # a passage's guess is shown where at least half of such guesses are right
KIND_MISSES = SCORER_FEATURES.index("kind_misses")
MIN_ANSWERED = 20  # the precision of fewer answers than this is not read as a verdict


@dataclass(frozen=True)
class Seen:
    """What the engine saw for one question, whatever the models and thresholds."""

    features: tuple[float, ...]  # relevance's
    candidates: tuple[tuple[tuple[float, ...], bool, bool], ...]  # (scorer features, right, its sentence holds a gold)
    answerable: bool
    on_topic: bool
    first_hit_holds_answer: bool  # when there is no candidate, the first hit is the passage offered


@dataclass(frozen=True)
class Judged:
    """One question as a given answer scorer decides it."""

    features: tuple[float, ...]  # relevance's
    confidence: float
    right: bool  # the winning span is a right answer
    answerable: bool
    on_topic: bool
    first_holds_answer: bool  # the sentence offered first contains a gold answer
    misses_kind: bool = False  # the winning span is not of the kind the question asks for: never a guess


def observe(engine: Engine, questions: list[dict], on_topic: bool) -> list[Seen]:
    seen = []
    for item in questions:
        question, golds = item["question"], item.get("answers") or []
        holds = lambda text: any(normalize_answer(g) in normalize_answer(text) for g in golds)  # noqa: E731
        hits = retrieve(engine.index, question, engine.embedder.encode_query(question))
        candidates = tuple(
            (tuple(features.tolist()), bool(golds) and span_matches(span.text, golds), holds(span.hit.passage.text))
            for span, features in read_candidates(question, hits, engine.reader)
        )
        seen.append(Seen(
            features=tuple(relevance_features(hits).tolist()),
            candidates=candidates,
            answerable=bool(item["answerable"]),
            on_topic=on_topic,
            first_hit_holds_answer=bool(hits) and holds(hits[0].passage.text),
        ))
    return seen


def judge(seen: list[Seen], scorer: AnswerScorer) -> list[Judged]:
    """Each question's winning candidate under `scorer`, as the engine would pick it."""
    judged = []
    for s in seen:
        scored = [(scorer.score(f), f[0], right, holds, bool(f[KIND_MISSES])) for f, right, holds in s.candidates]
        # ties go to the larger margin, as in qa.select; never to the right answer
        confidence, _, right, holds, misses = max(scored, key=lambda c: c[:2],
                                                  default=(0.0, 0.0, False, s.first_hit_holds_answer, False))
        judged.append(Judged(s.features, confidence, right, s.answerable, s.on_topic, holds, misses))
    return judged


def fit_scorer(seen: list[Seen]) -> AnswerScorer:
    rows = [(f, right) for s in seen for f, right, _ in s.candidates]
    weights, bias = fit_logistic(np.array([f for f, _ in rows]), np.array([r for _, r in rows]))
    return AnswerScorer(tuple(round(float(w), 4) for w in weights), round(bias, 4))


def calibration_corpora(tmp: Path) -> dict[str, Path]:
    corpora = {"seeds": ROOT / "seeds", "written": CALIBRATION / "written_articles"}
    if DEFAULT_SQUAD.exists():
        article = load_articles(DEFAULT_SQUAD)[PARAPHRASED_ARTICLE]
        if article["title"] != "Pharmacy":
            sys.exit(f"{DEFAULT_SQUAD}: article {PARAPHRASED_ARTICLE + 1} is {article['title']!r}, not 'Pharmacy'")
        write_corpus([article], tmp / "pharmacy", first_index=PARAPHRASED_ARTICLE)
        corpora["paraphrased"] = tmp / "pharmacy"
    else:
        print(f"SQuAD 2.0 dev not found at {DEFAULT_SQUAD}: the paraphrased set and SQuAD are left out")
    return corpora


def observe_calibration_sets(tmp: Path) -> dict[str, list[Seen]]:
    files = CALIBRATION_FILES
    off_topic = load_questions(CALIBRATION / "off_topic.jsonl")
    observed = {}
    for name, corpus in calibration_corpora(tmp).items():
        engine = Engine(corpus_dir=corpus, index_dir=tmp / f"index-{name}")
        observed[name] = observe(engine, load_questions(CALIBRATION / files[name]), on_topic=True)
        observed[f"off topic vs {name}"] = observe(engine, off_topic, on_topic=False)
    return observed


def observe_squad(tmp: Path) -> list[Seen]:
    """Each fitting article as a corpus: its own questions on topic, other articles' off topic."""
    if not DEFAULT_SQUAD.exists():
        return []
    articles = load_articles(DEFAULT_SQUAD)
    questions = {a: write_corpus([articles[a]], tmp / "squad" / f"a{a}", first_index=a) for a in FITTING_ARTICLES}
    rng = random.Random(29)
    seen = []
    for a in FITTING_ARTICLES:
        engine = Engine(corpus_dir=tmp / "squad" / f"a{a}", index_dir=tmp / "squad" / f"index-a{a}")
        own = rng.sample(questions[a], SQUAD_PER_ARTICLE)
        others = rng.sample([q for b, qs in questions.items() if b != a for q in qs], SQUAD_PER_ARTICLE)
        as_items = lambda qs, mine: [{"question": q.question, "answers": list(q.answers) if mine else [],
                                      "answerable": mine and bool(q.answers)} for q in qs]
        seen += observe(engine, as_items(own, True), on_topic=True)
        seen += observe(engine, as_items(others, False), on_topic=False)
    return seen


def observe_scorer_fitting(tmp: Path) -> list[Seen]:
    """Every question of the scorer's SQuAD articles, each article its own corpus."""
    if not DEFAULT_SQUAD.exists():
        return []
    articles = load_articles(DEFAULT_SQUAD)
    seen = []
    for number in CONFIDENCE_FITTING:
        folder = tmp / "scorer" / f"a{number}"
        questions = write_corpus([articles[number - 1]], folder, first_index=number - 1)
        engine = Engine(corpus_dir=folder, index_dir=tmp / "scorer" / f"index-a{number}")
        items = [{"question": q.question, "answers": list(q.answers), "answerable": bool(q.answers)} for q in questions]
        seen += observe(engine, items, on_topic=True)
    return seen


def fit_relevance(seen: list[Seen], never_none: list[Seen] = ()) -> RelevanceModel:
    """`never_none`: answerable questions none of which may fall below the cut (the news sets'); the
    pooled share alone let the cut rise past one of them as the pool grew (one more allowed miss)."""
    features = np.array([s.features for s in seen])
    weights, bias = fit_logistic(features, np.array([s.on_topic for s in seen]))
    model = RelevanceModel(tuple(round(float(w), 4) for w in weights), round(bias, 4), threshold=0.0)
    answerable = sorted(model.score_features(s.features) for s in seen if s.answerable)
    # the highest cut that leaves at most MAX_ANSWERABLE_NONE of them below it, midway to the next score
    allowed = int(MAX_ANSWERABLE_NONE * len(answerable))
    cut = (answerable[allowed - 1] + answerable[allowed]) / 2 if allowed else answerable[0] / 2
    kept = [model.score_features(s.features) for s in never_none if s.answerable]
    if kept and min(kept) < cut:  # midway between the lowest of them and the next score below it
        below = [x for x in (model.score_features(s.features) for s in seen) if x < min(kept)]
        cut = (min(kept) + max(below, default=0.0)) / 2
    return RelevanceModel(model.weights, model.bias, round(cut, 4))


SOURCE_CUTS = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)


def choose_source_cut() -> tuple[float, float]:
    """The confidence from which one source's own reading counts: the cut whose markers best match,
    pooled, (1) on the seed calibration set, which sources hold a gold answer at all (a source that
    holds none is silent; one that does agrees), and (2) on the conflict calibration stories
    (`conflict_stories/`: five reports of one invented story each, some stating other values), the
    marker written for every report. A cut that marks fewer of the stories' agreeing or silent
    reports "conflicts" comes first (issue 19 asks for none: a false conflict is the one marker a
    reader acts on wrongly), then the best pooled accuracy."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(corpus_dir=ROOT / "seeds", index_dir=Path(tmp) / "index")
        questions = load_questions(CALIBRATION / "questions.jsonl")
        texts = {d: normalize_answer(doc.text) for d, doc in engine.documents.items()}
        stories = [(Engine(corpus_dir=story / "articles", index_dir=Path(tmp) / f"index-{story.name}"),
                    load_questions(story / "questions.jsonl")) for story in conflict_stories()]
        scores = []
        for cut in SOURCE_CUTS:
            engine.agreement = Agreement(engine.corpus, engine.reader, source_confidence=cut)
            right = total = 0
            for item in questions:
                holds = {d for d, text in texts.items()
                         if item["answerable"] and any(normalize_answer(g) in text for g in item["answers"])}
                for source in engine.answer(item["question"]).sources:
                    right += source.marker == ("agrees" if source.doc_id in holds else "silent")
                    total += 1
            for story_engine, _ in stories:
                story_engine.agreement = Agreement(story_engine.corpus, story_engine.reader, source_confidence=cut)
            told = Report([o for story_engine, items in stories for o in evaluate(story_engine, items).outcomes])
            story = told.metrics()
            pairs = sum(told.confusion().values())
            pooled = (right + story["marker_accuracy"] * pairs) / (total + pairs)
            scores.append((-story["false_conflicts"], pooled, -cut))
            print(f"  source cut {cut}: marker accuracy {pooled:.3f} (seed calibration {right / total:.3f}; "
                  f"conflict stories {story['marker_accuracy']:.3f}, conflict recall {story['conflict_recall']:.3f}, "
                  f"false conflicts {story['false_conflicts']:.0f})")
    _, accuracy, cut = max(scores)
    return -cut, accuracy


def conflict_stories() -> list[Path]:
    return sorted(p for p in (CALIBRATION / "conflict_stories").iterdir() if (p / "questions.jsonl").is_file())


def precise_threshold(seen: list[Judged], target: float = TARGET_PRECISION, least: int = MIN_ANSWERED) -> float:
    """The lowest cut whose answered questions, and those of every higher cut answering at least
    `least` of them, are right >= target (a precision read off a handful of answers is noise: one
    wrong among the five most confident reads as 0.8)."""
    ranked = sorted((s for s in seen if s.on_topic), key=lambda s: -s.confidence)
    cut, right = 1.0, 0
    for n, s in enumerate(ranked, 1):
        right += s.right
        if right / n < target and n >= least:
            break
        if right / n >= target and (n == len(ranked) or ranked[n].confidence < s.confidence):
            cut = s.confidence
    return cut


def guess_cut(seen: list[Judged], threshold: float) -> float:
    """The lowest confidence from which a "passage" outcome's best span is marked as a possible answer:
    among the spans below the span threshold (the guesses), those at or above it, and at every higher
    cut, are right at least half the time; below it a marked guess would mislead more often than help."""
    return precise_threshold([s for s in seen if s.confidence < threshold and not s.misses_kind],
                             target=TARGET_GUESS_PRECISION)


def guesses_shown(seen: list[Judged], threshold: float, cut: float) -> str:
    below = [s for s in seen if s.on_topic and s.confidence < threshold]
    shown = [s for s in below if s.confidence >= cut and not s.misses_kind]
    hidden = [s for s in below if s.confidence < cut or s.misses_kind]
    share = lambda group: f"{sum(s.right for s in group) / len(group):.2f}" if group else "-"  # noqa: E731
    return f"{len(shown)} of {len(below)} guesses shown, right {share(shown)}; hidden right {share(hidden)}"


def three_outcomes(seen: list[Judged], relevance: RelevanceModel, threshold: float) -> dict:
    status = [outcome(relevance.score_features(s.features), relevance.threshold, s.confidence, threshold) for s in seen]
    answerable = [(s, st) for s, st in zip(seen, status) if s.answerable]
    unanswerable = [(s, st) for s, st in zip(seen, status) if not s.answerable]
    answered = [s for s, st in zip(seen, status) if st == "answer"]
    share = lambda flags: round(sum(flags) / len(flags), 3) if flags else None
    return {
        "questions": len(seen),
        "answer/passage/none": "/".join(str(status.count(k)) for k in ("answer", "passage", "none")),
        "right_before_threshold": f"{sum(s.right for s, _ in answerable)}/{len(answerable)}",
        "answerable_none": share([st == "none" for _, st in answerable]),
        "unanswerable_answered": share([st == "answer" for _, st in unanswerable]),
        "off_topic_none": share([st == "none" for s, st in unanswerable if not s.on_topic]),
        "first_citation_holds_answer": share([s.first_holds_answer for s, st in answerable if st != "none"]),
        "answer_precision": share([s.right for s in answered]),
        "short_answer_accuracy": share([s.right and st == "answer" for s, st in answerable]),
        "confidence_auroc": round(auroc([s.confidence for s in seen if s.on_topic],
                                        [s.answerable for s in seen if s.on_topic]), 3),
    }


def risk_coverage(seen: list[Judged], points=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)) -> str:
    """Accuracy of the answered questions when the most confident share of them is answered."""
    ranked = sorted((s for s in seen if s.on_topic), key=lambda s: -s.confidence)
    cells = []
    for p in points:
        top = ranked[: max(1, round(p * len(ranked)))]
        cells.append(f"{p:.0%} {sum(s.right for s in top) / len(top):.2f}")
    return "  ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true", help=f"store the models and thresholds in {CARD_PATH.name}")
    parser.add_argument("--source-cut", action="store_true",
                        help=f"only choose the agree stage's source cut and store it in {CARD_PATH.name}")
    args = parser.parse_args()
    if args.source_cut:
        write_source_cut()
        return
    with tempfile.TemporaryDirectory() as tmp:
        observed = observe_calibration_sets(Path(tmp))
        squad = observe_squad(Path(tmp))
        scorer_fitting = observe_scorer_fitting(Path(tmp))
    scorer = fit_scorer(scorer_fitting) if scorer_fitting else answer_scorer()
    judged = {name: judge(seen, scorer) for name, seen in observed.items()}
    fitting = [s for seen in judged.values() for s in seen] + judge(squad, scorer)
    in_domain = [s for name in IN_DOMAIN_SETS for s in judged.get(name, [])]
    relevance = fit_relevance(fitting, never_none=in_domain)
    threshold = precise_threshold(in_domain)
    guess_from = guess_cut(in_domain, threshold)
    relevance_auroc = auroc([relevance.score_features(s.features) for s in fitting], [s.on_topic for s in fitting])
    print(f"relevance: weights {dict(zip(FEATURES, relevance.weights))}, bias {relevance.bias}, cut {relevance.threshold}"
          f" (fitted on {len(fitting)} questions: {sum(s.on_topic for s in fitting)} on topic; AUROC {relevance_auroc:.3f})")
    print(f"answer scorer: weights {dict(zip(SCORER_FEATURES, scorer.weights))}, bias {scorer.bias} (fitted on "
          f"{sum(len(s.candidates) for s in scorer_fitting)} candidates of {len(scorer_fitting)} questions)")
    print(f"span threshold {threshold:.4f} (short answers right >= {TARGET_PRECISION} on {' + '.join(IN_DOMAIN_SETS)})")
    print(f"guess cut {guess_from:.4f} (passage guesses right >= {TARGET_GUESS_PRECISION} on {' + '.join(IN_DOMAIN_SETS)})")
    report = {name: three_outcomes(seen, relevance, threshold) for name, seen in judged.items()}
    if squad:
        report["SQuAD 1-29 sample"] = three_outcomes(judge(squad, scorer), relevance, threshold)
    if scorer_fitting:
        report["SQuAD 26-29 (scorer fitting)"] = three_outcomes(judge(scorer_fitting, scorer), relevance, threshold)
    for name, figures in report.items():
        print(f"{name}: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in figures.items() if v is not None))
    for name in IN_DOMAIN_SETS:
        if name in judged:
            print(f"risk-coverage {name}: {risk_coverage(judged[name])}")
            print(f"guesses {name}: {guesses_shown(judged[name], threshold, guess_from)}")
    if args.write:
        write_card(threshold, guess_from, relevance, len(fitting), relevance_auroc, scorer, len(scorer_fitting), report)


def write_card(threshold: float, guess_from: float, relevance: RelevanceModel, relevance_questions: int,
               relevance_auroc: float, scorer: AnswerScorer, scorer_questions: int, report: dict) -> None:
    card = json.loads(CARD_PATH.read_text(encoding="utf-8"))
    card.pop("threshold_calibrated_on", None)
    card.update({
        "threshold": round(threshold, 4),
        "threshold_rule": f"lowest confidence whose short answers are right >= {TARGET_PRECISION} at every higher cut "
                          f"answering at least {MIN_ANSWERED}",
        "threshold_chosen_on": " + ".join(f"tests/calibration/{CALIBRATION_FILES[name]}" for name in IN_DOMAIN_SETS),
        "guess_cut": round(guess_from, 4),
        "guess_cut_rule": f"lowest confidence from which the best spans below the span threshold are right >= "
                          f"{TARGET_GUESS_PRECISION} at every higher cut answering at least {MIN_ANSWERED}, on the same sets",
        "answer_scorer": {
            "features": list(SCORER_FEATURES), "weights": list(scorer.weights), "bias": scorer.bias,
            "fitted_on": f"SQuAD 2.0 dev articles {CONFIDENCE_FITTING}, every question, each article its own corpus",
            "questions": scorer_questions,
        },
        "relevance": {
            "features": list(FEATURES), "weights": list(relevance.weights), "bias": relevance.bias,
            "threshold": relevance.threshold,
            "rule": f"highest cut leaving <= {MAX_ANSWERABLE_NONE} of answerable fitting questions 'none', and none "
                    f"of the answerable questions of {' + '.join(IN_DOMAIN_SETS)}",
            "fitted_on": "tests/calibration (questions, paraphrased_pharmacy, written, and off_topic asked of each "
                         "of their corpora); "
                         f"SQuAD 2.0 dev articles {[a + 1 for a in FITTING_ARTICLES]}: {SQUAD_PER_ARTICLE} own and "
                         f"{SQUAD_PER_ARTICLE} other articles' questions each",
            "questions": relevance_questions, "auroc": round(relevance_auroc, 4),
        },
    })
    for key in [k for k in card if k.startswith("calibration_")]:
        del card[key]
    card["calibration"] = report
    CARD_PATH.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(f"wrote the answer scorer, both thresholds and the relevance model to {CARD_PATH}")
    write_source_cut()


def write_source_cut() -> None:
    """Choose the source cut and store it in the card (the last step of --write, alone with
    --source-cut: after a change to the agree stage the rest of the card still holds)."""
    # the source cut reads answers made with the calibration just written
    for cached in (relevance_model, abstention_threshold, calibrated_guess_cut, source_reading_cut, answer_scorer):
        cached.cache_clear()
    card = json.loads(CARD_PATH.read_text(encoding="utf-8"))
    cut, accuracy = choose_source_cut()
    card["source_reading_cut"] = cut
    card["source_reading_cut_rule"] = ("of the cuts with the fewest false conflicts on tests/calibration/conflict_stories/, "
                                       "the one with the best marker accuracy on tests/calibration/questions.jsonl "
                                       "(a source counted as stating the answer where its text holds a gold answer) "
                                       "and the conflict stories (the marker written for every report), pooled")
    CARD_PATH.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(f"source reading cut {cut} (marker accuracy {accuracy:.3f} on the seed calibration set and the conflict stories)")


if __name__ == "__main__":
    main()
