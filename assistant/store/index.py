"""The index: Chroma (vectors + chunk metadata) and a SQLite store (texts, offsets, manifest), kept in step.

- Chroma: `PersistentClient` under `data_dir/chroma`, or `HttpClient` when `chroma_url` is set.
  Chunk ids are `doc_id:start-end`, so writing the same chunks twice is an idempotent upsert.
- SQLite (`data_dir/documents.sqlite3`): each document's one stored text and metadata, its chunks'
  offsets, the manifest (which file and content hash produced which document), a small write-ahead
  log of intents, and a `generation` counter bumped by every change (derived indexes such as the
  keyword index compare it to know they are stale).
Crash safety: before touching Chroma we record the intent ("add doc X" / "delete doc Y") in SQLite;
the manifest commit is one transaction; `recover()` replays unfinished intents on the next start.
So an interrupted ingest never leaves duplicates or orphans once it is re-run.
This module stores and queries; it does not parse, chunk or embed (see `ingest.py`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from assistant.domain import Chunk, Document, Passage
from assistant.errors import AssistantError
from assistant.ingest.dedup import find_duplicate, simhash
from assistant.retrieve.dates import to_day
from assistant.settings import StoreSettings
from assistant.store.chroma import open_collection

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (doc_id TEXT PRIMARY KEY, text TEXT NOT NULL, title TEXT,
    source TEXT, date TEXT, url TEXT, source_path TEXT, n_chunks INTEGER, simhash TEXT, dup_of TEXT);
CREATE TABLE IF NOT EXISTS sources (name TEXT PRIMARY KEY, file TEXT NOT NULL, file_sha TEXT NOT NULL,
    doc_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sources_file ON sources(file);
CREATE INDEX IF NOT EXISTS sources_doc ON sources(doc_id);
CREATE TABLE IF NOT EXISTS pending (doc_id TEXT NOT NULL, op TEXT NOT NULL, PRIMARY KEY (doc_id, op));
CREATE TABLE IF NOT EXISTS chunks (chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, char_start INTEGER,
    char_end INTEGER, sentences TEXT);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
INSERT OR IGNORE INTO meta VALUES ('generation', '0');
"""


FileItem = tuple[Document, Sequence[Chunk], Sequence[Sequence[float]]]


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    title: str
    source: str
    date: str
    url: str
    source_path: str
    n_chunks: int


