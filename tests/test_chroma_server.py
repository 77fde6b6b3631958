"""Scale-out is configuration: the same code against a real Chroma server (`chroma run`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant import Answer, Assistant
from tests.conftest import CORPUS
from tests.test_ui import free_port


@pytest.fixture
def chroma_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    assert exe, "the chroma CLI comes with chromadb"
    port = free_port()
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("chroma server did not start") from None
            time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def _cited(answer: Answer) -> list[tuple[str, int, int]]:
    return [(c.doc_id, c.char_start, c.char_end) for c in answer.citations]


def test_a_second_machine_answers_from_the_server_alone(tmp_path: Path, chroma_server: str) -> None:
    """Two clients with different data dirs: one ingests, the other (no local state) answers the same."""
    a = Assistant(tmp_path / "one", chroma_url=chroma_server, llm_backend="extractive")
    r = a.ingest([CORPUS], progress=False)
    assert r.chunks > 0 and a.index.count() == r.chunks
    assert not (tmp_path / "one" / "chroma").exists()  # vectors live on the server
    assert not list((tmp_path / "one").glob("*.sqlite3"))  # and so do texts, metadata and the manifest
    question = "Who heads Tajikistan's mission in Geneva?"
    first = a.ask(question)
    assert not first.refused and any("Khamidov" in c.quote for c in first.citations)

    b = Assistant(tmp_path / "two", chroma_url=chroma_server, llm_backend="extractive")
    second = b.ask(question)
    assert second.text == first.text and _cited(second) == _cited(first)
    assert [d.doc_id for d in b.index.documents()] == [d.doc_id for d in a.index.documents()]
    assert b.index.document(first.citations[0].doc_id).text == a.index.document(first.citations[0].doc_id).text
    assert b.ingest([CORPUS], progress=False).added == []  # the manifest is shared: re-ingest is a no-op
    assert b.retriever.keyword is not None and set(b.retriever.keyword.chunk_ids()) == set(a.index.chunk_ids())


def test_collections_on_a_server_are_independent_corpora(tmp_path: Path, chroma_server: str) -> None:
    _independent_collections(tmp_path, chroma_url=chroma_server)


def test_collections_in_one_data_dir_are_independent_corpora(tmp_path: Path) -> None:
    _independent_collections(tmp_path)


def _independent_collections(tmp_path: Path, **store: str) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "harbour.txt").write_text("Harbour news\n\nThe Velmor harbour was dredged to a depth of 12 metres "
                                       "in March. The work took six weeks.\n")
    news = Assistant(tmp_path / "data", llm_backend="extractive", **store)
    local = Assistant(tmp_path / "data", collection="harbour", llm_backend="extractive", **store)
    assert news.ingest([CORPUS], progress=False).added
    assert local.ingest([other], progress=False).added  # a second collection fills ("unchanged" before)
    assert {d.title for d in local.index.documents()} == {"Harbour news"}
    assert "Harbour news" not in {d.title for d in news.index.documents()}
    answer = local.ask("How deep was the Velmor harbour dredged?")
    assert not answer.refused and "12 metres" in answer.citations[0].quote
    assert local.ask("Who heads Tajikistan's mission in Geneva?").refused  # not in this corpus
    assert all("Velmor" not in c.quote for c in news.ask("How deep was the Velmor harbour dredged?").citations)
