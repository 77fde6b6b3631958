"""Retrieval quality on XQuAD-en (1,190 questions) with the 2,225 BBC News articles as distractors.

Compares, in one run over the same documents and embedding model: dense only, BM25 only, hybrid
(RRF), hybrid + rerank, hybrid + rerank + MMR, and the naive LangChain baseline
(RecursiveCharacterTextSplitter 1000/200 + Chroma similarity search). A hit is a retrieved passage
of the gold article that overlaps a gold answer span. Prints recall@1/5/10, MRR, latency p50/p95.
The index is cached in ~/.cache/research-assistant/bench/ (ingest is incremental).
Usage: python benchmarks/retrieval_quality.py [--limit N] [--no-baseline] [--embedding-backend torch]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from assistant import Assistant
from assistant.domain import Passage
from assistant.settings import Settings
from evals.datasets import GoldQuestion, write_bbc, write_xquad
from evals.sources import BBC, XQUAD, locator_for, require

CACHE = Path.home() / ".cache" / "research-assistant" / "bench"


def hit_rank(q: GoldQuestion, doc_id: str, passages: list[tuple[str, int, int]]) -> int | None:
    for rank, (d, a, b) in enumerate(passages, 1):
        if d == doc_id and any(a < e and s < b for s, e in q.spans):
            return rank
    return None


def report(name: str, ranks: list[int | None], latencies: list[float]) -> dict[str, float]:
    n = len(ranks)
    row = {f"recall@{k}": sum(1 for r in ranks if r and r <= k) / n for k in (1, 5, 10)}
    row["mrr"] = sum(1 / r for r in ranks if r) / n
    lat = sorted(latencies)
    row["p50_ms"] = 1000 * statistics.median(lat)
    row["p95_ms"] = 1000 * lat[int(0.95 * (len(lat) - 1))]
    print(f"| {name} | " + " | ".join(f"{row[k]:.3f}" for k in ("recall@1", "recall@5", "recall@10", "mrr"))
          + f" | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} |", flush=True)
    return row


def evaluate(a: Assistant, questions: list[GoldQuestion], doc_ids: dict[str, str], **retriever: object) -> tuple:
    r = a.retriever
    saved = {key: getattr(r, key) for key in retriever}
    for key, value in retriever.items():
        setattr(r, key, value)
    ranks, lat = [], []
    for q in questions:
        t = time.perf_counter()
        ps: list[Passage] = r.passages(q.question, 10)
        lat.append(time.perf_counter() - t)
        ranks.append(hit_rank(q, doc_ids[q.doc_file], [(p.doc_id, p.char_start, p.char_end) for p in ps]))
    for key, value in saved.items():
        setattr(r, key, value)
    return ranks, lat


def naive_baseline(a: Assistant, folders: list[Path], questions: list[GoldQuestion], doc_ids: dict[str, str]) -> tuple:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from assistant.ingest.parse import iter_files, parse_file

    docs = [Document(page_content=d.text, metadata={"doc_id": d.doc_id})
            for f in iter_files(folders) for d in parse_file(f)]
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
    chunks = splitter.split_documents(docs)
    t = time.perf_counter()
    store = Chroma.from_documents(chunks, a.embedder, collection_name="naive",
                                  persist_directory=str(CACHE / "naive"), collection_metadata={"hnsw:space": "cosine"})
    print(f"naive baseline: {len(chunks)} chunks embedded in {time.perf_counter() - t:.0f}s", flush=True)
    ranks, lat = [], []
    for q in questions:
        t = time.perf_counter()
        found = store.similarity_search(q.question, k=10)
        lat.append(time.perf_counter() - t)
        spans = [(d.metadata["doc_id"], d.metadata["start_index"], d.metadata["start_index"] + len(d.page_content))
                 for d in found]
        ranks.append(hit_rank(q, doc_ids[q.doc_file], spans))
    store.delete_collection()
    return ranks, lat


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, help="only the first N questions")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--embedding-backend", default="onnx-int8", choices=["onnx-int8", "onnx", "torch"])
    args = ap.parse_args()
    xquad_dir, bbc_dir = CACHE / "xquad", CACHE / "bbc"
    questions = write_xquad(xquad_dir, require(XQUAD, locator_for(Settings())))[: args.limit]
    write_bbc(require(BBC, locator_for(Settings())), bbc_dir)
    backend = args.embedding_backend
    a = Assistant(CACHE / ("data" if backend == "torch" else f"data-{backend}"), llm_backend="extractive",
                  embedding_backend=backend)
    report_ingest = a.ingest([xquad_dir, bbc_dir])
    print(report_ingest.summary().splitlines()[0], f"; index holds {a.index.count()} chunks", flush=True)
    doc_ids = {Path(d.source_path).name: d.doc_id for d in a.index.documents()}
    a.retriever.passages("warm up the keyword index", 5)
    print(f"\n{len(questions)} questions\n")
    print("| retriever | recall@1 | recall@5 | recall@10 | MRR | p50 ms | p95 ms |\n|---|---|---|---|---|---|---|")
    configs: dict[str, dict[str, Any]] = {
        "dense only": {"mode": "dense", "reranker": None, "mmr_lambda": 1.0},
        "BM25 only": {"mode": "keyword", "reranker": None, "mmr_lambda": 1.0},
        "hybrid (RRF)": {"mode": "hybrid", "reranker": None, "mmr_lambda": 1.0},
        "hybrid + rerank": {"mode": "hybrid", "mmr_lambda": 1.0},
        "hybrid + rerank + MMR (default)": {"mode": "hybrid"},
    }
    for name, cfg in configs.items():
        if "reranker" not in cfg and a.retriever.reranker is None:
            continue
        report(name, *evaluate(a, questions, doc_ids, **cfg))
    if not args.no_baseline:
        report("naive LangChain (1000/200 + Chroma)", *naive_baseline(a, [xquad_dir, bbc_dir], questions, doc_ids))


if __name__ == "__main__":
    main()
