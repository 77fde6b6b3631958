"""Retrieval latency and memory at 10k and 100k chunks of real text (BBC News), with and without rerank.

The chunks: every BBC News article (2,225) split into sentences, and windows of 1, 2 and 3
consecutive sentences taken as chunks (real text, overlapping windows), shuffled with a fixed seed;
the first 10,000 or 100,000 are indexed through the product's own `Index` (Chroma + SQLite) with the
default embedder, and the keyword index is built by the product. Each size is built once into the
bench cache and reused. Queries: 300 BBC headlines (real text; each headline's article is in the
corpus) asked in one process per size, top 10, after a warm-up.
Baselines in the same run: dense only (one Chroma query) and BM25 only. Memory: the process's peak
RSS after loading and querying, and the index's size on disk.
Usage: python benchmarks/retrieval.py [--sizes 10000,100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
CACHE = Path.home() / ".cache" / "research-assistant" / "bench"
CONFIGS: dict[str, dict[str, Any]] = {
    "dense only": {"mode": "dense", "reranker": None, "mmr_lambda": 1.0},
    "BM25 only": {"mode": "keyword", "reranker": None, "mmr_lambda": 1.0},
    "hybrid, no rerank": {"mode": "hybrid", "reranker": None, "mmr_lambda": 1.0},
    "hybrid + rerank": {"mode": "hybrid", "mmr_lambda": 1.0},
    "hybrid + rerank + MMR (default)": {"mode": "hybrid"},
}


def windows(limit: int) -> tuple[list[Any], list[Any]]:
    """(documents, chunks): sentence windows over the BBC articles, `limit` chunks."""
    from assistant.domain import Chunk
    from assistant.ingest.parse import iter_files, parse_file
    from assistant.settings import Settings
    from assistant.text import split_sentences
    from evals.datasets import write_bbc
    from evals.sources import BBC, locator_for, require

    corpus = write_bbc(require(BBC, locator_for(Settings())), CACHE / "bbc-all")
    docs = list({d.doc_id: d for f in iter_files([corpus]) for d in parse_file(f)}.values())  # BBC repeats some
    all_chunks = []
    for d in docs:
        spans = split_sentences(d.text)
        for width in (1, 2, 3):
            for i in range(len(spans) - width + 1):
                group = spans[i:i + width]
                a, b = group[0][0], group[-1][1]
                all_chunks.append(Chunk(d.doc_id, a, b, d.text[a:b], tuple(group)))
    random.Random(0).shuffle(all_chunks)
    if limit > len(all_chunks):
        raise SystemExit(f"only {len(all_chunks)} windows available")
    chunks = all_chunks[:limit]
    keep = {c.doc_id for c in chunks}
    return [d for d in docs if d.doc_id in keep], chunks


def build(size: int) -> Path:
    """The index of `size` chunks in the bench cache (built once)."""
    from tqdm import tqdm

    from assistant import Assistant

    data = CACHE / f"retrieval-{size}"
    a = Assistant(data, llm_backend="extractive")
    if a.index.count() == size:
        return data
    docs, chunks = windows(size)
    by_doc: dict[str, list[Any]] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c)
    t = time.perf_counter()
    batch: list[Any] = []
    with tqdm(total=size, desc=f"embedding {size:,} chunks", unit="chunk") as bar:
        for d in docs:
            mine = by_doc[d.doc_id]
            batch.append((d, mine))
            if sum(len(c) for _, c in batch) >= 2000 or d is docs[-1]:
                vectors = iter(a.embedder.embed_array([c.text for _, cs in batch for c in cs]))
                a.index.put_files([(f"window:{doc.doc_id}", "-", [(doc, cs, [next(vectors) for _ in cs])])
                                   for doc, cs in batch])
                bar.update(sum(len(c) for _, c in batch))
                batch = []
    a.retriever.passages("build the keyword index", 5)
    print(f"built {size:,} chunks in {time.perf_counter() - t:.0f}s", file=sys.stderr)
    return data


def measure(size: int, n_queries: int) -> dict[str, Any]:
    from assistant import Assistant

    data = build(size)
    a = Assistant(data, llm_backend="extractive")
    titles = [d.title for d in a.index.documents()]
    queries = [t for t in random.Random(1).sample(titles, min(n_queries, len(titles))) if t]
    r = a.retriever
    for q in queries[:20]:  # warm-up: load the keyword index, touch the HNSW graph
        r.passages(q, 10)
    out: dict[str, Any] = {"size": a.index.count(), "queries": len(queries), "rows": {}}
    embed_ms = []
    for q in queries:
        t = time.perf_counter()
        a.embedder.embed_query(q)
        embed_ms.append(1000 * (time.perf_counter() - t))
    out["embed_query_p50_ms"] = statistics.median(embed_ms)
    for name, cfg in CONFIGS.items():
        saved = {k: getattr(r, k) for k in cfg}
        for k, v in cfg.items():
            setattr(r, k, v)
        lat = []
        for q in queries:
            t = time.perf_counter()
            r.passages(q, 10)
            lat.append(1000 * (time.perf_counter() - t))
        for k, v in saved.items():
            setattr(r, k, v)
        lat.sort()
        out["rows"][name] = {"p50": statistics.median(lat), "p95": lat[int(0.95 * (len(lat) - 1))]}
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["disk_mb"] = sum(p.stat().st_size for p in data.rglob("*") if p.is_file()) / 1e6
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker, args.queries)))
        return
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        build(size)  # in this process, so that the measuring process only loads and queries
        out = subprocess.run([sys.executable, __file__, "--worker", str(size), "--queries", str(args.queries)],
                             check=True, capture_output=True, text=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    print("\n| retriever | " + " | ".join(f"{r['size']:,} chunks p50 / p95 ms" for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for name in CONFIGS:
        print(f"| {name} | " + " | ".join(f"{r['rows'][name]['p50']:.1f} / {r['rows'][name]['p95']:.1f}"
                                          for r in results) + " |")
    print("| (query embedding alone, p50) | " + " | ".join(f"{r['embed_query_p50_ms']:.1f}" for r in results) + " |")
    print("| peak RSS of the querying process | " + " | ".join(f"{r['peak_rss_mb']:.0f} MB" for r in results) + " |")
    print("| index on disk | " + " | ".join(f"{r['disk_mb']:.0f} MB" for r in results) + " |")
    print(f"\n{results[0]['queries']} queries (BBC headlines), top 10 each.")


if __name__ == "__main__":
    main()
