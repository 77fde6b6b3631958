"""The Chroma side of the index: chunk vectors and the metadata that filters them.

`open_collection` opens it embedded (`PersistentClient` under `data_dir/chroma`) or on a server
(`HttpClient` when `ASSISTANT_CHROMA_URL` is set), the same collection either way. The collection
remembers the embedder that built it (`embedding_model`, `dimension`); opening it with another is a
`ConfigError`, so vectors of two models never mix. A store that cannot be reached is a
`BackendUnavailable` that says so. `VectorStore` writes in server-sized batches, deletes a document's
chunks, and scores by cosine. Texts live in the document store (`documents.py`), not here.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlparse

import numpy as np

from assistant.domain import Chunk, Document
from assistant.errors import AssistantError, BackendUnavailable, ConfigError, disk_full, storage_full
from assistant.settings import StoreSettings

FileItem = tuple[Document, Sequence[Chunk], Sequence[Sequence[float]]]


def open_client(settings: StoreSettings) -> Any:
    """The Chroma client: embedded under `data_dir/chroma`, or the server at `chroma_url`."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        u = urlparse(settings.chroma_url)
        if not u.hostname:
            raise ConfigError(f"ASSISTANT_CHROMA_URL={settings.chroma_url!r} is not a URL like http://127.0.0.1:8000")
        return chromadb.HttpClient(host=u.hostname, port=u.port or (443 if u.scheme == "https" else 8000),
                                   ssl=u.scheme == "https", settings=chroma_settings)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def unavailable(settings: StoreSettings, exc: BaseException) -> AssistantError:
    """The one-line error for a store that cannot be reached or written, naming the likely fix."""
    if settings.chroma_url:
        return BackendUnavailable(f"could not reach the Chroma server at {settings.chroma_url} ({exc}); "
                                  "is it running (`chroma run --path DIR --port PORT`)?")
    if disk_full(exc, settings.data_dir):
        return storage_full(settings.data_dir)
    return BackendUnavailable(f"could not open the embedded Chroma store at {settings.chroma_dir} ({exc}); "
                              "check that the folder is writable with free space, or move ASSISTANT_DATA_DIR")


def open_collection(settings: StoreSettings, embedding_name: str, dimension: int, client: Any = None) -> Any:
    """The chunk collection (created when missing), refused when another embedder built it."""
    try:
        client = client or open_client(settings)
        collection = client.get_or_create_collection(
            settings.collection, embedding_function=None,
            metadata={"hnsw:space": "cosine", "embedding_model": embedding_name, "dimension": dimension},
        )
    except ConfigError:
        raise
    except Exception as exc:
        raise unavailable(settings, exc) from exc
    meta = collection.metadata or {}
    if meta.get("embedding_model") not in (None, embedding_name) or meta.get("dimension") not in (None, dimension):
        raise ConfigError(f"the index in {settings.data_dir} was built with {meta.get('embedding_model')!r}, "
                          f"not {embedding_name!r}; use another ASSISTANT_DATA_DIR or ASSISTANT_COLLECTION")
    return collection


class VectorStore:
    """A Chroma collection of chunk vectors; chunk ids are `doc_id:start-end`, so writes are idempotent.

    `reopen()` drops this process's view of an embedded store and reads it afresh from disk: an embedded
    Chroma client keeps its vector index in memory and does not see another process's writes (its
    nearest-neighbour search would miss them, and a write from a stale view could clobber them).
    """

    def __init__(self, collection: Any, opener: Callable[[], Any] | None = None) -> None:
        self.collection = collection
        self._opener = opener
        self._retired: list[Any] = []

    def reopen(self) -> None:
        """A fresh client on the same store (a no-op without an opener, e.g. a server, always coherent)."""
        if self._opener is None:
            return
        from chromadb.api.shared_system_client import SharedSystemClient

        for client in self._retired:  # the views retired last time: no query can still be using them
            with contextlib.suppress(Exception):
                client._system.stop()
        self._retired = [self.collection._client]
        SharedSystemClient.clear_system_cache()  # the next client reads the store from disk
        self.collection = self._opener()

    def upsert(self, items: Sequence[FileItem]) -> None:
        """Vectors, filterable metadata and the chunk's offsets (texts live in the document store)."""
        rows = [(doc, c, v) for doc, chunks, vectors in items for c, v in zip(chunks, vectors, strict=True)]
        step = max(1, min(5000, self._max_batch()))
        for i in range(0, len(rows), step):
            part = rows[i:i + step]
            self.collection.upsert(
                ids=[c.chunk_id for _, c, _ in part],
                embeddings=np.asarray([v for _, _, v in part], dtype=np.float32),
                metadatas=[{"doc_id": d.doc_id, "title": d.title, "source": d.source, "date": d.date, "url": d.url,
                            "char_start": c.char_start, "char_end": c.char_end, "source_path": d.source_path,
                            "sentences": json.dumps(c.sentences)} for d, c, _ in part],
            )

    def _max_batch(self) -> int:
        try:
            return int(self.collection._client.get_max_batch_size())
        except Exception:
            return 1000

    def delete_document(self, doc_id: str) -> None:
        self.collection.delete(where={"doc_id": doc_id})

    def cosine(self, chunk_ids: Sequence[str], vector: Sequence[float]) -> dict[str, float]:
        """Cosine similarity of each stored chunk to `vector`."""
        got = self.collection.get(ids=list(chunk_ids), include=["embeddings"])
        q = np.asarray(vector, dtype=np.float32)
        scores = {}
        for cid, emb in zip(got["ids"], got["embeddings"], strict=True):
            e = np.asarray(emb, dtype=np.float32)
            scores[cid] = float(e @ q / (np.linalg.norm(e) * np.linalg.norm(q) + 1e-12))
        return scores

    def embeddings(self, chunk_ids: Sequence[str]) -> dict[str, list[float]]:
        if not chunk_ids:
            return {}
        got = self.collection.get(ids=list(chunk_ids), include=["embeddings"])
        return {cid: list(e) for cid, e in zip(got["ids"], got["embeddings"], strict=True)}

    def count(self) -> int:
        return int(self.collection.count())

    def ids(self) -> list[str]:
        return list(self.collection.get(include=[])["ids"])

    def nearest(self, vector: Sequence[float], k: int, where: dict[str, Any] | None = None) -> dict[str, float]:
        """The k nearest chunk ids, nearest first, with cosine similarity (1 - cosine distance)."""
        n = self.count()
        if n == 0:
            return {}
        res = self.collection.query(query_embeddings=[list(vector)], n_results=min(k, n), where=where,
                                    include=["distances"])
        return {cid: 1.0 - float(dist) for cid, dist in zip(res["ids"][0], res["distances"][0], strict=True)}
