"""A query to ranked passages: dense search and BM25 (`bm25.py`) fused by reciprocal rank, reranked
(`rerank.py`), weighted by the dates a question names (`assistant.dates`) and diversified (`retriever.py`, also a
LangChain retriever). It ranks; it does not decide refusal."""
