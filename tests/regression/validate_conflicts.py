"""Validate the conflict regression set (conflict_questions.jsonl over seeds/ + conflict_articles/).

Run from anywhere: `python tests/regression/validate_conflicts.py`. Paths are relative to this file.
Exit status 0 when every check passes, 1 otherwise.
"""
import collections
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SEEDS = ROOT / "seeds"
ARTICLES = HERE / "conflict_articles"
QF = HERE / "conflict_questions.jsonl"

SEED_IDS = {"000_4c55fd7b660ac3d2", "001_ba940ec7e439679a", "003_512a320aae66a7a6", "004_7480487250863ef3"}
QTYPES = {"who", "what", "when", "where", "why", "how much", "how many", "how far", "which", "how"}
MARKERS = {"agrees", "conflicts", "silent"}
FIELDS = {"id", "question", "answerable", "qtype", "answers", "supporting", "markers", "values"}
MIN_ARTICLES, MIN_QUESTIONS, MIN_CONFLICT_QUESTIONS = 6, 40, 20
ARTICLE_NAME = re.compile(r"^9\d\d_[a-z0-9_]+$")


def load_docs(errors):
    seeds = {p.stem: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
    if set(seeds) != SEED_IDS:
        errors.append(f"seeds/ holds {sorted(seeds)}, expected {sorted(SEED_IDS)}")
    articles = {p.stem: p.read_text(encoding="utf-8") for p in sorted(ARTICLES.glob("*.txt"))}
    for doc_id, text in articles.items():
        if not ARTICLE_NAME.match(doc_id):
            errors.append(f"article name {doc_id!r} is not 9NN_slug")
        if doc_id in seeds:
            errors.append(f"article {doc_id} shadows a seed")
        lines = text.splitlines()
        if not lines or not lines[0].strip() or len(lines[0]) > 200 or lines[0].rstrip().endswith("."):
            errors.append(f"{doc_id}: first line is not a headline")
        words = len(text.split())
        if not 150 <= words <= 400:
            errors.append(f"{doc_id}: {words} words, expected 150-400")
    if len(articles) < MIN_ARTICLES:
        errors.append(f"only {len(articles)} conflict articles, expected >= {MIN_ARTICLES}")
    return {**seeds, **articles}, articles


def body_start(text):
    """Offset after the headline line (evidence must not sit only in the headline).

    A first line that reads as a sentence (001 opens with its lead paragraph) is body, not a headline.
    """
    first, sep, _ = text.partition("\n")
    if not sep or len(first) > 200 or re.search(r"[.!?…][\"'”’)\]]*\s*$", first):
        return 0
    return len(first) + 1


def main():
    errors = []
    docs, articles = load_docs(errors)
    rows = []
    for ln, line in enumerate(QF.read_text(encoding="utf-8").splitlines(), 1):
        try:
            rows.append(json.loads(line))
        except Exception as e:  # noqa: BLE001
            errors.append(f"line {ln}: bad json {e}")
    ids = [r.get("id") for r in rows]
    dup = [i for i, c in collections.Counter(ids).items() if c > 1]
    if dup:
        errors.append(f"duplicate ids {dup}")
    for pref in "km":
        seq = [i for i in ids if i and i.startswith(pref)]
        if seq != [f"{pref}{n:02d}" for n in range(1, len(seq) + 1)]:
            errors.append(f"{pref} ids not sequential: {seq}")

    for r in rows:
        rid = r.get("id")
        if set(r) != FIELDS:
            errors.append(f"{rid}: fields {sorted(r)}")
            continue
        if r["qtype"] not in QTYPES:
            errors.append(f"{rid}: qtype {r['qtype']}")
        markers, sup, vals, answers = r["markers"], r["supporting"], r["values"], r["answers"]
        if set(markers) != set(docs):
            errors.append(f"{rid}: markers keys differ from doc ids: "
                          f"missing {sorted(set(docs) - set(markers))}, unknown {sorted(set(markers) - set(docs))}")
        if any(m not in MARKERS for m in markers.values()):
            errors.append(f"{rid}: bad marker value")
        stating = {d for d, m in markers.items() if m != "silent"}
        if set(sup) != stating:
            errors.append(f"{rid}: supporting {sorted(sup)} != non-silent docs {sorted(stating)}")
        if set(vals) != stating:
            errors.append(f"{rid}: values {sorted(vals)} != non-silent docs {sorted(stating)}")
        for d, ev in sup.items():
            text = docs.get(d)
            if text is None:
                errors.append(f"{rid}: unknown doc {d}")
                continue
            if ev not in text:
                errors.append(f"{rid}: evidence not in {d}: {ev!r}")
            elif text.rfind(ev) < body_start(text):
                errors.append(f"{rid}: evidence of {d} only in the headline")
            v = vals.get(d)
            if v is None:
                errors.append(f"{rid}: {d} ({markers.get(d)}) has no value")
            elif v not in text:
                errors.append(f"{rid}: value not in {d}: {v!r}")
            elif v not in ev:
                errors.append(f"{rid}: value of {d} not inside its evidence: {v!r}")
        agree = [d for d in sup if markers.get(d) == "agrees"]
        conflict = [d for d in sup if markers.get(d) == "conflicts"]
        if r["answerable"]:
            if not rid.startswith("k"):
                errors.append(f"{rid}: answerable id prefix")
            if not answers or not agree:
                errors.append(f"{rid}: no answers or no agreeing doc")
            if len(agree) <= len(conflict):
                errors.append(f"{rid}: answers are not the majority ({len(agree)} agree vs {len(conflict)} conflict)")
            for a in answers:
                if not any(a in docs[d] for d in agree if d in docs):
                    errors.append(f"{rid}: answer not in any agreeing doc: {a!r}")
                if not any(a in sup[d] for d in agree):
                    errors.append(f"{rid}: answer not inside any agreeing evidence: {a!r}")
                for d in conflict:
                    if a in vals.get(d, ""):
                        errors.append(f"{rid}: answer {a!r} inside the conflicting value of {d}")
            for d in agree:
                if not any(a in sup[d] for a in answers):
                    errors.append(f"{rid}: agreeing evidence of {d} holds no answer form")
        else:
            if not rid.startswith("m"):
                errors.append(f"{rid}: unanswerable id prefix")
            if answers or sup or vals:
                errors.append(f"{rid}: unanswerable with answers/supporting/values")
            if stating:
                errors.append(f"{rid}: unanswerable but not all silent")

    na = sum(bool(r.get("answerable")) for r in rows)
    with_conflict = sum(any(m == "conflicts" for m in r.get("markers", {}).values()) for r in rows)
    print(f"articles={len(articles)} docs={len(docs)} questions={len(rows)} answerable={na} "
          f"unanswerable={len(rows) - na} with_conflict={with_conflict}")
    print("marker counts:", dict(collections.Counter(m for r in rows for m in r.get("markers", {}).values())))
    print("conflicts per doc:", dict(sorted(collections.Counter(
        d for r in rows for d, m in r.get("markers", {}).items() if m == "conflicts").items())))
    if len(rows) < MIN_QUESTIONS:
        errors.append(f"only {len(rows)} questions, expected >= {MIN_QUESTIONS}")
    if with_conflict < MIN_CONFLICT_QUESTIONS:
        errors.append(f"only {with_conflict} questions with a conflict, expected >= {MIN_CONFLICT_QUESTIONS}")
    if not any(not r.get("answerable") for r in rows):
        errors.append("no unanswerable question")
    print("ERRORS:" if errors else "OK: all checks passed")
    for e in errors:
        print("  -", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
