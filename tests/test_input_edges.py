"""Small defects found by an adversarial run (issue #18), each pinned by a test that failed before its fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.ingest.parse import parse_file
from assistant.settings import Settings


def test_a_looping_symlink_named_directly_is_skipped_and_the_rest_lands(tmp_path: Path) -> None:
    (tmp_path / "loop.txt").symlink_to("loop.txt")
    good = tmp_path / "good.txt"
    good.write_text("Harbour news\n\nThe Velmor harbour was dredged to a depth of 12 metres.\n")
    report = Assistant(tmp_path / "data", llm_backend="extractive").ingest(
        [tmp_path / "loop.txt", good], progress=False)
    assert str(good.resolve()) in report.added and len(report.failed) == 1
    assert "loop" in next(iter(report.failed.values()))


def test_one_path_as_a_string_is_one_path(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("Harbour news\n\nThe Velmor harbour was dredged to a depth of 12 metres.\n")
    report = Assistant(tmp_path / "data", llm_backend="extractive").ingest(str(good), progress=False)
    assert report.added == [str(good.resolve())] and not report.failed


def test_utf8_with_one_stray_byte_stays_utf8(tmp_path: Path) -> None:
    f = tmp_path / "stray.txt"
    f.write_bytes("Café news\n\nThe café in Zürich reopened — with crêpes.\x81 More text.\n".encode()
                  .replace(b"\xc2\x81", b"\x81"))
    text = parse_file(f)[0].text
    assert "Zürich" in text and "crêpes" in text and "Ã" not in text  # no mojibake
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Café news\n\nThe café reopened.\n".encode("cp1252"))
    assert "café reopened" in parse_file(latin1)[0].text  # real Windows-1252 text is still read as such


def test_not_a_number_is_not_a_score() -> None:
    with pytest.raises(ValueError):
        Settings(min_score=float("nan"))
    with pytest.raises(ValueError):
        Settings(min_relevance=float("inf"))


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def test_a_bad_setting_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    done = _cli("--data-dir", str(tmp_path), "ask", "anything?", env={"ASSISTANT_K": "abc"})
    assert done.returncode == 3 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "ASSISTANT_K" in done.stderr


def test_an_unreachable_openai_server_is_one_line(seeded_copy: Path) -> None:
    done = _cli("--data-dir", str(seeded_copy), "ask", "How many countries' ambassadors co-signed the letter?",
                env={"ASSISTANT_LLM_BACKEND": "openai", "ASSISTANT_LLM_BASE_URL": "http://127.0.0.1:9/v1",
                     "ASSISTANT_LLM_API_KEY": "x"})
    assert done.returncode == 3 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert len(done.stderr.strip().splitlines()) == 1 and "could not be reached" in done.stderr


def test_skipped_files_are_listed_once(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.txt").write_text("")
    (folder / "good.txt").write_text("Harbour news\n\nThe harbour was dredged.\n")
    done = _cli("--data-dir", str(tmp_path / "data"), "--backend", "extractive", "ingest", str(folder))
    assert done.returncode == 1
    assert (done.stdout + done.stderr).count("empty.txt") == 1


def test_an_embedded_store_error_does_not_suggest_a_server(tmp_path: Path) -> None:
    from assistant.errors import BackendUnavailable

    data = tmp_path / "data"
    data.mkdir()
    (data / "chroma").write_text("not a folder")  # the embedded store cannot be opened
    with pytest.raises(BackendUnavailable) as err:
        Assistant(data, llm_backend="extractive").index  # noqa: B018
    assert "chroma run" not in str(err.value) and str(data / "chroma") in str(err.value)


def test_a_huge_line_without_a_sentence_end_chunks_in_linear_work() -> None:
    """A 5 MB line with no sentence end took 426 s: every piece re-counted the rest of the line."""
    from assistant import tokens
    from assistant.domain import Document
    from assistant.ingest.chunk import chunk_document

    text = " ".join(f"word{i % 997}" for i in range(40_000))  # ~330 KB, one 'sentence'
    counted = 0

    def count(s: str) -> int:
        nonlocal counted
        counted += len(s)
        return tokens.count(s)

    chunks = chunk_document(Document("d", text, "x"), 160, count)
    assert all(text[c.char_start:c.char_end] == c.text and tokens.count(c.text) <= 160 for c in chunks)
    assert " ".join(c.text for c in chunks) == text  # nothing lost, nothing repeated
    assert counted < 40 * len(text), counted / len(text)  # characters tokenised per character of input


_PAUSED_WRITER = """
import sys, time
from pathlib import Path
from assistant import Assistant
from assistant.ingest.incremental import chunk_for_model
from assistant.ingest.parse import parse_file

a = Assistant(sys.argv[1], llm_backend="extractive")
doc = parse_file(Path(sys.argv[2]))[0]
chunks = chunk_for_model(doc, a.settings.chunk_tokens, a.embedder)
with a.index.writing():  # what put_files holds from its intent to its commit
    a.index.docs.log_intents([doc.doc_id], "add")
    a.index.vectors.upsert([(doc, chunks, a.embedder.embed_documents([c.text for c in chunks]))])
    print("paused", flush=True)
    time.sleep(120)
"""


def test_a_second_process_never_undoes_a_live_writers_intents(tmp_path: Path) -> None:
    """A live ingest between its Chroma write and its commit keeps its vectors when another process opens
    the data dir (the CLI beside the UI); once it is gone, the next opener recovers."""
    import signal

    data = tmp_path / "data"
    article = tmp_path / "harbour.txt"
    article.write_text("Harbour news\n\nThe Velmor harbour was dredged to a depth of 12 metres last spring.\n")
    Assistant(data, llm_backend="extractive").index.close()  # the store exists
    writer = subprocess.Popen([sys.executable, "-c", _PAUSED_WRITER, str(data), str(article)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "paused"
        reader = Assistant(data, llm_backend="extractive")
        assert reader.index.count() > 0  # the live writer's vectors were not wiped
        assert not reader.index.recover()  # and recovery refuses while it lives
        reader.index.close()
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    after = Assistant(data, llm_backend="extractive")  # the writer died mid-write: its intent is undone
    assert after.index.count() == 0 and not after.index.docs.intents("add")
