"""Scale-out is configuration: the same code against a real Chroma server (`chroma run`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant import Assistant
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


def test_ingest_and_answer_through_a_chroma_server(tmp_path: Path, chroma_server: str) -> None:
    a = Assistant(tmp_path / "data", chroma_url=chroma_server, llm_backend="extractive")
    r = a.ingest([CORPUS], progress=False)
    assert r.chunks > 0 and a.index.count() == r.chunks
    assert not (tmp_path / "data" / "chroma").exists()  # vectors live on the server
    ans = a.ask("Who heads Tajikistan's mission in Geneva?")
    assert not ans.refused and any("Khamidov" in c.quote for c in ans.citations)
    # a second client of the same server sees the same index, and re-ingest is a no-op
    b = Assistant(tmp_path / "data", chroma_url=chroma_server, llm_backend="extractive")
    assert b.ingest([CORPUS], progress=False).added == [] and b.index.count() == r.chunks
