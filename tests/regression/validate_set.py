import json, collections
from pathlib import Path
SEEDS = Path("/work/main/seeds")
QF = Path("/work/main/tests/regression/questions.jsonl")
DOCS = {p.stem: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
EXPECTED = {"000_4c55fd7b660ac3d2", "001_ba940ec7e439679a", "003_512a320aae66a7a6", "004_7480487250863ef3"}
assert set(DOCS) == EXPECTED, DOCS.keys()
# title / boilerplate regions: 000 lines 1-3 (headline + repeated headline), others line 1;
# 000's trailing reader-comments disclaimer is boilerplate too.
def title_end(doc, n):
    t = DOCS[doc]; pos = 0
    for _ in range(n):
        pos = t.index("\n", pos) + 1
    return pos
TITLE_END = {d: title_end(d, 3 if d.startswith("000") else 1) for d in DOCS}
BOILER_START = {d: len(DOCS[d]) for d in DOCS}
BOILER_START["000_4c55fd7b660ac3d2"] = DOCS["000_4c55fd7b660ac3d2"].index("The comments posted here")
QTYPES = {"who","what","when","where","why","how much","how many","how far","which","how"}
REQ_U = {"What is the capital of France?", "What is the population of Ukraine?",
         "On what date was the final minerals agreement signed?"}
errors = []
rows = []
for ln, line in enumerate(QF.read_text(encoding="utf-8").splitlines(), 1):
    try:
        rows.append(json.loads(line))
    except Exception as e:
        errors.append(f"line {ln}: bad json {e}")
ids = [r["id"] for r in rows]
dup = [i for i, c in collections.Counter(ids).items() if c > 1]
if dup: errors.append(f"duplicate ids {dup}")
for r in rows:
    rid = r["id"]
    if set(r) - {"off_topic"} != {"id","question","answerable","qtype","answers","supporting","markers"}:
        errors.append(f"{rid}: fields {sorted(r)}")
    if r.get("off_topic") and r["answerable"]: errors.append(f"{rid}: off_topic marks an unanswerable question")
    if r["qtype"] not in QTYPES: errors.append(f"{rid}: qtype {r['qtype']}")
    if set(r["markers"]) != EXPECTED: errors.append(f"{rid}: markers keys {sorted(r['markers'])}")
    if any(v not in {"agrees","conflicts","silent"} for v in r["markers"].values()):
        errors.append(f"{rid}: bad marker value")
    if r["answerable"]:
        if not rid.startswith("a"): errors.append(f"{rid}: answerable id prefix")
        if not r["answers"] or not r["supporting"]: errors.append(f"{rid}: empty answers/supporting")
        for d, ev in r["supporting"].items():
            if d not in DOCS: errors.append(f"{rid}: unknown doc {d}"); continue
            if ev not in DOCS[d]: errors.append(f"{rid}: evidence not in {d}: {ev!r}")
            if r["markers"].get(d) not in ("agrees", "conflicts"):
                errors.append(f"{rid}: supporting doc {d} marked {r['markers'].get(d)}")
            if not any(a in ev for a in r["answers"]):
                errors.append(f"{rid}: evidence of {d} contains no answer")
        for a in r["answers"]:
            if not any(a in DOCS[d] for d in r["supporting"] if d in DOCS):
                errors.append(f"{rid}: answer not in any supporting doc: {a!r}")
            if not any(a in ev for ev in r["supporting"].values()):
                errors.append(f"{rid}: answer not inside any evidence: {a!r}")
        # at least one evidence occurrence in body text (not only headline / boilerplate)
        body_ok = False
        for d, ev in r["supporting"].items():
            t = DOCS.get(d, ""); i = t.find(ev)
            while i != -1:
                if i >= TITLE_END[d] and i + len(ev) <= BOILER_START[d]: body_ok = True
                i = t.find(ev, i + 1)
        if not body_ok: errors.append(f"{rid}: evidence only in title/boilerplate")
        for d, m in r["markers"].items():
            if m != "silent" and d not in r["supporting"]:
                errors.append(f"{rid}: {d} marked {m} but has no evidence")
    else:
        if not rid.startswith("u"): errors.append(f"{rid}: unanswerable id prefix")
        if r["answers"] or r["supporting"]: errors.append(f"{rid}: unanswerable with answers/support")
        if any(v != "silent" for v in r["markers"].values()): errors.append(f"{rid}: unanswerable not all silent")
# id sequence
for pref in "au":
    seq = [i for i in ids if i.startswith(pref)]
    if seq != [f"{pref}{n:02d}" for n in range(1, len(seq)+1)]: errors.append(f"{pref} ids not sequential")
qs = {r["question"] for r in rows if not r["answerable"]}
if not REQ_U <= qs: errors.append(f"missing required unanswerables {REQ_U - qs}")
na = sum(r["answerable"] for r in rows); nu = len(rows) - na
print(f"rows={len(rows)} answerable={na} unanswerable={nu}")
print("qtype (answerable):", dict(sorted(collections.Counter(r["qtype"] for r in rows if r["answerable"]).items())))
print("qtype (unanswerable):", dict(sorted(collections.Counter(r["qtype"] for r in rows if not r["answerable"]).items())))
print("answerable questions citing each doc:", dict(sorted(collections.Counter(d for r in rows for d in r["supporting"]).items())))
print("single-doc answerable questions:", dict(sorted(collections.Counter(next(iter(r["supporting"])) for r in rows if len(r["supporting"]) == 1).items())))
print("marker counts:", dict(collections.Counter(v for r in rows for v in r["markers"].values())))
if na < 45: errors.append("fewer than 45 answerable")
if nu < 12: errors.append("fewer than 12 unanswerable")
print("ERRORS:" if errors else "OK: all checks passed")
for e in errors: print("  -", e)
