"""Ingest files and folders into the index: parse, chunk, embed, store; incremental and idempotent.

A file whose bytes are unchanged since the last ingest is skipped without parsing; a changed file
replaces only its own documents' chunks; a file gone from an ingested folder loses its chunks.
A file that fails to parse is reported with its reason and skipped; the rest lands (and a
previously ingested version of a broken file is kept). Empty and oversized files are refused from
their size before being read. A JSON/JSONL file with some bad records lands without them; each bad
record is reported as `file#n`, and the file is re-checked (and re-reported) on every run until fixed.
Embedding is batched across files, and each batch is written with one Chroma upsert and one SQLite
transaction; chunks of documents already in the index are not re-embedded. The three stages overlap
(`_Pipeline`): one batch is parsed and chunked while the previous one embeds and the one before is written.
This module orchestrates; storage is `store/index.py`, formats are `parse.py`, splitting `chunk.py`.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant import tokens
from assistant.backends.embedding import SentenceEmbeddings
from assistant.domain import Chunk, Document
from assistant.errors import ParseError
from assistant.ingest.chunk import chunk_document
from assistant.ingest.parse import MAX_FILE_BYTES, check_file, iter_files, parse_file_records
from assistant.store.index import FileItem, Index

EMBED_BATCH_CHUNKS = 256
Batch = list[tuple[str, str, list[tuple[Document, list[Chunk]]]]]  # (file, sha256, its documents and chunks)
PARTIAL = ":partial"  # suffix of the stored hash of a file ingested without its bad records


@dataclass
class IngestReport:
    """What an ingest run did. `failed` maps each skipped file (or `file#n` record) to the reason."""

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    chunks: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        s = (f"{len(self.added)} file(s) ingested ({self.chunks} chunks), {len(self.unchanged)} unchanged, "
             f"{len(self.removed)} removed, {len(self.failed)} failed in {self.seconds:.1f}s")
        return s + "".join(f"\n  skipped {p}: {r}" for p, r in self.failed.items())


def file_sha256(path: Path) -> str:
    """The file's sha256, read in 1 MiB blocks (never whole into memory)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def chunk_for_model(doc: Document, max_tokens: int, embedder: SentenceEmbeddings) -> list[Chunk]:
    """Chunks within `max_tokens` tiktoken tokens and within the embedding model's max sequence."""
    limit = max_tokens
    while True:
        chunks = chunk_document(doc, limit, tokens.count)
        if limit <= 16 or all(embedder.count_tokens(c.text) <= embedder.max_seq_length for c in chunks):
            return chunks
        limit = int(limit * 0.8)


def ingest(index: Index, embedder: SentenceEmbeddings, chunk_tokens: int, paths: Iterable[str | Path],
           progress: bool = True, prune: bool = True,
           on_progress: Callable[[int, int, str], None] | None = None,
           max_file_bytes: int = MAX_FILE_BYTES) -> IngestReport:
    """Bring the index in line with `paths` (files and folders). See the module docstring."""
    from tqdm import tqdm

    started = time.perf_counter()
    report = IngestReport()
    roots = [Path(p) for p in paths]
    files = list(iter_files(roots))
    seen: set[str] = set()
    batch: Batch = []
    pipeline = _Pipeline(index, embedder, report)

    def flush() -> None:
        pipeline.submit(list(batch))
        batch.clear()

    bar = tqdm(files, desc="Ingesting", unit="file", disable=not progress)
    try:
        for i, path in enumerate(bar):
            key = _resolved(path)
            if key is None:
                report.failed[str(path)] = "cannot be resolved (a symlink loop?)"
                continue
            seen.add(key)
            if on_progress:
                on_progress(i, len(files), path.name)
            read = _read_changed(path, key, index, max_file_bytes, report)
            if read is None:
                continue
            sha, docs = read
            batch.append((key, sha, [(d, chunk_for_model(d, chunk_tokens, embedder)) for d in docs]))
            if sum(len(c) for _, _, ds in batch for _, c in ds) >= EMBED_BATCH_CHUNKS:
                flush()
        if batch:
            flush()
        pipeline.finish()
    finally:
        pipeline.close()  # an interrupted run still lands (or rolls back) the batches in flight
        bar.close()
    if prune:
        _prune(index, roots, seen, report)
    if on_progress:
        on_progress(len(files), len(files), "")
    report.seconds = time.perf_counter() - started
    return report


