"""The store's health, and the way back from damage: what `assistant check` and `assistant rebuild` do.

`inspect` opens the document store and the vector store separately (either may be missing or broken)
and compares them: documents, chunk rows, vectors, files in the manifest, vectors without a row
(orphans), rows without a vector (missing), pending intents. `damage` is the cheap version run when an
index opens, so `ask` and `ingest` stop with one line naming the fix instead of answering from half a
store. `reset` moves a damaged embedded document store aside (never deletes it) and drops the vector
collection; the caller then re-ingests the files the stores recorded (`recorded_files`). It does not
parse or embed.
"""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass, field
from typing import Any

from assistant.errors import AssistantError, StoreDamaged, disk_full, storage_full
from assistant.settings import StoreSettings

REBUILD_HINT = "run `assistant rebuild` (it re-ingests the files the index recorded; `assistant check` shows details)"


@dataclass(frozen=True)
class Health:
    """Counts per store (None: that store cannot be read) and the problems found, each naming its fix."""

    documents: int | None = None
    chunk_rows: int | None = None
    vectors: int | None = None
    files: int | None = None
    orphans: int = 0
    missing: int = 0
    pending: dict[str, int] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "documents": self.documents, "chunk_rows": self.chunk_rows, "vectors": self.vectors,
                "files": self.files, "orphans": self.orphans, "missing": self.missing, "pending": self.pending,
                "problems": list(self.problems)}

    def render(self) -> str:
        def n(v: int | None) -> str:
            return "unreadable" if v is None else str(v)

        lines = [f"documents: {n(self.documents)}", f"files in the manifest: {n(self.files)}",
                 f"chunks in the document store: {n(self.chunk_rows)}", f"vectors: {n(self.vectors)}",
                 f"vectors without a document (orphans): {self.orphans}",
                 f"chunks without a vector (missing): {self.missing}",
                 "pending intents: " + (", ".join(f"{k} {v}" for k, v in self.pending.items()) or "none")]
        lines += [f"problem: {p}" for p in self.problems] or ["healthy"]
        return "\n".join(lines)


def compare(doc_chunks: set[str], vector_ids: set[str]) -> tuple[int, int, list[str]]:
    """(orphans, missing, problems) of a document store's chunk ids against the vector store's."""
    orphans, missing = len(vector_ids - doc_chunks), len(doc_chunks - vector_ids)
    problems = []
    if missing:
        problems.append(f"{missing} of {len(doc_chunks)} chunks have no vector (the vector store lost them); "
                        + REBUILD_HINT)
    if orphans:
        problems.append(f"{orphans} vectors belong to no stored document (the document store lost them); "
                        + REBUILD_HINT)
    return orphans, missing, problems


def damaged_store(settings: StoreSettings, exc: BaseException) -> str:
    """The one-line message for a document store that cannot be read."""
    where = settings.chroma_url or settings.store_path
    return f"the document store at {where} is damaged ({exc}); {REBUILD_HINT}"


def full_disk(settings: StoreSettings, exc: BaseException) -> bool:
    """Whether `exc` is the embedded store's disk being full (a server's disk is the server's business)."""
    return not settings.chroma_url and disk_full(exc, settings.data_dir)


def storage_error(settings: StoreSettings, exc: BaseException) -> AssistantError:
    """What a failing document store means to a person: a full disk (nothing lost), or damage to rebuild."""
    return storage_full(settings.data_dir) if full_disk(settings, exc) else StoreDamaged(damaged_store(settings, exc))


def inspect(settings: StoreSettings, open_docs: Any, open_vectors: Any) -> Health:
    """Open each store on its own (`open_docs()`, `open_vectors()`), tolerating either failing."""
    problems: list[str] = []
    docs = vectors = None
    try:
        docs = open_docs()
        infos = docs.documents()
        doc_chunks, _ = docs.chunk_texts()
        files = len({f for d in infos for f in docs.files_of(d.doc_id)})
        pending = {op: len(docs.intents(op)) for op in ("add", "delete")}
    except Exception as exc:
        problems.append(damaged_store(settings, exc))
        infos, doc_chunks, files, pending = [], [], 0, {}
    try:
        vectors = open_vectors()
        vector_ids = set(vectors.ids())
    except Exception as exc:
        problems.append(f"the vector store cannot be read ({exc}); {REBUILD_HINT}")
        vector_ids = set()
    orphans = missing = 0
    if docs is not None and vectors is not None:
        orphans, missing, found = compare(set(doc_chunks), vector_ids)
        problems += found
    if any(pending.values()):
        problems.append("an ingest was interrupted: its unfinished writes are undone the next time a command "
                        "opens the index while no other process writes")
    return Health(documents=len(infos) if docs is not None else None,
                  chunk_rows=len(doc_chunks) if docs is not None else None,
                  vectors=len(vector_ids) if vectors is not None else None,
                  files=files if docs is not None else None, orphans=orphans, missing=missing, pending=pending,
                  problems=tuple(problems))


def recorded_files(docs: Any, vectors: Any) -> set[str]:
    """The source files either store remembers (the manifest, or the vectors' `source_path` metadata)."""
    found: set[str] = set()
    if docs is not None:
        with contextlib.suppress(Exception):  # a damaged document store: the vectors may still know
            found |= {f for d in docs.documents() for f in docs.files_of(d.doc_id)}
    if vectors is not None:
        with contextlib.suppress(Exception):
            metas = vectors.collection.get(include=["metadatas"])["metadatas"] or []
            found |= {re.sub(r"#\d+$", "", m["source_path"]) for m in metas if m.get("source_path")}
    return found


def reset(settings: StoreSettings, client: Any) -> str | None:
    """Empty the stores for a rebuild: the embedded document store is moved aside (returned), the
    collections are dropped. Only under the write lock."""
    moved = None
    if not settings.chroma_url:
        for suffix in ("", "-wal", "-shm"):
            path = settings.store_path.with_name(settings.store_path.name + suffix)
            if path.exists():
                target = path.with_name(f"{settings.store_path.name}.damaged-{int(time.time())}{suffix}")
                path.replace(target)
                moved = moved or str(target)
    names = [settings.collection] + ([f"{settings.collection}-{s}" for s in ("documents", "files", "meta")]
                                     if settings.chroma_url else [])
    existing = {getattr(c, "name", c) for c in client.list_collections()}
    for name in names:
        if name in existing:
            client.delete_collection(name)
    return moved


def openers(settings: StoreSettings, embedding_name: str, dimension: int) -> tuple[Any, Any]:
    """Functions opening the document store and the vector store each on its own, without recovery."""
    from assistant.store.documents import DocumentStore
    from assistant.store.remote import ServerDocumentStore
    from assistant.store.vectors import VectorStore, open_client, open_collection

    def vectors() -> VectorStore:
        return VectorStore(open_collection(settings, embedding_name, dimension))

    def docs() -> Any:
        if settings.chroma_url:
            client = open_client(settings)
            return ServerDocumentStore(client, settings, open_collection(settings, embedding_name, dimension, client))
        return DocumentStore(settings.store_path)

    return docs, vectors
