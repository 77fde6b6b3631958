"""Sentence embedders behind LangChain's `Embeddings`: sentence-transformers (PyTorch) or ONNX Runtime.

- `TorchEmbeddings`: the model as sentence-transformers runs it, fp32 on the CPU.
- `OnnxEmbeddings`: the same model exported once to ONNX (PyTorch's exporter, from the local weights,
  never a download), with its MatMul weights quantised to int8 per channel by ONNX Runtime's dynamic
  quantiser ("onnx-int8", the default), or left in fp32 ("onnx"). The exported file is cached under
  `cache_dir/onnx/`. Tokenising uses the model's own `tokenizer.json` via `tokenizers`; pooling follows
  the model's `1_Pooling` config (mean or CLS), then L2 normalisation, as sentence-transformers does.
  int8 runs about twice as fast here (AVX-512 VNNI) with vectors at cosine >= 0.97 to fp32; an index
  remembers which `name` built it, so int8 and fp32 vectors never mix in one collection. int8 embeds
  each text on its own (see `OnnxEmbeddings.__init__`), calls spread over the cores.
Texts are sorted by length before batching (little padding).
This module does not pick the backend from settings (see `models.embeddings`).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import BackendUnavailable, ConfigError

_ENCODED_MAX = 1024  # an ingest counts at most ~3 batches of ~256 chunks ahead of the embedder


class SentenceEmbeddings(Embeddings):
    """What the rest of the code relies on: L2-normalised vectors, token counts, the model's max length."""

    name: str
    max_seq_length: int

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self.embed_array(list(texts)).tolist()

    def embed_array(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def count_tokens(self, text: str) -> int:
        """Length in the model's own tokenizer (with special tokens), to check chunks fit."""
        raise NotImplementedError


class TorchEmbeddings(SentenceEmbeddings):
    """sentence-transformers on PyTorch, fp32."""

    def __init__(self, model_path: str, batch_size: int = 8, name: str = "") -> None:
        from sentence_transformers import SentenceTransformer

        self.name = name or model_path
        self.batch_size = batch_size
        self.model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
        self.max_seq_length = int(self.model.max_seq_length or 512)
        # Counting runs on the ingest's main thread while another thread embeds: a tokenizer of its own,
        # since sentence-transformers changes the shared one's truncation settings on every call.
        self._counter = copy.deepcopy(self.model.tokenizer)

    def embed_array(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                            convert_to_numpy=True, show_progress_bar=False), dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(self._counter(text)["input_ids"])


class OnnxEmbeddings(SentenceEmbeddings):
    """The model on ONNX Runtime (fp32 or int8), exported from its local sentence-transformers directory."""

    def __init__(self, model_path: str, cache_dir: Path, quantize: bool = True, batch_size: int = 8,
                 name: str = "", workers: int = 0) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        root = Path(model_path)
        self.pooling = _pooling(root)
        self.max_seq_length = _max_seq_length(root)
        self.name = name or model_path
        # int8: one text per call. Dynamic quantisation scales activations per call, so padding and
        # batch partners would change a text's vector; alone, each text always gets the same one.
        self.batch_size = 1 if quantize else batch_size
        self.file = onnx_file(root, cache_dir, quantize)
        self.workers = workers or min(os.cpu_count() or 1, 8)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # parallel across calls instead: faster for these small matrices
        options.inter_op_num_threads = 1
        # ONNX Runtime's fused SkipLayerNormalization kernel is slow on this graph: without that one fusion
        # int8 runs 13% faster with the same vectors (cosine to fp32 unchanged; docs/benchmarks.md).
        self.session = ort.InferenceSession(str(self.file), options, providers=["CPUExecutionProvider"],
                                            disabled_optimizers=["SkipLayerNormFusion"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_seq_length)
        self.tokenizer.no_padding()
        self._counter = Tokenizer.from_file(str(root / "tokenizer.json"))
        self._counter.no_truncation()
        self._counter.no_padding()
        # count_tokens keeps each encoding that fits, for embed_array to use (ingest counts, then embeds).
        self._encoded: dict[str, Any] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def embed_array(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        groups = [order[i:i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        if len(groups) == 1 or self.workers == 1:
            parts = [self._batch([texts[j] for j in g]) for g in groups]
        else:
            parts = list(self._executor().map(lambda g: self._batch([texts[j] for j in g]), groups))
        out = np.zeros((len(texts), parts[0].shape[1]), dtype=np.float32)
        for g, vectors in zip(groups, parts, strict=True):
            out[g] = vectors
        return out

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="embed")
            return self._pool

    def _batch(self, texts: list[str]) -> np.ndarray:
        cached = [self._encoded.pop(t, None) for t in texts]
        encodings = cached if all(cached) else self.tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            n = len(e.ids)
            ids[row, :n], mask[row, :n], types[row, :n] = e.ids, e.attention_mask, e.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        hidden = self.session.run(None, {k: v for k, v in feeds.items() if k in self.inputs})[0]
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def count_tokens(self, text: str) -> int:
        encoding = self._counter.encode(text)
        n = len(encoding.ids)
        if n <= self.max_seq_length:  # what the truncating tokenizer would give too
            if len(self._encoded) >= _ENCODED_MAX:
                self._encoded.clear()
            self._encoded[text] = encoding
        return n


def onnx_file(model_dir: Path, cache_dir: Path, quantize: bool) -> Path:
    """The model's ONNX file (int8 or fp32), exported and cached on first use."""
    weights = sorted(p for p in model_dir.iterdir() if p.suffix in (".safetensors", ".bin"))
    if not weights or not (model_dir / "tokenizer.json").is_file():
        raise ConfigError(f"{model_dir} has no weights or tokenizer.json to export to ONNX; "
                          "set ASSISTANT_EMBEDDING_BACKEND=torch")
    key = hashlib.sha256(json.dumps([str(model_dir.resolve())] + [[p.name, p.stat().st_size] for p in weights])
                         .encode()).hexdigest()[:16]
    folder = cache_dir / "onnx"
    fp32 = folder / f"{model_dir.name}-{key}.onnx"
    int8 = folder / f"{model_dir.name}-{key}.int8.onnx"
    if not fp32.is_file():
        _atomic(fp32, lambda tmp: _export(model_dir, tmp))
    if quantize and not int8.is_file():
        _atomic(int8, lambda tmp: _quantize(fp32, tmp))
    return int8 if quantize else fp32


def _atomic(target: Path, write: Any) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".onnx.tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _export(model_dir: Path, out: Path) -> None:
    try:
        import onnx  # noqa: F401  (the exporter needs it)
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise BackendUnavailable(f"exporting the embedding model to ONNX needs {exc.name}; run `make install` "
                                 "or set ASSISTANT_EMBEDDING_BACKEND=torch") from exc

    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager", local_files_only=True).eval()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    example = tuple(torch.ones((2, 8), dtype=torch.long) for _ in names)
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(Encoder(), example, str(out), input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
                          opset_version=17, dynamo=False)


def _quantize(fp32: Path, out: Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantiser logs an irrelevant pre-processing hint at WARNING
    try:
        quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"])
    finally:
        root.setLevel(level)


def _pooling(root: Path) -> str:
    modules = json.loads((root / "modules.json").read_text()) if (root / "modules.json").is_file() else []
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if kinds and kinds not in (["Transformer", "Pooling", "Normalize"], ["Transformer", "Pooling"]):
        raise ConfigError(f"{root} has modules {kinds}; the ONNX backend handles Transformer + Pooling "
                          "(+ Normalize) only: set ASSISTANT_EMBEDDING_BACKEND=torch")
    config = root / "1_Pooling" / "config.json"
    cfg = json.loads(config.read_text()) if config.is_file() else {"pooling_mode_mean_tokens": True}
    if cfg.get("pooling_mode_cls_token"):
        return "cls"
    if cfg.get("pooling_mode_mean_tokens"):
        return "mean"
    raise ConfigError(f"{root}: only mean or CLS pooling run on ONNX; set ASSISTANT_EMBEDDING_BACKEND=torch")


def _max_seq_length(root: Path) -> int:
    config = root / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text()).get("max_seq_length") or 512)
    return 512
