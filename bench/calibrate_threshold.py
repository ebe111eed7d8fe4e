"""Calibrate the reader's abstention threshold on in-domain calibration questions.

The reader is fine-tuned on SQuAD (bench/train_reader.py), whose questions share most of their
words with their paragraph. News readers paraphrase, so its margins shift on news; its *ranking* of
answerable over unanswerable questions carries over, so only the operating point (the confidence
below which the engine abstains) is chosen here, on questions written for this purpose
(tests/calibration/questions.jsonl), never on the regression set that measures the system. The
cut maximises right answers plus rightful abstentions, and sits midway between the two
neighbouring observed confidences so that it does not hug one question.

Run: .venv/bin/python bench/calibrate_threshold.py [--questions FILE] [--corpus DIR] [--write]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import auroc  # noqa: E402

from qa.engine import Engine  # noqa: E402
from qa.evaluation import load_questions, span_matches  # noqa: E402
from qa.retrieve import retrieve  # noqa: E402
from qa.reader import CARD_PATH  # noqa: E402
from qa.select import select_answer  # noqa: E402

DEFAULT_QUESTIONS = ROOT / "tests" / "calibration" / "questions.jsonl"


def observe(engine: Engine, questions: list[dict]) -> list[tuple[float, bool, bool]]:
    """(confidence, best span is right, answerable) per question, whatever the current threshold."""
    seen = []
    for item in questions:
        vector = engine.embedder.encode_query(item["question"])
        hits = retrieve(engine.index, item["question"], vector)
        selection = select_answer(item["question"], hits, engine.reader)
        best = selection.best.text if selection.best else None
        right = item["answerable"] and span_matches(best, item["answers"])
        seen.append((selection.confidence, right, item["answerable"]))
    return seen


def accuracy_at(cut: float, seen: list[tuple[float, bool, bool]]) -> float:
    return sum((right if conf >= cut else not answerable) for conf, right, answerable in seen) / len(seen)


def best_cut(seen: list[tuple[float, bool, bool]]) -> tuple[float, float]:
    confidences = sorted({conf for conf, _, _ in seen})
    cuts = [confidences[0]] + [(a + b) / 2 for a, b in zip(confidences, confidences[1:])] + [confidences[-1] + 1e-3]
    return max(((cut, accuracy_at(cut, seen)) for cut in cuts), key=lambda pair: (pair[1], pair[0]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", default=str(DEFAULT_QUESTIONS))
    parser.add_argument("--corpus", default=str(ROOT / "seeds"))
    parser.add_argument("--write", action="store_true", help=f"store the threshold in {CARD_PATH.name}")
    args = parser.parse_args()
    questions = load_questions(args.questions)
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(corpus_dir=args.corpus, index_dir=Path(tmp) / "index")
        seen = observe(engine, questions)
    cut, accuracy = best_cut(seen)
    answerable = [s for s in seen if s[2]]
    print(f"{len(seen)} calibration questions ({len(answerable)} answerable)")
    print(f"best span right (before abstaining): {sum(s[1] for s in answerable)}/{len(answerable)}")
    print(f"threshold {cut:.4f}: accuracy (right answer or rightful abstention) {accuracy:.3f}")
    for conf, right, answerable_ in sorted(seen):
        print(f"  {conf:.3f}  {'answerable' if answerable_ else 'unanswerable':<12} {'right' if right else ''}")
    print(f"answerable vs unanswerable AUROC of the confidence: "
          f"{auroc([conf for conf, _, _ in seen], [answerable for _, _, answerable in seen]):.3f}")
    if args.write:
        model = json.loads(CARD_PATH.read_text(encoding="utf-8"))
        model["threshold"] = round(cut, 4)
        model["threshold_calibrated_on"] = f"{Path(args.questions).relative_to(ROOT)} ({len(seen)} questions)"
        CARD_PATH.write_text(json.dumps(model, indent=1), encoding="utf-8")
        print(f"wrote threshold to {CARD_PATH}")


if __name__ == "__main__":
    main()
