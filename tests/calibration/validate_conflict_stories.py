"""Validate the conflict calibration stories (tests/calibration/conflict_stories/<story>/).

Each story is five reports of one invented story (`articles/*.txt`, first line `date YYYY-MM-DD
<headline>`, then a blank line) and `questions.jsonl` with an expected marker for every report, in
the conflict regression set's schema (tests/regression/README.md). Run from anywhere:
`python tests/calibration/validate_conflict_stories.py`; exit status 0 when every story passes.
"""

from __future__ import annotations

import datetime
import json
import re
import sys
from pathlib import Path

STORIES = Path(__file__).resolve().parent / "conflict_stories"
QTYPES = {"who", "what", "when", "where", "why", "how much", "how many", "how far", "which", "how"}
FIELDS = {"id", "question", "answerable", "qtype", "answers", "supporting", "markers", "values"}
MARKERS = {"agrees", "conflicts", "silent"}
DATELINE = re.compile(r"^date (\d{4}-\d\d-\d\d) \S")


def load_story(folder: Path) -> tuple[dict[str, str], list[dict]]:
    docs = {p.stem: p.read_text(encoding="utf-8") for p in sorted((folder / "articles").glob("*.txt"))}
    lines = (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return docs, [json.loads(line) for line in lines if line.strip()]


def problems(folder: Path) -> list[str]:
    docs, rows = load_story(folder)
    errors = [f"{len(docs)} articles, expected 5"] if len(docs) != 5 else []
    for doc_id, text in docs.items():
        errors += article_problems(doc_id, text)
    ids = [r.get("id") for r in rows]
    for prefix in "km":
        seq = [i for i in ids if i and i.startswith(prefix)]
        if seq != [f"{prefix}{n:02d}" for n in range(1, len(seq) + 1)]:
            errors.append(f"{prefix} ids not sequential: {seq}")
    for row in rows:
        errors += question_problems(row, docs)
    if sum(r.get("answerable") is True for r in rows) < 16 or sum(r.get("answerable") is False for r in rows) < 4:
        errors.append("want 16 answerable and 4 unanswerable questions")
    if sum(any(m == "conflicts" for m in r.get("markers", {}).values()) for r in rows) < 8:
        errors.append("want at least 8 questions with a conflicting source")
    return [f"{folder.name}: {e}" for e in errors]


def article_problems(doc_id: str, text: str) -> list[str]:
    lines = text.split("\n")
    found = DATELINE.match(lines[0])
    errors = []
    if not found:
        errors.append(f"{doc_id}: first line must be 'date YYYY-MM-DD headline'")
    else:
        datetime.date.fromisoformat(found.group(1))
    if len(lines) < 3 or lines[1].strip():
        errors.append(f"{doc_id}: a blank line follows the first line")
    if not 180 <= len(text.split()) <= 420:
        errors.append(f"{doc_id}: {len(text.split())} words, expected 200-380")
    return errors


def question_problems(row: dict, docs: dict[str, str]) -> list[str]:
    rid = row.get("id")
    if set(row) != FIELDS:
        return [f"{rid}: fields {sorted(row)}"]
    errors = [f"{rid}: qtype {row['qtype']!r}"] if row["qtype"] not in QTYPES else []
    markers = row["markers"]
    if set(markers) != set(docs) or not set(markers.values()) <= MARKERS:
        errors.append(f"{rid}: markers must give one of {sorted(MARKERS)} for exactly {sorted(docs)}")
    stating = {d for d, m in markers.items() if m != "silent"}
    if set(row["supporting"]) != stating or set(row["values"]) != stating:
        errors.append(f"{rid}: supporting and values must cover exactly the non-silent docs {sorted(stating)}")
        return errors
    if not row["answerable"]:
        if stating or row["answers"] or not rid.startswith("m"):
            errors.append(f"{rid}: an unanswerable question is m.., every doc silent, no answers")
        return errors
    for doc_id in stating:
        evidence, value = row["supporting"][doc_id], row["values"][doc_id]
        if evidence not in docs[doc_id].split("\n", 1)[1]:
            errors.append(f"{rid}/{doc_id}: evidence not in the article's body: {evidence!r}")
        if value not in evidence:
            errors.append(f"{rid}/{doc_id}: value {value!r} not inside its evidence")
    agreeing = [d for d in stating if markers[d] == "agrees"]
    conflicting = [d for d in stating if markers[d] == "conflicts"]
    if not rid.startswith("k") or len(agreeing) <= len(conflicting) or not row["answers"]:
        errors.append(f"{rid}: an answerable question is k.., has answers, and more agreeing than conflicting docs")
    for answer in row["answers"]:
        if not any(answer in row["supporting"][d] for d in agreeing):
            errors.append(f"{rid}: answer {answer!r} is not inside an agreeing doc's evidence")
        if any(answer in row["values"][d] for d in conflicting):
            errors.append(f"{rid}: answer {answer!r} occurs in a conflicting doc's value")
    return errors


def stories() -> list[Path]:
    return sorted(p for p in STORIES.iterdir() if (p / "questions.jsonl").is_file())


def main() -> int:
    errors = [e for story in stories() for e in problems(story)]
    print("\n".join(errors) if errors else f"OK: {len(stories())} stories")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
