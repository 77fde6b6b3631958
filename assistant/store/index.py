"""The index: the Chroma vectors (`vectors.py`) and the SQLite document store (`documents.py`), kept in step.

Crash safety: before touching Chroma an intent ("add doc X" / "delete doc Y") is logged in SQLite; the
manifest commit is one transaction; `recover()` replays unfinished intents on the next start. So an
interrupted ingest never leaves duplicates or orphans once it is re-run. The near-duplicate decision
(SimHash, `dedup.py`) is taken here, when a document is first stored. This module stores and
looks up; it does not parse, chunk or embed (see `ingest/`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from assistant.domain import Document, Passage
from assistant.errors import AssistantError, StoreDamaged, storage_full
from assistant.settings import StoreSettings
from assistant.store.dedup import find_duplicate, simhash
from assistant.store.documents import DocumentInfo, DocumentStore
from assistant.store.health import REBUILD_HINT, full_disk, storage_error
from assistant.store.lock import WriteLock
from assistant.store.remote import ServerDocumentStore
from assistant.store.vectors import FileItem, VectorStore, open_client, open_collection, unavailable

__all__ = ["DocumentInfo", "FileItem", "Index"]


class Index:
    """Chroma + SQLite for one data dir. Thread-safe for one process; one writer at a time.

    `docs` (SQLite) and `vectors` (Chroma) are public for reads; writes go through this class, which
    orders them across the two stores.
    """

    def __init__(self, settings: StoreSettings, embedding_name: str, dimension: int) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = WriteLock(settings.lock_path)

        def opener(client: Any = None) -> Any:
            return open_collection(settings, embedding_name, dimension, client)

        self.docs: DocumentStore | ServerDocumentStore
        if settings.chroma_url:  # everything on the server: any machine answers (see remote.py)
            client = open_client(settings)
            self.vectors = VectorStore(opener(client))
            try:
                self.docs = ServerDocumentStore(client, settings, self.vectors.collection)
            except Exception as exc:
                raise unavailable(settings, exc) from exc
        else:
            try:
                self.docs = DocumentStore(settings.store_path)
            except sqlite3.DatabaseError as exc:
                raise storage_error(settings, exc) from exc
            self.vectors = VectorStore(opener(), opener)
        self._seen = self.docs.state()  # the stores' state this process's vector view reflects
        self._view = threading.Lock()
        self.damage: str | None = None  # set by `recover`: the stores disagree
        try:
            self.recover()
        except sqlite3.DatabaseError as exc:
            raise storage_error(settings, exc) from exc
        if self.damage:
            raise StoreDamaged(self.damage)

    @contextmanager
    def _writes(self) -> Iterator[None]:
        """Hold the write lock; a full disk becomes `StorageFull` (the intents make the next run whole)."""
        with self._lock:
            try:
                yield
            except AssistantError:
                raise
            except Exception as exc:
                if full_disk(self.settings, exc):
                    raise storage_full(self.settings.data_dir) from exc
                raise

    def _sync(self) -> None:
        """Re-read the embedded vector store when another process changed it since this one last looked
        (the stores' state moved without us): a stale view misses other processes' vectors, and writing
        from one would clobber them."""
        if self.settings.chroma_url:  # a server is one view for every client: nothing to re-read
            return
        state = self.docs.state()
        if state != self._seen:
            with self._view:
                if state != self._seen:
                    self.vectors.reopen()
                    self._seen = state

    def _wrote(self) -> None:
        """After this process's own commit (under the write lock): its view already holds its writes."""
        if not self.settings.chroma_url:
            self._seen = self.docs.state()

    # ---- writing -------------------------------------------------------------------------
    def recover(self) -> bool:
        """Finish or undo whatever an interrupted run left: no duplicates, no orphans.

        Only when no live writer holds the data dir's write lock: a live writer's intents are its own,
        between its Chroma write and its commit, and undoing them would lose its work. Returns whether
        recovery ran.
        """
        if not self._lock.try_acquire():
            return False
        try:
            self._sync()
            for doc_id in self.docs.intents("add"):
                if not self.docs.has(doc_id) or not self.docs.files_of(doc_id):  # never committed, or never linked
                    self.docs.touch()  # before the vector write: other processes' views are now stale
                    self.vectors.delete_document(doc_id)
                    with self.docs.transaction():
                        self.docs.delete(doc_id)
                        self.docs.bump()
                self.docs.clear_intents([doc_id], "add")
            self._apply_deletes()
            self._wrote()
            self.damage = self._compare_counts()
        finally:
            self._lock.release()
        return True

    def _compare_counts(self) -> str | None:
        """With no writer live, the document store's chunks and the vectors must be as many (cheap: counts)."""
        rows, vectors = self.docs.chunk_count(), self.vectors.count()
        if rows == vectors:
            return None
        what = "vectors" if vectors < rows else "documents"
        return (f"the index is damaged: {rows} chunks in the document store, {vectors} vectors (the {what} were "
                f"lost); {REBUILD_HINT}")

    def writing(self) -> WriteLock:
        """Hold to make a read-then-write sequence atomic against other writers, in this process and in
        others on the same data dir (reads never wait)."""
        return self._lock

    def put_files(self, files: Sequence[tuple[str, str, Sequence[FileItem]]]) -> int:
        """Make each file's documents exactly its items (document, chunks, vectors); returns chunks written.

        One Chroma upsert (in server-sized batches) and one SQLite transaction for all the files.
        Documents already stored may come without vectors: they are only linked to the file.
        """
        with self._writes():
            self._sync()
            new = self._new_items(files)
            if new:
                self.docs.log_intents(new, "add")
                self.docs.touch()  # before the vector write: other processes' views are now stale
                self.vectors.upsert(list(new.values()))
            with self.docs.transaction():
                for doc, chunks, _ in new.values():
                    fingerprint = simhash(doc.text)
                    dup_of = find_duplicate(fingerprint, self.docs.fingerprints()) if len(doc.text) > 200 else None
                    self.docs.insert(doc, chunks, fingerprint, dup_of)
                if new:
                    self.docs.bump()
                old: set[str] = set()
                for file, file_sha, items in files:
                    old |= self.docs.link(file, file_sha, [d for d, _, _ in items])
                self.docs.orphan(old)  # after every file's links: a document may move to a later file of the batch
                self.docs.clear_intents(new, "add")
            self._apply_deletes()
            self._wrote()
        return sum(len(c) for _, c, _ in new.values())

    def _new_items(self, files: Sequence[tuple[str, str, Sequence[FileItem]]]) -> dict[str, FileItem]:
        """The items whose documents are not stored yet (each once), which must come with their vectors."""
        new: dict[str, FileItem] = {}
        for _, _, items in files:
            for doc, chunks, vectors in items:
                if doc.doc_id not in new and not self.docs.has(doc.doc_id):
                    if len(vectors) != len(chunks):
                        raise AssistantError(f"{doc.source_path}: document {doc.doc_id} has no vectors and "
                                             "is not in the index (removed meanwhile?); ingest again")
                    new[doc.doc_id] = (doc, chunks, vectors)
        return new

    def remove_files(self, files: Iterable[str]) -> int:
        """Forget files (e.g. deleted from disk): their documents go unless another file has them."""
        files = list(files)
        with self._writes():
            self._sync()
            with self.docs.transaction():
                self.docs.orphan(self.docs.unlink(files))
            deleted = self._apply_deletes()
            self._wrote()
            return deleted

    def remove_document(self, doc_id: str) -> list[str]:
        """Forget the files that produced `doc_id` (so their other documents go too); returns those files."""
        files = self.docs.files_of(doc_id)
        self.remove_files(files)
        return files

    def _apply_deletes(self) -> int:
        doc_ids = self.docs.intents("delete")
        for doc_id in doc_ids:
            self.docs.touch()  # before the vector write: other processes' views are now stale
            self.vectors.delete_document(doc_id)
            with self.docs.transaction():
                self.docs.delete(doc_id)
                self.docs.bump()
                self.docs.clear_intents([doc_id], "delete")
        return len(doc_ids)

    # ---- reading -------------------------------------------------------------------------
    def has_document(self, doc_id: str) -> bool:
        return self.docs.has(doc_id)

    def document(self, doc_id: str) -> Document:
        return self.docs.document(doc_id)

    def documents(self) -> list[DocumentInfo]:
        return self.docs.documents()

    def count(self) -> int:
        self._sync()
        return self.vectors.count()

    def chunk_ids(self) -> list[str]:
        self._sync()
        return self.vectors.ids()

    def passages(self, chunk_ids: Sequence[str], vector: Sequence[float] | None = None) -> list[Passage]:
        """Passages for chunk ids, from the store; `score` is cosine to `vector` when given, else 0."""
        if not chunk_ids:
            return []
        scores = {}
        if vector is not None:  # only then are the vectors read
            self._sync()
            scores = self.vectors.cosine(chunk_ids, vector)
        rows = self.docs.chunk_rows(chunk_ids)
        out = []
        for cid in chunk_ids:
            if cid not in rows:
                continue
            _, doc_id, a, b, sentences, text, title, source, date, url = rows[cid]
            out.append(Passage(chunk_id=cid, doc_id=doc_id, text=text[a:b], char_start=a, char_end=b,
                               score=scores.get(cid, 0.0), sentences=tuple(tuple(s) for s in json.loads(sentences)),
                               title=title or "", source=source or "", date=date or "", url=url or ""))
        return out

    def query(self, vector: Sequence[float], k: int, where: dict[str, Any] | None = None) -> list[Passage]:
        """The k nearest chunks; `score` is cosine similarity. Texts come from SQLite."""
        self._sync()
        scores = self.vectors.nearest(vector, k, where)
        return [replace(p, score=scores[p.chunk_id]) for p in self.passages(list(scores))]

    def close(self) -> None:
        self.docs.close()
