"""Fit the answer selector's two small models on the first 17 SQuAD 2.0 dev articles; write qa/selector_model.json.

Data: SQuAD 2.0 dev (CC BY-SA 4.0), articles 1-17 in file order only; articles 18-35 are held out
for bench/squad.py. The regression set over the seeds is never used here.

The 17 training articles are split again: the first 12 are indexed as the corpus; questions about the
other 5 are asked of it too, as questions the corpus cannot answer (what a user asking about
something absent from their articles looks like; SQuAD's own unanswerable questions are the harder,
on-topic kind).

1. Ranker: logistic regression over candidate spans (qa.select.FEATURES) of the indexed articles'
   answerable questions; a candidate is positive when its token F1 with a gold answer is >= 0.5.
2. Confidence: logistic regression over the best candidate's evidence (qa.select.CONFIDENCE_FEATURES);
   positive when the question is answerable and the best candidate is right; negative for wrong
   answers, SQuAD's unanswerable questions and the out-of-corpus questions. The abstention threshold
   maximises accuracy (right answer or rightful abstention) on the same training questions.

The SQuAD threshold is only a starting point: news questions are paraphrased far more than SQuAD's,
so the shipped threshold is re-chosen afterwards on in-domain calibration questions by
`bench/calibrate_threshold.py --write` (never on the regression set).

Run: .venv/bin/python bench/train_selector.py [--squad PATH]; then bench/calibrate_threshold.py --write
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from squad_data import DEFAULT_SQUAD, best_f1, load_articles, split, write_corpus  # noqa: E402

from qa import select  # noqa: E402
from qa.engine import Engine  # noqa: E402
from qa.retrieve import retrieve  # noqa: E402

POSITIVE_F1 = 0.5
INDEXED_ARTICLES = 12
MAX_QUESTIONS = 2500  # per group; enough for ~130 weights, and it keeps training to minutes


def collect(engine: Engine, questions) -> list[tuple]:
    """(question, hits, candidates, features, labels, golds) for every training question."""
    rows = []
    for q in questions:
        vector = engine.embedder.encode_query(q.question)
        hits = retrieve(engine.index, q.question, vector, k=10)
        candidates, matrix, coverages = select.featurize(q.question, hits, engine.spans)
        labels = np.array([best_f1(c.text, q.answers) >= POSITIVE_F1 for c in candidates], dtype=bool)
        rows.append((q, hits, candidates, matrix, labels, coverages))
    return rows


def fit_logistic(x: np.ndarray, y: np.ndarray, c: float = 1.0) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    # The bias is a feature column of ones, so sklearn's own intercept is off.
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=2000)
    model.fit(x, y)
    return model.coef_[0].astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--squad", default=str(DEFAULT_SQUAD))
    parser.add_argument("--out", default=str(select.MODEL_PATH))
    args = parser.parse_args()
    if not Path(args.squad).exists():
        print(f"SQuAD file not found at {args.squad}: nothing to train on")
        return
    train_articles, _ = split(load_articles(Path(args.squad)))
    sample = random.Random(17)
    with tempfile.TemporaryDirectory() as tmp:
        questions = write_corpus(train_articles[:INDEXED_ARTICLES], Path(tmp) / "corpus")
        absent = write_corpus(train_articles[INDEXED_ARTICLES:], Path(tmp) / "absent", INDEXED_ARTICLES)
        questions = sample.sample(questions, min(MAX_QUESTIONS, len(questions)))
        absent = [replace(q, answers=()) for q in sample.sample(absent, min(MAX_QUESTIONS // 2, len(absent)))]
        t0 = time.perf_counter()
        engine = Engine(corpus_dir=Path(tmp) / "corpus", index_dir=Path(tmp) / "index", progress=True)
        print(f"indexed {len(engine.corpus.passages)} passages in {time.perf_counter() - t0:.0f} s")
        rows = collect(engine, questions + absent)

    answerable = [r for r in rows if r[0].answers and len(r[2])]
    x = np.vstack([r[3] for r in answerable])
    y = np.concatenate([r[4] for r in answerable])
    ranker = fit_logistic(x, y)
    print(f"ranker: {len(answerable)} questions, {len(y)} candidates, {y.mean():.3f} positive")

    model = select.SelectorModel(ranker=ranker, confidence=np.zeros(len(select.CONFIDENCE_FEATURES)), threshold=0.5)
    conf_x, conf_y = [], []
    for q, hits, *_ in rows:
        scored = select.score_candidates(q.question, hits, model, engine.spans)
        right = bool(q.answers) and bool(scored) and best_f1(scored[0].candidate.text, q.answers) >= POSITIVE_F1
        conf_x.append(select.confidence_features(q.question, scored, hits))
        conf_y.append(right)
    conf_x, conf_y = np.vstack(conf_x), np.array(conf_y)
    confidence = fit_logistic(conf_x, conf_y)
    probs = 1 / (1 + np.exp(-(conf_x @ confidence)))
    has_answer = np.array([bool(r[0].answers) for r in rows])
    threshold, accuracy = best_threshold(probs, conf_y, has_answer)
    print(f"confidence: {len(conf_y)} questions, {conf_y.mean():.3f} answered right; "
          f"threshold {threshold:.3f} gives training accuracy {accuracy:.3f}")

    Path(args.out).write_text(
        json.dumps(
            {
                "trained_on": "SQuAD 2.0 dev, first 17 articles (file order): 12 indexed, 5 as absent topics",
                "features": list(select.FEATURES),
                "ranker": [round(float(w), 5) for w in ranker],
                "confidence_features": list(select.CONFIDENCE_FEATURES),
                "confidence": [round(float(w), 5) for w in confidence],
                "threshold": round(threshold, 4),
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    print(f"wrote {args.out}")


def best_threshold(probs: np.ndarray, right: np.ndarray, has_answer: np.ndarray) -> tuple[float, float]:
    """The cut that maximises right answers plus rightful abstentions."""
    best = (0.5, -1.0)
    for cut in np.unique(np.round(probs, 3)):
        answered = probs >= cut
        accuracy = float(np.mean(np.where(answered, right, ~has_answer)))
        if accuracy > best[1]:
            best = (float(cut), accuracy)
    return best


if __name__ == "__main__":
    main()
