"""Scale-out: a Chroma server (`chroma run`) with 1M chunks' vectors; insert rate, query latency, memory.

The vectors are SYNTHETIC, of the embedder's dimension (384), because embedding 1M real chunks takes
over an hour on a 2-core CPU. They are derived from real ones: the 100k real BBC chunk vectors that
`benchmarks/retrieval.py` built (int8 embedder), each copied ten times with Gaussian noise (cosine ~0.85
to its source) and renormalised, so the collection has the neighbourhood structure of real text
(purely random unit vectors are HNSW's worst case and say little about real use). Queries are real:
BBC headlines embedded by the product's embedder. Each vector carries the metadata our chunks carry.
Baseline in the same run: the same queries when the collection held 100k vectors. Recall@10 of the
HNSW answer is measured against exact search (numpy), with Chroma's default `ef_search` (100) and 400.
The server is started on 127.0.0.1 at a free port with its data in a temp dir, and stopped at the end.
Usage: python benchmarks/scale.py [--total 1000000] [--checkpoints 100000,1000000] [--queries 200]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

DIM = 384


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(path: Path) -> tuple[subprocess.Popen[bytes], int]:
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if not exe:
        raise SystemExit("the chroma CLI comes with chromadb; is the venv active?")
    port = free_port()
    proc = subprocess.Popen([exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            return proc, port
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise SystemExit("chroma server did not start") from None
            time.sleep(0.3)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def real_vectors() -> tuple[np.ndarray, list[str]]:
    """The real chunk vectors of the 100k retrieval benchmark index, and BBC headlines as queries."""
    from assistant import Assistant

    data = Path.home() / ".cache" / "research-assistant" / "bench" / "retrieval-100000"
    if not data.is_dir():
        raise SystemExit("run benchmarks/retrieval.py first (it builds the 100k real-text index)")
    a = Assistant(data, llm_backend="extractive")
    got = a.index.vectors.collection.get(include=["embeddings"])
    titles = sorted({d.title for d in a.index.documents() if d.title})
    return np.asarray(got["embeddings"], dtype=np.float32), titles


def derived(base: np.ndarray, rng: np.random.Generator, start: int, n: int, sigma: float = 0.032) -> np.ndarray:
    v = base[np.arange(start, start + n) % len(base)] + rng.normal(0, sigma, (n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--total", type=int, default=1_000_000)
    ap.add_argument("--checkpoints", default="100000,1000000")
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    checkpoints = sorted(int(c) for c in args.checkpoints.split(","))
    rng = np.random.default_rng(0)
    base, titles = real_vectors()
    from assistant import Assistant

    embedder = Assistant(tempfile.mkdtemp(), llm_backend="extractive").embedder
    picked = [titles[i] for i in np.random.default_rng(1).permutation(len(titles))[:args.queries]]
    queries = embedder.embed_array(picked)
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start_server(Path(tmp) / "server")
        try:
            client = chromadb.HttpClient(host="127.0.0.1", port=port,
                                         settings=ChromaSettings(anonymized_telemetry=False))
            col = client.create_collection("synthetic", embedding_function=None, metadata={"hnsw:space": "cosine"})
            step = min(5000, int(client.get_max_batch_size()))
            stored = np.zeros((args.total, DIM), dtype=np.float32)
            n, t_insert = 0, 0.0
            print(f"server on 127.0.0.1:{port}; inserting {args.total:,} synthetic {DIM}-d vectors in "
                  f"batches of {step}", flush=True)
            print("\n| vectors | insert rate (cumulative) | ef_search | query p50 / p95 ms (top 30) | "
                  "recall@10 vs exact | server RSS | data on disk |\n|---|---|---|---|---|---|---|", flush=True)
            for target in checkpoints:
                while n < target:
                    m = min(step, target - n)
                    vectors = derived(base, rng, n, m)
                    stored[n:n + m] = vectors
                    t = time.perf_counter()
                    col.add(ids=[f"c{i}" for i in range(n, n + m)], embeddings=vectors,
                            metadatas=[{"doc_id": f"d{i // 4}", "char_start": 0, "char_end": 600, "title": "t",
                                        "date": "2026-11-29"} for i in range(n, n + m)])
                    t_insert += time.perf_counter() - t
                    n += m
                exact = np.argsort(-(stored[:n] @ queries.T), axis=0)[:10].T
                disk = sum(p.stat().st_size for p in (Path(tmp) / "server").rglob("*") if p.is_file()) / 1e6
                for ef in (None, 400):
                    if ef is not None:
                        col.modify(configuration={"hnsw": {"ef_search": ef}})
                    for q in queries[:10]:  # warm up
                        col.query(query_embeddings=[q], n_results=30, include=["metadatas", "distances"])
                    lat, recall = [], []
                    for q, truth in zip(queries, exact, strict=True):
                        t = time.perf_counter()
                        res = col.query(query_embeddings=[q], n_results=30, include=["metadatas", "distances"])
                        lat.append(1000 * (time.perf_counter() - t))
                        got = {int(i[1:]) for i in res["ids"][0][:10]}
                        recall.append(len(got & set(truth.tolist())) / 10)
                    lat.sort()
                    print(f"| {n:,} | {n / t_insert:,.0f} vectors/s | {ef or '100 (default)'} | "
                          f"{statistics.median(lat):.1f} / {lat[int(0.95 * (len(lat) - 1))]:.1f} | "
                          f"{statistics.mean(recall):.3f} | {rss_mb(proc.pid):,.0f} MB | {disk:,.0f} MB |", flush=True)
                col.modify(configuration={"hnsw": {"ef_search": 100}})  # back to the default
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
