"""SQuAD 2.0 dev as a corpus: one article file per paragraph, its questions alongside.

Articles 1-29 (file order) are the only data anything is fitted on; 30-35 are for reporting
(DESIGN.md, "Benchmarks stay honest"). Within 1-29 each use has its own articles, so that what is
fitted later never sees questions an earlier fit learned from:
- the reader trains on 1-15 and 18-25 and is validated on 16-17 (17, Pharmacy, is also the corpus of
  the paraphrased calibration set, so the reader never trains on it);
- the answer-confidence model and the relevance model are fitted on 26-29 (and the calibration sets).
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.evaluation import normalize_answer as _normalize  # noqa: E402
DEFAULT_SQUAD = Path(os.environ.get("QA_SQUAD_PATH") or ROOT.parent / "shared/bench/squad/dev-v2.0.json.gz")
FIT_ARTICLES = 29  # 1-29 may be fitted on; the rest are reported on
READER_TRAINING = [*range(1, 16), *range(18, 26)]  # 1-based article numbers
READER_VALIDATION = [16, 17]
CONFIDENCE_FITTING = [26, 27, 28, 29]


@dataclass(frozen=True)
class SquadQuestion:
    qid: str
    question: str
    answers: tuple[str, ...]  # empty: unanswerable
    doc_id: str


def load_articles(path: Path = DEFAULT_SQUAD) -> list[dict]:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)["data"]


def split(articles: list[dict]) -> tuple[list[dict], list[dict]]:
    """(the articles that may be fitted on, the articles reported on)."""
    return articles[:FIT_ARTICLES], articles[FIT_ARTICLES:]


def numbered(articles: list[dict], numbers: list[int]) -> list[dict]:
    """The articles with these 1-based numbers (file order), as DESIGN.md counts them."""
    return [articles[n - 1] for n in numbers]


def doc_id(article_index: int, paragraph_index: int) -> str:
    return f"a{article_index:02d}p{paragraph_index:03d}"


def write_corpus(articles: list[dict], folder: Path, first_index: int = 0) -> list[SquadQuestion]:
    """One .txt per paragraph (article title as its headline line); returns the questions."""
    folder.mkdir(parents=True, exist_ok=True)
    questions = []
    for a, article in enumerate(articles, first_index):
        title = article["title"].replace("_", " ")
        for p, paragraph in enumerate(article["paragraphs"]):
            did = doc_id(a, p)
            (folder / f"{did}.txt").write_text(f"{title}\n\n{paragraph['context']}\n", encoding="utf-8")
            for qa in paragraph["qas"]:
                golds = tuple(dict.fromkeys(x["text"] for x in qa["answers"]))
                questions.append(SquadQuestion(qa["id"], qa["question"], golds, did))
    return questions


# --- the official SQuAD 2.0 metric ---------------------------------------------------------------------


def normalize_answer(s: str) -> str:
    return _normalize(s, typographic=False)


def f1_score(prediction: str, gold: str) -> float:
    pred, ref = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    common = Counter(pred) & Counter(ref)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def best_f1(prediction: str, golds: tuple[str, ...]) -> float:
    return max((f1_score(prediction, g) for g in golds), default=0.0)


def exact(prediction: str, golds: tuple[str, ...]) -> bool:
    return any(normalize_answer(prediction) == normalize_answer(g) for g in golds)
