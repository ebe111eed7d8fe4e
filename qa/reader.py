"""reader: a small extractive reader that points at the answer span inside a sentence.

It is the MiniLM encoder we already ship (all-MiniLM-L6-v2) reading "question [SEP] sentence" as
one sequence, with a linear layer giving every token a start and an end score, as in BERT's SQuAD
reader. Position 0 ([CLS]) stands for "this sentence does not answer": its start+end score is the
sentence's no-answer score, so abstention is learned from questions that look answerable and are not
(SQuAD 2.0's), not hand-set.

The encoder layers and the head were fine-tuned (`bench/train_reader.py`: SQuAD 2.0 dev articles
1-15 and 18-25, then the team's written news); the embeddings are the shipped MiniLM's own. So the
repository carries just the tuned layers, in half precision (`reader_model.safetensors`, 21 MB), and
the reader is rebuilt at start from the verified MiniLM weights plus that file (how many layers were
tuned is read from the file).

Spans are returned as character offsets into the sentence given, widened to whole words: a word
piece never cuts a name in half, so `sentence[start:end]` is always text a person would copy. A
sentence's opening dateline ("BRISTOW, March 4, 2025 - ") is read as context but holds no span: it
says where and when the report was filed.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from qa.embedding import BACKEND_ENV
from qa.spans import SpanGuess, answer_mask, best_span, model_inputs, sentence_mask, with_context
from qa.values import dateline_end
from qa.model_files import (
    ModelUnavailable, OnnxUnavailable, cache_dir, export_onnx, graph_written_atomically, onnx_session, sha256_of,
)

logger = logging.getLogger(__name__)
WEIGHTS_PATH = Path(__file__).with_name("reader_model.safetensors")
CARD_PATH = Path(__file__).with_name("reader_model.json")
TRAINABLE_LAYERS = 6  # of MiniLM's 6, for training; a weights file says how many it tuned
MAX_TOKENS = 160  # question + sentence; longer sentences are cut (a news sentence is ~40 tokens)
MAX_QUESTION_TOKENS = 64  # a longer question is read by its first 64 tokens
PRECISION_ENV = "QA_READER_PRECISION"  # int8 (default) | float32: the ONNX reader's weights


class ReaderUnavailable(ModelUnavailable):
    """The reader's weights are missing or do not fit the encoder they are meant for."""