def _read_changed(path: Path, key: str, index: Index, max_file_bytes: int,
                  report: IngestReport) -> tuple[str, list[Document]] | None:
    """The file's content hash and documents, or None when it is unchanged or broken (in `report.failed`,
    which the summary lists once)."""
    try:
        check_file(path, max_file_bytes)  # empty or oversized: refused before reading a byte
        sha = file_sha256(path)
    except ParseError as exc:
        report.failed[str(path)] = exc.reason
        return None
    except OSError as exc:
        report.failed[str(path)] = f"cannot be read ({exc.strerror or exc})"
        return None
    if index.docs.file_sha(key) == sha:
        report.unchanged.append(key)
        return None
    try:
        docs, bad_records = parse_file_records(key, max_file_bytes)
    except ParseError as exc:
        report.failed[str(path)] = exc.reason
        return None
    for name, reason in bad_records.items():
        report.failed[name.replace(key, str(path), 1)] = reason
    if bad_records:
        sha += PARTIAL  # never "unchanged": the bad records are reported again next time
    return sha, docs


def _resolved(path: Path) -> str | None:
    """The absolute, resolved path (the file's key in the manifest), or None for a symlink loop."""
    try:
        return str(path.resolve())
    except (RuntimeError, OSError):  # a loop raises RuntimeError before Python 3.13, OSError since
        return None


def _prune(index: Index, roots: list[Path], seen: set[str], report: IngestReport) -> None:
    """Forget files gone from the ingested folders, and files named explicitly that no longer exist."""
    for folder in (p.resolve() for p in roots if p.is_dir()):
        gone = [f for f in index.docs.files_under(str(folder)) if f not in seen]
        if gone:
            index.remove_files(gone)
            report.removed.extend(gone)
    for p in roots:
        key = _resolved(p)
        if key is not None and not p.exists() and index.docs.file_sha(key) is not None:
            index.remove_files([key])
            report.removed.append(key)
            report.failed.pop(str(p), None)


class _Pipeline:
    """Three stages in three threads: batch k+1 is parsed and chunked (the caller) while batch k is
    embedded and batch k-1 written; at most two batches are in flight behind the caller."""

    def __init__(self, index: Index, embedder: SentenceEmbeddings, report: IngestReport) -> None:
        self.index, self.embedder, self.report = index, embedder, report
        self._embedding = ThreadPoolExecutor(1, thread_name_prefix="ingest-embed")
        self._writing = ThreadPoolExecutor(1, thread_name_prefix="ingest-write")
        self._in_flight: deque[tuple[Future[None], set[str]]] = deque()  # each batch's write, its doc_ids
        self._failed = False  # once a batch fails, later ones are neither embedded nor written

    def submit(self, batch: Batch) -> None:
        while len(self._in_flight) >= 2:
            self._in_flight.popleft()[0].result()
        coming = set().union(*(ids for _, ids in self._in_flight))  # written before this batch is
        docs = {d.doc_id: chunks for _, _, ds in batch for d, chunks in ds if d.doc_id not in coming}
        embedded = self._embedding.submit(self._vectors, docs)
        self._in_flight.append((self._writing.submit(self._store, batch, embedded), set(docs)))

    def finish(self) -> None:
        while self._in_flight:
            self._in_flight.popleft()[0].result()

    def close(self) -> None:
        self._embedding.shutdown(wait=True)
        self._writing.shutdown(wait=True)

    def _vectors(self, docs: dict[str, list[Chunk]]) -> dict[str, np.ndarray]:
        """Vectors by doc_id for the documents not stored yet (stored ones are only linked to the file)."""
        if self._failed:
            return {}
        todo = {doc_id: chunks for doc_id, chunks in docs.items() if not self.index.has_document(doc_id)}
        flat = self.embedder.embed_array([c.text for chunks in todo.values() for c in chunks])
        out, at = {}, 0
        for doc_id, chunks in todo.items():
            out[doc_id], at = flat[at:at + len(chunks)], at + len(chunks)
        return out

    def _store(self, batch: Batch, embedded: Future[dict[str, np.ndarray]]) -> None:
        if self._failed:
            return  # the caller raises the first failure
        try:
            self._write(batch, embedded.result())
        except BaseException:
            self._failed = True
            raise

    def _write(self, batch: Batch, vectors: dict[str, np.ndarray]) -> None:
        with self.index.writing():  # no delete may slip in between "already stored" and the write
            # A document already stored when its batch was embedded may have been removed since.
            late = {d.doc_id: chunks for _, _, docs in batch for d, chunks in docs
                    if d.doc_id not in vectors and not self.index.has_document(d.doc_id)}
            vectors.update(self._vectors(late) if late else {})
            files: list[tuple[str, str, list[FileItem]]] = [
                (key, sha, [(d, chunks, list(vectors.get(d.doc_id, ()))) for d, chunks in docs])
                for key, sha, docs in batch]
            self.report.chunks += self.index.put_files(files)
        self.report.added.extend(key for key, _, _ in batch)
