"""Retrieval: query text to ranked `Passage`s, also as a LangChain `BaseRetriever`.

Hybrid by default: dense search in Chroma (cosine of normalised sentence-transformer vectors) and
BM25 (`bm25.py`) each propose `candidates` chunks; reciprocal rank fusion merges them; an optional
reranker (`rerank.py`) reorders the pool; maximal marginal relevance picks the final k so that
near-identical passages do not crowd each other out. Every passage keeps its cosine similarity to
the query as `score`, which is what the refusal threshold reads. This module does not decide refusal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, replace
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever

from assistant.backends.embedding import SentenceEmbeddings
from assistant.dates import date_weight, question_range, to_day
from assistant.domain import Passage
from assistant.retrieve.bm25 import KeywordIndex
from assistant.retrieve.rerank import FeatureReranker
from assistant.store.index import Index

RRF_K = 60


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Merge ranked id lists: score(id) = sum over lists of 1 / (k + rank)."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking, 1):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda x: -x[1])


def mmr(relevance: Sequence[float], vectors: np.ndarray, k: int, lam: float) -> list[int]:
    """Indices of k items by maximal marginal relevance (lam=1: relevance order only)."""
    chosen: list[int] = []
    rest = list(range(len(relevance)))
    while rest and len(chosen) < k:
        if chosen and lam < 1.0:
            sim = vectors[rest] @ vectors[chosen].T
            scores = [lam * relevance[i] - (1 - lam) * float(sim[j].max()) for j, i in enumerate(rest)]
        else:
            scores = [relevance[i] for i in rest]
        best = rest[int(np.argmax(scores))]
        chosen.append(best)
        rest.remove(best)
    return chosen


class PassageRetriever(BaseRetriever):
    """LangChain retriever over our index; each LangChain Document carries its `Passage`."""

    index: Any
    embedder: Any
    keyword: Any = None
    reranker: Any = None
    k: int = 4
    mode: str = "hybrid"
    candidates: int = 30
    mmr_lambda: float = 0.8
    recency_half_life_days: float = 0.0

    def pool(self, query: str, extra: Sequence[str] = ()) -> tuple[list[Passage], list[float], list[float]]:
        """The fused candidates, best first, with their BM25 scores and fused (RRF) scores.

        `extra` chunk ids (e.g. the passages the previous turn cited) join the pool as a third ranking.
        Near-duplicate articles are folded into their representative ("also published by").
        """
        index: Index = self.index
        embedder: SentenceEmbeddings = self.embedder
        vector = embedder.embed_query(query)
        dense = index.query(vector, self.candidates) if self.mode in ("hybrid", "dense") else []
        keyword: KeywordIndex | None = self.keyword
        sparse = keyword.search(query, self.candidates) if keyword and self.mode in ("hybrid", "keyword") else []
        fused = reciprocal_rank_fusion([[p.chunk_id for p in dense], [cid for cid, _ in sparse], list(extra)])
        by_id = {p.chunk_id: p for p in dense}
        missing = [cid for cid, _ in fused if cid not in by_id]
        by_id.update({p.chunk_id: p for p in index.passages(missing, vector)})
        fused = [(cid, s) for cid, s in fused if cid in by_id]
        pool = _fold_duplicates([by_id[cid] for cid, _ in fused], index)
        keep = {p.chunk_id for p in pool}
        fused = [(cid, s) for cid, s in fused if cid in keep]
        bm25 = dict(sparse)
        return pool, [bm25.get(p.chunk_id, 0.0) for p in pool], [s for _, s in fused]

    def passages(self, query: str, k: int | None = None, extra: Sequence[str] = ()) -> list[Passage]:
        """The k passages for `query`: fused pool -> rerank -> date weighting -> MMR."""
        index: Index = self.index
        k = k or self.k
        pool, bm25, relevance = self.pool(query, extra)
        if not pool:
            return []
        if self.reranker is not None:
            relevance = list(self.reranker.scores(query, pool, bm25, relevance))
            if isinstance(self.reranker, FeatureReranker):  # calibrated probabilities: the refusal reads them
                pool = [replace(p, relevance=round(r, 4))
                        for p, r in zip(pool, relevance, strict=True)]
        newest = index.docs.newest_day()
        wanted = question_range(query, newest)
        if wanted or self.recency_half_life_days > 0:
            relevance = [r * date_weight(to_day(p.date), wanted, newest,
                                         self.recency_half_life_days) for r, p in zip(relevance, pool, strict=True)]
        order = sorted(range(len(pool)), key=lambda i: -relevance[i])
        pool, relevance = [pool[i] for i in order], [relevance[i] for i in order]
        if self.mmr_lambda < 1.0 and len(pool) > k:
            head = pool[: 4 * k]
            vectors = index.vectors.embeddings([p.chunk_id for p in head])
            matrix = np.asarray([vectors[p.chunk_id] for p in head], dtype=np.float32)
            rel = np.asarray(relevance[: len(head)], dtype=np.float32)
            rel = (rel - rel.min()) / (rel.max() - rel.min() + 1e-9)  # on the same scale as cosine
            return [head[i] for i in mmr(list(rel), matrix, k, self.mmr_lambda)]
        return pool[:k]

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None, extra: Sequence[str] = ()) -> list[LCDocument]:
        """`retriever.invoke(query, k=..., extra=[...])`: the passages as LangChain Documents."""
        return [to_document(p) for p in self.passages(query, k, extra)]


def _fold_duplicates(pool: list[Passage], index: Index) -> list[Passage]:
    """Drop passages of near-duplicate articles whose representative exists; note them on it."""
    dups = index.docs.duplicates()
    if not dups:
        return pool
    also: dict[str, list[str]] = {}
    for dup, rep in dups.items():
        also.setdefault(rep, []).append(dup)
    out = []
    for p in pool:
        if p.doc_id in dups:
            continue
        if p.doc_id in also:
            copies = [index.document(d) for d in also[p.doc_id]]
            names = [d.source or d.title for d in copies]
            p = replace(p, also_published_by=tuple(names))
        out.append(p)
    return out


def to_document(p: Passage) -> LCDocument:
    """A LangChain Document whose metadata (JSON-serialisable) holds every field of the passage."""
    meta = {f.name: getattr(p, f.name) for f in fields(Passage) if f.name != "text"}
    meta["sentences"] = [list(s) for s in p.sentences]
    meta["also_published_by"] = list(p.also_published_by)
    return LCDocument(page_content=p.text, id=p.chunk_id, metadata=meta)


def to_passage(doc: LCDocument) -> Passage:
    """The passage a `to_document` Document was made from."""
    m = doc.metadata
    return Passage(text=doc.page_content, **{**m, "sentences": tuple(tuple(s) for s in m["sentences"]),
                                             "also_published_by": tuple(m["also_published_by"])})


def cosine_similarity(embedder: SentenceEmbeddings, text: str, others: list[str] | tuple[str, ...]) -> list[float]:
    """Cosine similarity of `text` to each of `others` (vectors are already normalised)."""
    if not others:
        return []
    vectors = np.asarray(embedder.embed_documents([text, *others]))
    return [float(x) for x in vectors[1:] @ vectors[0]]