class Index:
    """Chroma + SQLite for one data dir. Thread-safe for one process; one writer at a time."""

    def __init__(self, settings: StoreSettings, embedding_name: str, dimension: int) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(settings.store_path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(documents)")}
        for column in ("simhash", "dup_of"):  # data dirs made before near-duplicate detection
            if column not in columns:
                self._db.execute(f"ALTER TABLE documents ADD COLUMN {column} TEXT")
        self._collection = open_collection(settings, embedding_name, dimension)
        self._fp: list[tuple[str, int]] | None = None
        self._newest: tuple[int, int | None] | None = None
        self.recover()

    # ---- writing -------------------------------------------------------------------------
    def recover(self) -> None:
        """Finish or undo whatever an interrupted run left: no duplicates, no orphans."""
        with self._lock:
            for (doc_id,) in self._db.execute("SELECT doc_id FROM pending WHERE op='add'").fetchall():
                known = self._db.execute("SELECT 1 FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
                if not known:
                    self._collection.delete(where={"doc_id": doc_id})
                self._db.execute("DELETE FROM pending WHERE doc_id=? AND op='add'", (doc_id,))
            self._apply_deletes()

    def writing(self) -> threading.RLock:
        """Hold to make a read-then-write sequence atomic against other writers (reads never wait)."""
        return self._lock

    def put_files(self, files: Sequence[tuple[str, str, Sequence[FileItem]]]) -> int:
        """Make each file's documents exactly its items (document, chunks, vectors); returns chunks written.

        One Chroma upsert (in server-sized batches) and one SQLite transaction for all the files.
        Documents already stored may come without vectors: they are only linked to the file.
        """
        written = 0
        with self._lock:
            new: dict[str, FileItem] = {}
            for _, _, items in files:
                for doc, chunks, vectors in items:
                    if doc.doc_id not in new and not self.has_document(doc.doc_id):
                        if len(vectors) != len(chunks):
                            raise AssistantError(f"{doc.source_path}: document {doc.doc_id} has no vectors and "
                                                  "is not in the index (removed meanwhile?); ingest again")
                        new[doc.doc_id] = (doc, chunks, vectors)
            self._db.executemany("INSERT OR IGNORE INTO pending VALUES (?, 'add')", [(d,) for d in new])
            self._upsert(list(new.values()))
            written = sum(len(c) for _, c, _ in new.values())
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for doc, chunks, _ in new.values():
                    fingerprint = simhash(doc.text)
                    dup_of = find_duplicate(fingerprint, self._fingerprints()) if len(doc.text) > 200 else None
                    if dup_of is None:
                        self._fingerprints().append((doc.doc_id, fingerprint))
                    self._db.execute("INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?)",
                                     (doc.doc_id, doc.text, doc.title, doc.source, doc.date, doc.url,
                                      doc.source_path, len(chunks), f"{fingerprint:016x}", dup_of))
                    self._db.executemany("INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?)",
                                         [(c.chunk_id, c.doc_id, c.char_start, c.char_end, json.dumps(c.sentences))
                                          for c in chunks])
                if new:
                    self._bump()
                old: set[str] = set()
                for file, file_sha, items in files:
                    old |= self._docs_of_file(file)
                    self._db.execute("DELETE FROM sources WHERE file=?", (file,))
                    self._db.executemany("INSERT OR REPLACE INTO sources VALUES (?,?,?,?)",
                                         [(d.source_path, file, file_sha, d.doc_id) for d, _, _ in items])
                self._orphan(old)  # after every file's links: a document may move to a later file of the batch
                self._db.executemany("DELETE FROM pending WHERE doc_id=? AND op='add'", [(d,) for d in new])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                self._fp = None
                raise
            self._apply_deletes()
        return written

    def remove_files(self, files: Iterable[str]) -> int:
        """Forget files (e.g. deleted from disk): their documents go unless another file has them."""
        files = list(files)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            old = {d for f in files for d in self._docs_of_file(f)}
            self._db.executemany("DELETE FROM sources WHERE file=?", [(f,) for f in files])
            self._orphan(old)
            self._db.execute("COMMIT")
            return self._apply_deletes()

    def remove_document(self, doc_id: str) -> list[str]:
        """Forget the files that produced `doc_id` (so their other documents go too); returns those files."""
        files = [f for (f,) in self._db.execute("SELECT DISTINCT file FROM sources WHERE doc_id=?", (doc_id,))]
        self.remove_files(files)
        return files

    def _docs_of_file(self, file: str) -> set[str]:
        return {d for (d,) in self._db.execute("SELECT doc_id FROM sources WHERE file=?", (file,))}

    def _orphan(self, doc_ids: Iterable[str]) -> None:
        for doc_id in doc_ids:
            if not self._db.execute("SELECT 1 FROM sources WHERE doc_id=?", (doc_id,)).fetchone():
                self._db.execute("INSERT OR IGNORE INTO pending VALUES (?, 'delete')", (doc_id,))

    def _apply_deletes(self) -> int:
        rows = self._db.execute("SELECT doc_id FROM pending WHERE op='delete'").fetchall()
        for (doc_id,) in rows:
            self._collection.delete(where={"doc_id": doc_id})
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))
            self._db.execute("UPDATE documents SET dup_of=NULL WHERE dup_of=?", (doc_id,))
            self._fp = None
            self._db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
            self._bump()
            self._db.execute("DELETE FROM pending WHERE doc_id=? AND op='delete'", (doc_id,))
            self._db.execute("COMMIT")
        return len(rows)

    def _bump(self) -> None:
        self._db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'")

    def _upsert(self, items: Sequence[FileItem]) -> None:
        """Vectors and filterable metadata only: texts and sentence offsets live in SQLite (cheaper writes)."""
        rows = [(doc, c, v) for doc, chunks, vectors in items for c, v in zip(chunks, vectors, strict=True)]
        step = max(1, min(5000, self._max_batch()))
        for i in range(0, len(rows), step):
            part = rows[i:i + step]
            self._collection.upsert(
                ids=[c.chunk_id for _, c, _ in part],
                embeddings=np.asarray([v for _, _, v in part], dtype=np.float32),
                metadatas=[{"doc_id": d.doc_id, "title": d.title, "source": d.source, "date": d.date, "url": d.url,
                            "char_start": c.char_start, "char_end": c.char_end} for d, c, _ in part],
            )

    def _max_batch(self) -> int:
        try:
            return int(self._collection._client.get_max_batch_size())
        except Exception:
            return 1000

    # ---- reading -------------------------------------------------------------------------
    def file_sha(self, file: str) -> str | None:
        row = self._db.execute("SELECT file_sha FROM sources WHERE file=? LIMIT 1", (file,)).fetchone()
        return row[0] if row else None

    def files_under(self, folder: str) -> list[str]:
        prefix = folder.rstrip("/") + "/"
        return [f for (f,) in self._db.execute("SELECT DISTINCT file FROM sources WHERE substr(file,1,?)=?",
                                               (len(prefix), prefix))]

    def has_document(self, doc_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM documents WHERE doc_id=?", (doc_id,)).fetchone() is not None

    def document(self, doc_id: str) -> Document:
        row = self._db.execute("SELECT doc_id, text, source_path, title, source, date, url FROM documents "
                               "WHERE doc_id=?", (doc_id,)).fetchone()
        if row is None:
            raise KeyError(doc_id)
        return Document(*row)

    def documents(self) -> list[DocumentInfo]:
        rows = self._db.execute("SELECT doc_id, title, source, date, url, source_path, n_chunks FROM documents "
                                "ORDER BY date DESC, title").fetchall()
        return [DocumentInfo(*r) for r in rows]

    def _fingerprints(self) -> list[tuple[str, int]]:
        """Fingerprints of representative documents (cached; the cache is dropped on deletions)."""
        if self._fp is None:
            self._fp = [(d, int(h, 16)) for d, h in self._db.execute(
                "SELECT doc_id, simhash FROM documents WHERE simhash IS NOT NULL AND dup_of IS NULL")]
        return self._fp

    def duplicates(self) -> dict[str, str]:
        """doc_id -> the doc_id of the earlier copy of the same story, for near-duplicates."""
        return dict(self._db.execute("SELECT doc_id, dup_of FROM documents WHERE dup_of IS NOT NULL").fetchall())

    def newest_day(self) -> int | None:
        """The ordinal day of the newest dated document (cached until the index changes)."""
        generation = self.generation()
        if self._newest is None or self._newest[0] != generation:
            days = [to_day(d) for (d,) in self._db.execute("SELECT DISTINCT date FROM documents WHERE date != ''")]
            self._newest = (generation, max((d for d in days if d), default=None))
        return self._newest[1]

    def generation(self) -> int:
        """A number that changes whenever the set of chunks changes."""
        return int(self._db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])

    def chunk_texts(self) -> tuple[list[str], list[str]]:
        """(chunk ids, chunk texts) of every chunk, from the document store (for derived indexes)."""
        ids, texts = [], []
        docs: dict[str, str] = {}
        for cid, doc_id, a, b in self._db.execute("SELECT chunk_id, doc_id, char_start, char_end FROM chunks "
                                                  "ORDER BY doc_id, char_start"):
            if doc_id not in docs:
                docs = {doc_id: self._db.execute("SELECT text FROM documents WHERE doc_id=?", (doc_id,)).fetchone()[0]}
            ids.append(cid)
            texts.append(docs[doc_id][a:b])
        return ids, texts

    def passages(self, chunk_ids: Sequence[str], vector: Sequence[float] | None = None) -> list[Passage]:
        """Passages for chunk ids, from the store; `score` is cosine to `vector` when given, else 0."""
        if not chunk_ids:
            return []
        scores: dict[str, float] = {}
        if vector is not None:
            got = self._collection.get(ids=list(chunk_ids), include=["embeddings"])
            q = np.asarray(vector, dtype=np.float32)
            for cid, emb in zip(got["ids"], got["embeddings"], strict=True):
                e = np.asarray(emb, dtype=np.float32)
                scores[cid] = float(e @ q / (np.linalg.norm(e) * np.linalg.norm(q) + 1e-12))
        out = []
        marks = ",".join("?" * len(chunk_ids))
        rows = self._db.execute(
            f"SELECT c.chunk_id, c.doc_id, c.char_start, c.char_end, c.sentences, d.text, d.title, d.source, "
            f"d.date, d.url FROM chunks c JOIN documents d ON c.doc_id = d.doc_id WHERE c.chunk_id IN ({marks})",
            list(chunk_ids)).fetchall()
        by_id = {r[0]: r for r in rows}
        for cid in chunk_ids:
            if cid not in by_id:
                continue
            _, doc_id, a, b, sentences, text, title, source, date, url = by_id[cid]
            out.append(Passage(chunk_id=cid, doc_id=doc_id, text=text[a:b], char_start=a, char_end=b,
                               score=scores.get(cid, 0.0), sentences=tuple(tuple(s) for s in json.loads(sentences)),
                               title=title or "", source=source or "", date=date or "", url=url or ""))
        return out

    def embeddings(self, chunk_ids: Sequence[str]) -> dict[str, list[float]]:
        if not chunk_ids:
            return {}
        got = self._collection.get(ids=list(chunk_ids), include=["embeddings"])
        return {cid: list(e) for cid, e in zip(got["ids"], got["embeddings"], strict=True)}

    def count(self) -> int:
        return int(self._collection.count())

    def chunk_ids(self) -> list[str]:
        return list(self._collection.get(include=[])["ids"])

    def query(self, vector: Sequence[float], k: int, where: dict[str, Any] | None = None) -> list[Passage]:
        """The k nearest chunks; `score` is cosine similarity (1 - cosine distance). Texts come from SQLite."""
        n = self.count()
        if n == 0:
            return []
        res = self._collection.query(query_embeddings=[list(vector)], n_results=min(k, n), where=where,
                                     include=["distances"])
        scores = {cid: 1.0 - float(dist) for cid, dist in zip(res["ids"][0], res["distances"][0], strict=True)}
        return [replace(p, score=scores[p.chunk_id]) for p in self.passages(list(scores))]

    def close(self) -> None:
        self._db.close()
