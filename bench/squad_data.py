"""SQuAD 2.0 dev as a corpus: one article file per paragraph, its questions alongside.

The first 17 articles (file order) are the only data anything is fitted on; the other 18 are
for reporting (see DESIGN.md, "Benchmarks stay honest").
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
TRAIN_ARTICLES = 17


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
    return articles[:TRAIN_ARTICLES], articles[TRAIN_ARTICLES:]


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
