"""The document store on a Chroma server: what `documents.py` keeps in SQLite, kept beside the vectors.

With `ASSISTANT_CHROMA_URL` set, everything a client needs to answer lives on the server, so any
number of machines (each with its own data dir, or an empty one) answer from one corpus. Beside the
chunk collection `<name>` (vectors, offsets and sentence offsets in its metadata) live three more:
`<name>-documents` (each document's text and metadata), `<name>-files` (the manifest: which file and
content hash produced which document) and `<name>-meta` (the generation counters and the intent
journal). Chroma records need a vector, so these carry a one-number placeholder.

Chroma has no transactions: `transaction()` only groups writes, and crash safety comes from the
order of writes and the intent journal (`Index.recover` undoes an add whose document never got linked
to a file). Intents name their owner (host and data dir): a process only recovers its own machine's,
so one machine never undoes another's live ingest. The generation is a random number rewritten on
every change, so two machines cannot lose each other's increments. Writers on different machines are
not serialised (the write lock is per machine): run one ingest at a time per collection.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from assistant.dates import to_day
from assistant.domain import Chunk, Document
from assistant.settings import StoreSettings
from assistant.store.documents import DocumentInfo

_PLACEHOLDER = [0.0]
_PAGE = 1000


class ServerDocumentStore:
    """The `DocumentStore` interface over three Chroma collections next to the chunk collection."""

    def __init__(self, client: Any, settings: StoreSettings, chunks: Any) -> None:
        def collection(suffix: str) -> Any:
            return client.get_or_create_collection(f"{settings.collection}-{suffix}", embedding_function=None)

        self._docs, self._files, self._meta = collection("documents"), collection("files"), collection("meta")
        self._chunks = chunks
        self._owner = f"{socket.gethostname()}:{settings.data_dir.resolve()}"
        self._fp: list[tuple[str, int]] | None = None
        self._cache: dict[str, tuple[int, Any]] = {}  # name -> (generation, value)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Groups writes; not atomic (see the module docstring)."""
        try:
            yield
        except BaseException:
            self._fp = None
            raise

    # ---- the intent journal --------------------------------------------------------------
    def intents(self, op: str) -> list[str]:
        got = self._meta.get(where={"$and": [{"op": op}, {"owner": self._owner}]}, include=["metadatas"])
        return [m["doc_id"] for m in got["metadatas"]]

    def log_intents(self, doc_ids: Iterable[str], op: str) -> None:
        ids = list(doc_ids)
        if ids:
            self._meta.upsert(ids=[self._intent(d, op) for d in ids], embeddings=[_PLACEHOLDER] * len(ids),
                              metadatas=[{"op": op, "doc_id": d, "owner": self._owner} for d in ids])

    def clear_intents(self, doc_ids: Iterable[str], op: str) -> None:
        ids = [self._intent(d, op) for d in doc_ids]
        if ids:
            self._meta.delete(ids=ids)

    def _intent(self, doc_id: str, op: str) -> str:
        return f"intent:{op}:{self._owner}:{doc_id}"

    # ---- writes --------------------------------------------------------------------------
    def insert(self, doc: Document, chunks: Sequence[Chunk], fingerprint: int, dup_of: str | None) -> None:
        """The document; its chunks' offsets are already in the chunk collection (written with the vectors)."""
        self._docs.upsert(ids=[doc.doc_id], embeddings=[_PLACEHOLDER], documents=[doc.text], metadatas=[{
            "title": doc.title, "source": doc.source, "date": doc.date, "url": doc.url,
            "source_path": doc.source_path, "n_chunks": len(chunks), "simhash": f"{fingerprint:016x}",
            "dup_of": dup_of or ""}])
        if dup_of is None and self._fp is not None:
            self._fp.append((doc.doc_id, fingerprint))

    def link(self, file: str, file_sha: str, docs: Sequence[Document]) -> set[str]:
        old = self.docs_of_file(file)
        self._files.delete(where={"file": file})
        if docs:
            self._files.upsert(ids=[d.source_path for d in docs], embeddings=[_PLACEHOLDER] * len(docs),
                               metadatas=[{"file": file, "file_sha": file_sha, "doc_id": d.doc_id} for d in docs])
        return old

    def unlink(self, files: Sequence[str]) -> set[str]:
        old = {d for f in files for d in self.docs_of_file(f)}
        for f in files:
            self._files.delete(where={"file": f})
        return old

    def orphan(self, doc_ids: Iterable[str]) -> None:
        self.log_intents([d for d in doc_ids if not self.files_of(d)], "delete")

    def delete(self, doc_id: str) -> None:
        self._docs.delete(ids=[doc_id])
        copies = self._docs.get(where={"dup_of": doc_id}, include=["metadatas"])
        if copies["ids"]:
            self._docs.update(ids=copies["ids"], metadatas=[{**m, "dup_of": ""} for m in copies["metadatas"]])
        self._fp = None

    def bump(self) -> None:
        self._set("generation", random.getrandbits(62))

    def touch(self) -> None:
        self._set("touched", random.getrandbits(62))

    def _set(self, key: str, value: int) -> None:
        self._meta.upsert(ids=[key], embeddings=[_PLACEHOLDER], metadatas=[{"value": str(value)}])

    # ---- reads ---------------------------------------------------------------------------
    def _all(self, collection: Any, include: list[str], **where: Any) -> dict[str, list[Any]]:
        """Every record (paged), as {"ids": [...], "<include>": [...]}."""
        out: dict[str, list[Any]] = {"ids": [], **{k: [] for k in include}}
        offset = 0
        while True:
            got = collection.get(include=include, limit=_PAGE, offset=offset, **where)
            for key in out:
                out[key].extend(got[key] or [])
            if len(got["ids"]) < _PAGE:
                return out
            offset += _PAGE

    def docs_of_file(self, file: str) -> set[str]:
        return {m["doc_id"] for m in self._files.get(where={"file": file}, include=["metadatas"])["metadatas"]}

    def files_of(self, doc_id: str) -> list[str]:
        metas = self._files.get(where={"doc_id": doc_id}, include=["metadatas"])["metadatas"]
        return sorted({m["file"] for m in metas})

    def file_sha(self, file: str) -> str | None:
        metas = self._files.get(where={"file": file}, limit=1, include=["metadatas"])["metadatas"]
        return metas[0]["file_sha"] if metas else None

    def files_under(self, folder: str) -> list[str]:
        prefix = folder.rstrip("/") + "/"
        return sorted({m["file"] for m in self._all(self._files, ["metadatas"])["metadatas"]
                       if m["file"].startswith(prefix)})

    def has(self, doc_id: str) -> bool:
        return bool(self._docs.get(ids=[doc_id], include=[])["ids"])

    def document(self, doc_id: str) -> Document:
        got = self._docs.get(ids=[doc_id], include=["documents", "metadatas"])
        if not got["ids"]:
            raise KeyError(doc_id)
        m = got["metadatas"][0]
        return Document(doc_id, got["documents"][0], m["source_path"], m["title"], m["source"], m["date"], m["url"])

    def _metadata(self) -> tuple[list[str], list[dict[str, Any]]]:
        """Every document's id and metadata (cached per generation)."""
        got = self._cached("metadata", lambda: self._all(self._docs, ["metadatas"]))
        return got["ids"], got["metadatas"]

    def _cached(self, name: str, make: Any) -> Any:
        generation = self.generation()
        if name not in self._cache or self._cache[name][0] != generation:
            self._cache[name] = (generation, make())
        return self._cache[name][1]

    def documents(self) -> list[DocumentInfo]:
        ids, metas = self._metadata()
        infos = [DocumentInfo(d, m["title"], m["source"], m["date"], m["url"], m["source_path"], m["n_chunks"])
                 for d, m in zip(ids, metas, strict=True)]
        infos.sort(key=lambda i: i.title)
        infos.sort(key=lambda i: i.date, reverse=True)
        return infos

    def fingerprints(self) -> list[tuple[str, int]]:
        if self._fp is None:
            ids, metas = self._metadata()
            self._fp = [(d, int(m["simhash"], 16)) for d, m in zip(ids, metas, strict=True) if not m["dup_of"]]
        return self._fp

    def duplicates(self) -> dict[str, str]:
        ids, metas = self._metadata()
        return {d: m["dup_of"] for d, m in zip(ids, metas, strict=True) if m["dup_of"]}

    def newest_day(self) -> int | None:
        _, metas = self._metadata()
        return max((d for d in (to_day(m["date"]) for m in metas if m["date"]) if d), default=None)

    def state(self) -> tuple[int, int]:
        got = self._meta.get(ids=["generation", "touched"], include=["metadatas"])
        values = {i: int(m["value"]) for i, m in zip(got["ids"], got["metadatas"], strict=True)}
        return values.get("generation", 0), values.get("touched", 0)

    def chunk_count(self) -> int:
        """Chunks the stored documents should have (their rows are the chunk collection's own records)."""
        _, metas = self._metadata()
        return sum(int(m["n_chunks"]) for m in metas)

    def generation(self) -> int:
        return self.state()[0]

    def chunk_texts(self) -> tuple[list[str], list[str]]:
        chunks = self._all(self._chunks, ["metadatas"])
        order = sorted(zip(chunks["ids"], chunks["metadatas"], strict=True),
                       key=lambda r: (r[1]["doc_id"], r[1]["char_start"]))
        texts = self._texts({m["doc_id"] for _, m in order})
        ids = [cid for cid, m in order if m["doc_id"] in texts]
        return ids, [texts[m["doc_id"]][m["char_start"]:m["char_end"]] for _, m in order if m["doc_id"] in texts]

    def _texts(self, doc_ids: Iterable[str]) -> dict[str, str]:
        ids = list(doc_ids)
        out: dict[str, str] = {}
        for i in range(0, len(ids), _PAGE):
            got = self._docs.get(ids=ids[i:i + _PAGE], include=["documents"])
            out.update(zip(got["ids"], got["documents"], strict=True))
        return out

    def chunk_rows(self, chunk_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        got = self._chunks.get(ids=list(chunk_ids), include=["metadatas"])
        metas = dict(zip(got["ids"], got["metadatas"], strict=True))
        docs = self._docs.get(ids=sorted({m["doc_id"] for m in metas.values()}), include=["documents", "metadatas"])
        by_doc = {d: (text, m) for d, text, m in zip(docs["ids"], docs["documents"], docs["metadatas"], strict=True)}
        rows = {}
        for cid, m in metas.items():
            if m["doc_id"] in by_doc and "sentences" in m:
                text, dm = by_doc[m["doc_id"]]
                rows[cid] = (cid, m["doc_id"], m["char_start"], m["char_end"], m["sentences"], text,
                             dm["title"], dm["source"], dm["date"], dm["url"])
        return rows

    def close(self) -> None:
        pass
