"""The SQLite document store (`data_dir/documents.sqlite3`): what Chroma does not hold.

Each document's one stored text and metadata, its chunks' offsets and sentence offsets, the manifest
(which file and content hash produced which document), a small journal of intents ("add doc X",
"delete doc Y") written before Chroma is touched, near-duplicate fingerprints, and a `generation`
counter bumped by every change (derived indexes such as BM25 compare it to know they are stale), and a
`touched` counter bumped before every vector write (so other processes know their view of the
embedded vector store is stale, even when the writer died before its commit).
Writes happen inside `transaction()`; the order of writes across both stores is `index.py`'s job.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.dates import to_day
from assistant.domain import Chunk, Document

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
INSERT OR IGNORE INTO meta VALUES ('touched', '0');
"""


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    title: str
    source: str
    date: str
    url: str
    source_path: str
    n_chunks: int


class DocumentStore:
    """One SQLite file. Thread-safe reads; the caller serialises writers (`Index.writing`)."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(documents)")}
        for column in ("simhash", "dup_of"):  # data dirs made before near-duplicate detection
            if column not in columns:
                self._db.execute(f"ALTER TABLE documents ADD COLUMN {column} TEXT")
        self._fp: list[tuple[str, int]] | None = None
        self._newest: tuple[int, int | None] | None = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One SQLite write transaction: committed whole, or rolled back whole."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            self._fp = None
            raise

    # ---- the intent journal --------------------------------------------------------------
    def intents(self, op: str) -> list[str]:
        """Documents with an unfinished intent `op` ("add" or "delete")."""
        return [d for (d,) in self._db.execute("SELECT doc_id FROM pending WHERE op=?", (op,)).fetchall()]

    def log_intents(self, doc_ids: Iterable[str], op: str) -> None:
        self._db.executemany("INSERT OR IGNORE INTO pending VALUES (?, ?)", [(d, op) for d in doc_ids])

    def clear_intents(self, doc_ids: Iterable[str], op: str) -> None:
        self._db.executemany("DELETE FROM pending WHERE doc_id=? AND op=?", [(d, op) for d in doc_ids])

    # ---- writes (inside a transaction) ---------------------------------------------------
    def insert(self, doc: Document, chunks: Sequence[Chunk], fingerprint: int, dup_of: str | None) -> None:
        self._db.execute("INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?)",
                         (doc.doc_id, doc.text, doc.title, doc.source, doc.date, doc.url,
                          doc.source_path, len(chunks), f"{fingerprint:016x}", dup_of))
        self._db.executemany("INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?)",
                             [(c.chunk_id, c.doc_id, c.char_start, c.char_end, json.dumps(c.sentences))
                              for c in chunks])
        if dup_of is None and self._fp is not None:
            self._fp.append((doc.doc_id, fingerprint))

    def link(self, file: str, file_sha: str, docs: Sequence[Document]) -> set[str]:
        """Make `file`'s documents exactly `docs`; returns the documents it had before."""
        old = self.docs_of_file(file)
        self._db.execute("DELETE FROM sources WHERE file=?", (file,))
        self._db.executemany("INSERT OR REPLACE INTO sources VALUES (?,?,?,?)",
                             [(d.source_path, file, file_sha, d.doc_id) for d in docs])
        return old

    def unlink(self, files: Sequence[str]) -> set[str]:
        """Forget `files`; returns the documents they had."""
        old = {d for f in files for d in self.docs_of_file(f)}
        self._db.executemany("DELETE FROM sources WHERE file=?", [(f,) for f in files])
        return old

    def orphan(self, doc_ids: Iterable[str]) -> None:
        """Log a delete intent for each of `doc_ids` that no file links to any more."""
        gone = [d for d in doc_ids if not self._db.execute("SELECT 1 FROM sources WHERE doc_id=?", (d,)).fetchone()]
        self.log_intents(gone, "delete")

    def delete(self, doc_id: str) -> None:
        self._db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))
        self._db.execute("UPDATE documents SET dup_of=NULL WHERE dup_of=?", (doc_id,))
        self._db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
        self._fp = None

    def bump(self) -> None:
        self._db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'")

    def touch(self) -> None:
        """Count a write to the vector store, committed before it is made (a writer killed between
        its vector write and its commit still leaves a trace)."""
        self._db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='touched'")

    # ---- reads ---------------------------------------------------------------------------
    def docs_of_file(self, file: str) -> set[str]:
        return {d for (d,) in self._db.execute("SELECT doc_id FROM sources WHERE file=?", (file,))}

    def files_of(self, doc_id: str) -> list[str]:
        return [f for (f,) in self._db.execute("SELECT DISTINCT file FROM sources WHERE doc_id=?", (doc_id,))]

    def file_sha(self, file: str) -> str | None:
        row = self._db.execute("SELECT file_sha FROM sources WHERE file=? LIMIT 1", (file,)).fetchone()
        return row[0] if row else None

    def files_under(self, folder: str) -> list[str]:
        prefix = folder.rstrip("/") + "/"
        return [f for (f,) in self._db.execute("SELECT DISTINCT file FROM sources WHERE substr(file,1,?)=?",
                                               (len(prefix), prefix))]

    def has(self, doc_id: str) -> bool:
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

    def fingerprints(self) -> list[tuple[str, int]]:
        """Fingerprints of representative documents (cached; the cache is dropped on deletions)."""
        if self._fp is None:
            self._fp = [(d, int(h, 16)) for d, h in self._db.execute(
                "SELECT doc_id, simhash FROM documents WHERE simhash IS NOT NULL AND dup_of IS NULL")]
        return self._fp

    def duplicates(self) -> dict[str, str]:
        """doc_id -> the doc_id of the earlier copy of the same story, for near-duplicates."""
        return dict(self._db.execute("SELECT doc_id, dup_of FROM documents WHERE dup_of IS NOT NULL").fetchall())

    def newest_day(self) -> int | None:
        """The ordinal day of the newest dated document (cached until the store changes)."""
        generation = self.generation()
        if self._newest is None or self._newest[0] != generation:
            days = [to_day(d) for (d,) in self._db.execute("SELECT DISTINCT date FROM documents WHERE date != ''")]
            self._newest = (generation, max((d for d in days if d), default=None))
        return self._newest[1]

    def state(self) -> tuple[int, int]:
        """(generation, vector writes): changes whenever any process changed either store."""
        rows = dict(self._db.execute("SELECT key, value FROM meta WHERE key IN ('generation', 'touched')"))
        return int(rows["generation"]), int(rows["touched"])

    def chunk_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def generation(self) -> int:
        """A number that changes whenever the set of chunks changes."""
        return int(self._db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])

    def chunk_texts(self) -> tuple[list[str], list[str]]:
        """(chunk ids, chunk texts) of every chunk (for derived indexes)."""
        ids, texts = [], []
        docs: dict[str, str] = {}
        for cid, doc_id, a, b in self._db.execute("SELECT chunk_id, doc_id, char_start, char_end FROM chunks "
                                                  "ORDER BY doc_id, char_start"):
            if doc_id not in docs:
                docs = {doc_id: self._db.execute("SELECT text FROM documents WHERE doc_id=?", (doc_id,)).fetchone()[0]}
            ids.append(cid)
            texts.append(docs[doc_id][a:b])
        return ids, texts

    def chunk_rows(self, chunk_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        """chunk id -> (chunk_id, doc_id, start, end, sentences JSON, doc text, title, source, date, url)."""
        marks = ",".join("?" * len(chunk_ids))
        rows = self._db.execute(
            f"SELECT c.chunk_id, c.doc_id, c.char_start, c.char_end, c.sentences, d.text, d.title, d.source, "
            f"d.date, d.url FROM chunks c JOIN documents d ON c.doc_id = d.doc_id WHERE c.chunk_id IN ({marks})",
            list(chunk_ids)).fetchall()
        return {r[0]: r for r in rows}

    def close(self) -> None:
        self._db.close()