def build_model(encoder_dir: Path, trainable_layers: int = TRAINABLE_LAYERS, attention: str | None = None):
    """MiniLM with a start/end head; the lower layers frozen (what training and inference share).
    `attention="eager"` is for inference: its ONNX export ran 9% faster than the default (SDPA)
    export on the seed questions, with the same scores."""
    import torch
    from transformers import AutoModel

    class SpanReader(torch.nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder
            self.head = torch.nn.Linear(encoder.config.hidden_size, 2)

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            start, end = self.head(hidden).unbind(-1)
            return start, end

    options = {"attn_implementation": attention} if attention else {}
    model = SpanReader(AutoModel.from_pretrained(str(encoder_dir), **options))
    layers = model.encoder.config.num_hidden_layers
    for name, param in model.named_parameters():
        param.requires_grad = name.startswith("head.") or any(
            name.startswith(f"encoder.encoder.layer.{i}.") for i in range(layers - trainable_layers, layers)
        )
    return model


def trained_state(model) -> dict:
    """The parameters training changed: all a checkpoint needs to hold."""
    return {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}


class Reader:
    """Loads once; `read(question, sentences)` is safe to call from several threads.

    The forward pass runs on onnxruntime when it can (an export made once into the cache folder and
    checked against PyTorch, as the embedder does: about 1.5x faster here), else on
    PyTorch; `QA_EMBEDDING_BACKEND=torch` forces PyTorch for both.

    On ONNX the weights are int8 by default (`precision`, or `QA_READER_PRECISION=float32` for the
    exported float graph): the reader is most of an answer's time, and int8 halves it with the same
    quality on the fitting and held-out sets (the figures are in `_quantize`'s docstring).
    """

    def __init__(
        self, encoder_dir: Path, weights: Path = WEIGHTS_PATH, backend: str | None = None, precision: str | None = None
    ):
        from tokenizers import Tokenizer  # the fast tokenizer itself: transformers is not imported for it

        if not weights.is_file():
            raise ReaderUnavailable(f"reader weights not found at {weights}: run bench/train_reader.py")
        self._question_tokenizer = Tokenizer.from_file(str(encoder_dir / "tokenizer.json"))
        self._question_tokenizer.no_truncation()
        self._question_tokenizer.no_padding()  # tokenizer.json pads to 128 by default
        self.tokenizer = Tokenizer.from_file(str(encoder_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS, strategy="only_second")
        self.tokenizer.enable_padding()  # to the longest pair of the batch
        self._encoder_dir, self._weights = encoder_dir, weights
        self.reads_context = bool(_card_of(weights).get("reads_sentence_before"))
        self._torch_model = None
        self._session = None
        self._lock = threading.Lock()  # one torch forward at a time: its own threads do the parallel work
        backend = (backend or os.environ.get(BACKEND_ENV) or "auto").lower()
        precision = (precision or os.environ.get(PRECISION_ENV) or "int8").lower()
        if precision not in ("int8", "float32"):
            raise ReaderUnavailable(f"{PRECISION_ENV} must be int8 or float32, not {precision!r}")
        self.precision = "float32"
        if backend != "torch":
            try:
                self._session, self.precision = _onnx_session(encoder_dir, weights, self._model, precision)
            except OnnxUnavailable as err:
                if backend == "onnx":
                    raise ReaderUnavailable(str(err)) from err
                logger.info("reader runs on PyTorch: %s", err)
        if self._session is None:
            self._model()
        self.backend = "onnx" if self._session is not None else "torch"

    def _model(self):
        """The PyTorch reader (built on first need: an ONNX reader never loads it)."""
        if self._torch_model is None:
            from safetensors.torch import load_file

            state = {k: v.float() for k, v in load_file(str(self._weights)).items()}
            tuned = {name.split(".")[3] for name in state if name.startswith("encoder.encoder.layer.")}
            model = build_model(self._encoder_dir, trainable_layers=len(tuned), attention="eager")
            if set(state) != set(trained_state(model)):
                raise ReaderUnavailable(f"{self._weights} does not fit the encoder at {self._encoder_dir}")
            model.load_state_dict(state, strict=False)
            self._torch_model = model.eval()
        return self._torch_model

    def read(self, question: str, sentences: list[str], before: list[str] | None = None) -> list[SpanGuess]:
        """The best span of each sentence, with that sentence's no-answer score. `before`: the sentence
        before each one, read as context (`with_context`), as a reader trained so reads best."""
        if not sentences:
            return []
        question = self._clipped(question)
        read = [with_context(b, s) for b, s in zip(before, sentences)] if before else [(s, 0) for s in sentences]
        pairs = self.tokenizer.encode_batch([(question, text) for text, _ in read])
        starts, ends = self._scores(model_inputs(pairs))
        return [
            best_span(text, starts[i], ends[i], np.array(p.offsets),
                      _statement_mask(text, p, shift)).shifted(-shift)
            for i, ((text, shift), p) in enumerate(zip(read, pairs))
        ]

    def _clipped(self, question: str) -> str:
        """The question cut to MAX_QUESTION_TOKENS, so that every sentence keeps room to be read."""
        pieces = self._question_tokenizer.encode(question, add_special_tokens=False).offsets
        return question if len(pieces) <= MAX_QUESTION_TOKENS else question[: pieces[MAX_QUESTION_TOKENS - 1][1]]

    def _scores(self, feed: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        if self._session is not None:
            start, end = self._session.run(None, feed)
            return start, end
        import torch

        with self._lock, torch.inference_mode():
            start, end = self._model()(**{k: torch.from_numpy(v) for k, v in feed.items()})
        return start.numpy(), end.numpy()


def _card_of(weights: Path) -> dict:
    """The card written beside a weights file by its training ({} where there is none)."""
    try:
        return json.loads(weights.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _statement_mask(text: str, pair, sentence_start: int = 0) -> np.ndarray:
    """Where an answer may start or end: the sentence's tokens (not the context before it) after its
    dateline, if it opens with one ("BRISTOW, March 4, 2025 - The line opened on Monday": not "March
    4, 2025", not "BRISTOW"). Context and dateline are still read."""
    statement_start = sentence_start + dateline_end(text[sentence_start:])
    return sentence_mask(pair.offsets, answer_mask(pair.sequence_ids), statement_start)


_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
ONNX_EXPORT_VERSION = 2  # bump when the exported graph changes: older exports are made again
ONNX_TOLERANCE = 1e-3  # start/end scores; an export that differs more from PyTorch is not used
# The int8 graph's name says how it was quantized (7-bit weights, see `_quantize`): a cache holding
# one quantized otherwise (8-bit weights, read differently by each CPU) makes this one and drops that.
INT8_GRAPH = "reader.int8-w7.onnx"


def onnx_folder(encoder_dir: Path, weights: Path) -> Path:
    """Where the reader's ONNX graphs for this (encoder, weights) pair are kept, in the cache."""
    return cache_dir() / "onnx" / f"reader-v{ONNX_EXPORT_VERSION}-{encoder_dir.name}-{sha256_of(weights)[:16]}"


def _onnx_session(encoder_dir: Path, weights: Path, torch_model, precision: str = "int8"):
    """An onnxruntime session of the reader and its precision, exported (and quantized) once per
    (encoder, weights) into the cache. An int8 graph that cannot be made falls back to float32."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError as err:
        raise OnnxUnavailable("onnxruntime is not installed") from err
    from filelock import FileLock

    folder = onnx_folder(encoder_dir, weights)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "reader.onnx"
    quantized = folder / INT8_GRAPH
    rejected = folder / "reader.int8.rejected"
    with FileLock(str(folder) + ".lock"):
        if not target.is_file():
            rejected.unlink(missing_ok=True)  # a new float graph deserves a new int8 check
            _export(torch_model(), target)
        if precision == "int8" and not quantized.is_file() and not _int8_was_rejected(rejected):
            for stale in folder.glob("reader.int8*.onnx"):  # quantized otherwise by an earlier version
                stale.unlink(missing_ok=True)
            try:
                _quantize(target, quantized, encoder_dir)
            except Int8Disagrees as err:
                # The verdict holds for this graph and this onnxruntime: quantizing again at every
                # start would only repeat it (seconds before the first answer), so it is remembered.
                logger.warning("reader runs in float32: %s", err)
                rejected.write_text(_onnxruntime_version(), encoding="utf-8")
            except OnnxUnavailable as err:
                logger.warning("reader runs in float32: %s", err)
    if precision == "int8" and quantized.is_file():
        try:
            return onnx_session(quantized), "int8"
        except Exception as err:  # a damaged file: made again next time
            quantized.unlink(missing_ok=True)
            logger.warning("reader runs in float32: cannot load %s: %s", quantized, err)
    try:
        return onnx_session(target), "float32"
    except Exception as err:  # a damaged file: made again next time
        target.unlink(missing_ok=True)
        raise OnnxUnavailable(f"cannot load {target}: {err}") from err


class Int8Disagrees(OnnxUnavailable):
    """The int8 reader reads the probe otherwise than the float one: with this graph and this
    onnxruntime it always will, unlike a failure to write the file."""


INT8_CHECK_VERSION = 3  # bump when the probe check changes: an older verdict is not trusted


def _onnxruntime_version() -> str:
    """What a remembered verdict is keyed by: this onnxruntime and this check."""
    import onnxruntime

    return f"{onnxruntime.__version__} check-v{INT8_CHECK_VERSION}"


def _int8_was_rejected(marker: Path) -> bool:
    """True when the int8 check failed before with this onnxruntime (another version quantizes anew)."""
    try:
        return marker.read_text(encoding="utf-8").strip() == _onnxruntime_version()
    except OSError:
        return False


_PROBE = [  # (question, sentence) pairs an export must read as PyTorch does, and int8 as the float graph
    ("Who met the envoy?", "He met Keith Kellogg in Munich on Friday."),
    ("How far did they advance?", "Ukrainian troops advanced 2.5 km (1.5 miles) into Russia's Kursk region."),
    ("When was the data released?", "According to Forbes data released in 2023, the resources are worth $14.8 trillion."),
    ("What share is occupied?", "Nearly 20% of the mineral-rich lands are under Russian occupation."),
]


def _export(model, target: Path) -> None:
    """torch -> ONNX, checked against PyTorch on the probe pairs before it is trusted; written atomically."""
    import torch

    probe = probe_inputs(Path(model.encoder.name_or_path))
    sample = {k: torch.from_numpy(probe[k]) for k in _INPUTS}
    with torch.no_grad():
        want = [t.numpy() for t in model(**sample)]

    def differs_from_pytorch(session) -> float:
        return max(float(np.abs(g - w).max()) for g, w in zip(session.run(None, probe), want))

    axes = {"start": {0: "batch", 1: "tokens"}, "end": {0: "batch", 1: "tokens"}}
    export_onnx(model, sample, axes, target, differs_from_pytorch, ONNX_TOLERANCE)


INT8_MARGIN_TOLERANCE = 1.0  # how far int8 may move a probe pair's margin (the median move is about 0.4)


def _quantize(source: Path, target: Path, encoder_dir: Path) -> None:
    """Dynamic int8 quantization (weights per output channel, in 7 bits) of the float reader, trusted
    only if it reads every probe pair as the float graph does: the same best span wherever the float
    reader would answer (margin > 0), every margin within INT8_MARGIN_TOLERANCE; written atomically.
    Where the float reader says "not here", which of its low-scoring spans is best is a near-tie no
    reading depends on, as was comparing each token's top score. Figures in docs/experiments.md."""
    try:
        import onnxruntime as ort
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as err:
        raise OnnxUnavailable(f"{err.name} is not installed, so the int8 reader cannot be made") from err
    with graph_written_atomically(target, "int8 quantization") as tmp, _without_preprocessing_advice():
        # 7-bit weights (reduce_range): with 8, a CPU without VNNI saturates the int16 sums of its u8 x s8
        # products and one with VNNI or AMX does not, so the same question read otherwise on two laptops
        # (logits up to 1.4 apart); with 7 no sum can saturate and every x86 CPU computes the same
        # integers, as fast (docs/experiments.md, "The int8 reader reads the same on every CPU").
        quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)
        readings = [probe_readings(ort.InferenceSession(str(graph), providers=["CPUExecutionProvider"]), encoder_dir)
                    for graph in (source, tmp)]
        for float_guess, int8_guess in zip(*readings):
            answers = float_guess.margin > 0
            if answers and (float_guess.start, float_guess.end) != (int8_guess.start, int8_guess.end):
                raise Int8Disagrees("the int8 reader points at other spans than the float reader on the probe")
            if abs(float_guess.margin - int8_guess.margin) > INT8_MARGIN_TOLERANCE:
                raise Int8Disagrees("the int8 reader's margins differ from the float reader's on the probe")


def probe_readings(session, encoder_dir: Path) -> list[SpanGuess]:
    """How a graph reads the probe pairs: each pair's best span and margin."""
    pairs = _probe_pairs(encoder_dir)
    starts, ends = session.run(None, model_inputs(pairs))
    return [
        best_span(sentence, starts[i], ends[i], np.array(p.offsets), answer_mask(p.sequence_ids))
        for i, ((_, sentence), p) in enumerate(zip(_PROBE, pairs))
    ]


def probe_inputs(encoder_dir: Path) -> dict[str, np.ndarray]:
    """The graph's inputs for the probe pairs, tokenised as the reader tokenises."""
    return model_inputs(_probe_pairs(encoder_dir))


def _probe_pairs(encoder_dir: Path):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(encoder_dir / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.enable_padding()
    return tokenizer.encode_batch(_PROBE)


@contextmanager
def _without_preprocessing_advice():
    """onnxruntime's quantizer advises on the root logger to pre-process the graph first; for this
    graph the probe check, not the advice, decides, and users should not see it on their first start."""
    advice = logging.Filter()
    advice.filter = lambda record: "pre-processing before quantization" not in record.getMessage()
    logging.getLogger().addFilter(advice)
    try:
        yield
    finally:
        logging.getLogger().removeFilter(advice)


_shared: dict[Path, Reader] = {}
_shared_lock = threading.Lock()


def shared_reader(encoder_dir: Path | None = None) -> Reader:
    """One reader per process: engines share it like they share the embedder."""
    from qa.model_files import bundled_minilm_dir

    folder = encoder_dir or bundled_minilm_dir()
    with _shared_lock:
        if folder not in _shared:
            _shared[folder] = Reader(folder)
        return _shared[folder]
