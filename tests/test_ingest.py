"""Incremental, idempotent ingest into a real Chroma with the real embedding model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.ingest.incremental import IngestReport
from tests.conftest import SEED


def write(folder: Path, name: str, text: str) -> Path:
    f = folder / name
    f.write_text(text, encoding="utf-8")
    return f


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    c = tmp_path / "corpus"
    c.mkdir()
    shutil.copy(SEED, c / SEED.name)
    write(c, "harbour.txt", "Port reopens after storm\n\nThe harbour of Saltmere reopened on Tuesday. "
                            "Harbour master Ines Duarte said 27 ships had waited offshore.")
    return c


def expected_ids(a: Assistant) -> set[str]:
    from assistant.ingest.incremental import chunk_for_model

    ids = set()
    for info in a.index.documents():
        doc = a.index.document(info.doc_id)
        ids |= {c.chunk_id for c in chunk_for_model(doc, a.settings.chunk_tokens, a.embedder)}
    return ids


def test_add_change_delete(tmp_path: Path, corpus: Path) -> None:
    a = Assistant(tmp_path / "data", llm_backend="extractive")
    r = a.ingest([corpus], progress=False)
    assert len(r.added) == 2 and not r.failed
    first = set(a.index.chunk_ids())
    assert first == expected_ids(a) and len(first) == a.index.count()

    # unchanged: nothing is re-embedded or rewritten
    r = a.ingest([corpus], progress=False)
    assert r.added == [] and len(r.unchanged) == 2 and set(a.index.chunk_ids()) == first

    # changed: only that file's chunks are replaced
    seed_ids = {i for i in first if not any(p.chunk_id == i for p in a.retrieve("Saltmere harbour ships", 1))}
    write(corpus, "harbour.txt", "Port reopens after storm\n\nThe harbour of Saltmere reopened on Wednesday. "
                                 "Officials said 31 ships had waited offshore.")
    r = a.ingest([corpus], progress=False)
    assert len(r.added) == 1 and r.added[0].endswith("harbour.txt")
    now = set(a.index.chunk_ids())
    assert now == expected_ids(a) and seed_ids <= now
    top = a.retrieve("How many ships waited offshore?", 1)[0]
    assert "31 ships" in top.text and a.index.document(top.doc_id).text[top.char_start:top.char_end] == top.text

    # deleted: its chunks go
    (corpus / "harbour.txt").unlink()
    r = a.ingest([corpus], progress=False)
    assert len(r.removed) == 1
    assert all("Saltmere" not in a.index.document(d.doc_id).text for d in a.index.documents())
    assert set(a.index.chunk_ids()) == expected_ids(a) == seed_ids


def test_broken_file_is_reported_and_the_rest_lands(tmp_path: Path, corpus: Path) -> None:
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (corpus / "empty.md").write_bytes(b"")
    a = Assistant(tmp_path / "data", llm_backend="extractive")
    r = a.ingest([corpus], progress=False)
    assert set(Path(p).name for p in r.failed) == {"broken.pdf", "empty.md"}
    assert len(r.added) == 2 and a.index.count() == len(expected_ids(a))
    assert "broken.pdf" in r.summary()


def test_interrupted_write_is_undone_on_restart(tmp_path: Path, corpus: Path) -> None:
    """Chunks written to Chroma without their manifest commit (a crash) vanish on the next start."""
    from assistant.ingest.parse import parse_file

    a = Assistant(tmp_path / "data", llm_backend="extractive")
    a.ingest([corpus / SEED.name], progress=False)
    good = set(a.index.chunk_ids())
    doc = parse_file(corpus / "harbour.txt")[0]
    from assistant.ingest.incremental import chunk_for_model

    chunks = chunk_for_model(doc, a.settings.chunk_tokens, a.embedder)
    index = a.index
    index.docs.log_intents([doc.doc_id], "add")  # what put_files does before its SQLite commit
    index.vectors.upsert([(doc, chunks, a.embedder.embed_documents([c.text for c in chunks]))])
    assert set(index.chunk_ids()) > good  # the crash left orphans behind
    index.close()

    b = Assistant(tmp_path / "data", llm_backend="extractive")
    assert set(b.index.chunk_ids()) == good
    b.ingest([corpus], progress=False)
    assert set(b.index.chunk_ids()) == expected_ids(b) and b.index.count() == len(expected_ids(b))


def test_document_removed_while_its_batch_embeds_is_embedded_again(tmp_path: Path, corpus: Path) -> None:
    """A batch is embedded outside the write lock; a document found stored then, and deleted before the
    batch is written, must still land with its vectors (not fail, not be stored without them)."""
    from assistant.ingest.incremental import _Pipeline, chunk_for_model
    from assistant.ingest.parse import parse_file

    a = Assistant(tmp_path / "data", llm_backend="extractive")
    a.ingest([corpus / SEED.name], progress=False)
    seed = parse_file(corpus / SEED.name)[0]
    harbour = parse_file(corpus / "harbour.txt")[0]
    real = a.embedder.embed_array
    calls: list[int] = []

    def embed_then_delete(texts: list[str]):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        if len(calls) == 1:  # while the first batch embeds, another writer removes the seed article
            a.index.remove_files([str((corpus / SEED.name).resolve())])
        return real(texts)

    a.embedder.embed_array = embed_then_delete  # type: ignore[method-assign]
    copy = corpus / "copy-of-seed.md"
    shutil.copy(corpus / SEED.name, copy)
    report = IngestReport()
    pipeline = _Pipeline(a.index, a.embedder, report)
    batch = [(str(copy.resolve()), "sha", [(seed, chunk_for_model(seed, a.settings.chunk_tokens, a.embedder))]),
             (str((corpus / "harbour.txt").resolve()), "sha2",
              [(harbour, chunk_for_model(harbour, a.settings.chunk_tokens, a.embedder))])]
    try:
        pipeline.submit(batch)
        pipeline.finish()
    finally:
        pipeline.close()
    assert len(calls) == 2  # harbour first; then the seed article again, under the write lock
    assert a.index.has_document(seed.doc_id) and a.index.has_document(harbour.doc_id)
    assert set(a.index.chunk_ids()) == expected_ids(a) and a.index.count() == len(expected_ids(a))


def test_a_document_in_a_batch_still_being_written_is_not_embedded_again(
        tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import assistant.ingest.incremental as ingest_module

    monkeypatch.setattr(ingest_module, "EMBED_BATCH_CHUNKS", 1)  # every file is its own batch
    only = tmp_path / "dups"
    only.mkdir()
    for name in ("a.md", "b.md"):  # the same article twice: b's batch embeds while a's is written
        shutil.copy(corpus / SEED.name, only / name)
    a = Assistant(tmp_path / "data", llm_backend="extractive")
    embedded: list[str] = []
    real_embed, real_put = a.embedder.embed_array, a.index.put_files

    def embed(texts: list[str]):  # type: ignore[no-untyped-def]
        embedded.extend(texts)
        return real_embed(texts)

    def slow_put(files):  # type: ignore[no-untyped-def]
        time.sleep(0.5)
        return real_put(files)

    monkeypatch.setattr(a.embedder, "embed_array", embed)
    monkeypatch.setattr(a.index, "put_files", slow_put)
    report = a.ingest([only], progress=False)
    assert sorted(Path(p).name for p in report.added) == ["a.md", "b.md"]
    assert len(embedded) == len(set(embedded)) == a.index.count() == len(expected_ids(a))


def test_a_document_moving_to_another_file_in_one_run_is_kept(tmp_path: Path) -> None:
    """Rolling exports: a record leaves a.jsonl and appears in b.jsonl; one ingest handles both files."""
    import json

    folder = tmp_path / "exports"
    folder.mkdir()
    rec = {"title": "Harbour", "text": "The harbour of Saltmere reopened on Tuesday after the storm."}
    other = {"title": "Bridge", "text": "The old bridge in Saltmere closed for repairs on Monday."}
    (folder / "a.jsonl").write_text(json.dumps(rec) + "\n" + json.dumps(other) + "\n")
    a = Assistant(tmp_path / "data", llm_backend="extractive")
    a.ingest([folder], progress=False)
    (folder / "a.jsonl").write_text(json.dumps(other) + "\n")
    (folder / "b.jsonl").write_text(json.dumps(rec) + "\n")
    a.ingest([folder], progress=False)
    assert sorted(d.title for d in a.documents()) == ["Bridge", "Harbour"]
    assert set(a.index.chunk_ids()) == expected_ids(a) and a.index.count() == len(expected_ids(a))
    assert "Saltmere reopened" in a.retrieve("When did the harbour reopen?", 1)[0].text


def test_after_a_failed_write_later_batches_are_not_written(
        tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.ingest.incremental as ingest_module

    monkeypatch.setattr(ingest_module, "EMBED_BATCH_CHUNKS", 1)  # every file is its own batch
    write(corpus, "third.txt", "A third story\n\nThe ferry to Saltmere runs again from Friday.")
    a = Assistant(tmp_path / "data", llm_backend="extractive")
    calls: list[int] = []

    def failing_put(files):  # type: ignore[no-untyped-def]
        calls.append(len(files))
        raise RuntimeError("disk full")

    monkeypatch.setattr(a.index, "put_files", failing_put)
    with pytest.raises(RuntimeError, match="disk full"):
        a.ingest([corpus], progress=False)
    assert calls == [1] and a.index.count() == 0
