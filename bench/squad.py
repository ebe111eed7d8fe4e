"""External benchmark: SQuAD 2.0 dev, held-out articles 18-35, asked through the real engine.

Each paragraph becomes one document (titled with its article's title) in a fresh corpus, so every
question is open retrieval over 657 paragraphs, not reading one given paragraph. Prints short-answer
EM and F1 (official SQuAD normalisation) on answerable questions, overall EM/F1 with abstention
counted as the no-answer prediction, how often the first citation contains a gold answer,
no-answer precision/recall, and latency.

Run: .venv/bin/python bench/squad.py [--squad PATH] [--sample N] [--seed S]
Exits 0 with a message when the SQuAD file is absent.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from squad_data import DEFAULT_SQUAD, TRAIN_ARTICLES, best_f1, exact, load_articles, normalize_answer, split, write_corpus  # noqa: E402

from qa.engine import Engine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--squad", default=str(DEFAULT_SQUAD))
    parser.add_argument("--sample", type=int, default=0, help="ask a fixed-seed sample of N questions (0 = all)")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    if not Path(args.squad).exists():
        print(f"SQuAD 2.0 dev not found at {args.squad}; skipping the external benchmark")
        return

    _, held_out = split(load_articles(Path(args.squad)))
    with tempfile.TemporaryDirectory() as tmp:
        questions = write_corpus(held_out, Path(tmp) / "corpus", first_index=TRAIN_ARTICLES)
        if args.sample and args.sample < len(questions):
            questions = random.Random(args.seed).sample(questions, args.sample)
        t0 = time.perf_counter()
        engine = Engine(corpus_dir=Path(tmp) / "corpus", index_dir=Path(tmp) / "index")
        build = time.perf_counter() - t0
        results = []
        for q in questions:
            t = time.perf_counter()
            a = engine.answer(q.question)
            results.append((q, a, (time.perf_counter() - t) * 1000))
    report(results, build, len(engine.corpus.documents), len(engine.corpus.passages))


def report(results, build_seconds: float, documents: int, passages: int) -> None:
    answerable = [(q, a) for q, a, _ in results if q.answers]
    unanswerable = [(q, a) for q, a, _ in results if not q.answers]
    em = [exact(a.answer or "", q.answers) for q, a in answerable]
    f1 = [best_f1(a.answer or "", q.answers) for q, a in answerable]
    cited = [
        bool(a.citations) and any(normalize_answer(g) in normalize_answer(a.citations[0].text) for g in q.answers)
        for q, a in answerable
    ]
    overall = [
        (float(not a.answered), float(not a.answered)) if not q.answers else
        (float(a.answered and exact(a.answer, q.answers)), best_f1(a.answer, q.answers) if a.answered else 0.0)
        for q, a, _ in results
    ]
    abstained = [(q, a) for q, a, _ in results if not a.answered]
    no_answer_precision = sum(1 for q, _ in abstained if not q.answers) / len(abstained) if abstained else 0.0
    no_answer_recall = sum(1 for _, a in unanswerable if not a.answered) / len(unanswerable) if unanswerable else 0.0
    latencies = sorted(ms for *_, ms in results)
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * (len(latencies) - 1)))]  # noqa: E731

    print(f"SQuAD 2.0 dev, held-out articles {TRAIN_ARTICLES + 1}-35: {documents} paragraphs as documents, "
          f"{passages} sentence passages, index built in {build_seconds:.0f} s")
    print(f"questions asked: {len(results)} ({len(answerable)} answerable, {len(unanswerable)} unanswerable)")
    print(f"{'answerable: short-answer EM':<48}{100 * statistics.fmean(em):6.1f}")
    print(f"{'answerable: short-answer F1':<48}{100 * statistics.fmean(f1):6.1f}")
    print(f"{'answerable: first citation contains a gold answer':<48}{statistics.fmean(cited):6.3f}")
    print(f"{'answerable: answered (not abstained)':<48}{statistics.fmean(a.answered for _, a in answerable):6.3f}")
    print(f"{'all: EM / F1 (abstention = no-answer prediction)':<48}"
          f"{100 * statistics.fmean(o[0] for o in overall):6.1f} / {100 * statistics.fmean(o[1] for o in overall):.1f}")
    print(f"{'no-answer precision':<48}{no_answer_precision:6.3f}")
    print(f"{'no-answer recall':<48}{no_answer_recall:6.3f}")
    print(f"{'latency per question p50 / p95 (ms)':<48}{pct(0.5):6.1f} / {pct(0.95):.1f}")


if __name__ == "__main__":
    main()
