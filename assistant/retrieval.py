"""Retrieval: query text to ranked `Passage`s, also as a LangChain `BaseRetriever`.

Today: dense search in Chroma (cosine similarity of normalised sentence-transformer vectors).
The keyword index, fusion and reranking belong here too when they land; callers only see
`PassageRetriever.passages(query, k)`. This module does not decide refusal (see `pipeline.py`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever

from .index import Index
from .models import SentenceEmbeddings
from .types import Passage


class PassageRetriever(BaseRetriever):
    """LangChain retriever over our index; each LangChain Document carries its `Passage`."""

    index: Any
    embedder: Any
    k: int = 4

    def passages(self, query: str, k: int | None = None) -> list[Passage]:
        index: Index = self.index
        embedder: SentenceEmbeddings = self.embedder
        return index.query(embedder.embed_query(query), k or self.k)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        return [to_langchain(p) for p in self.passages(query)]


def to_langchain(p: Passage) -> LCDocument:
    return LCDocument(page_content=p.text, id=p.chunk_id,
                      metadata={**p.metadata, "doc_id": p.doc_id, "char_start": p.char_start,
                                "char_end": p.char_end, "score": p.score, "passage": p})


def cosine_similarity(embedder: SentenceEmbeddings, text: str, others: list[str] | tuple[str, ...]) -> list[float]:
    """Cosine similarity of `text` to each of `others` (vectors are already normalised)."""
    if not others:
        return []
    vectors = np.asarray(embedder.embed_documents([text, *others]))
    return [float(x) for x in vectors[1:] @ vectors[0]]
