"""Kill `assistant ingest` with SIGKILL at random points; re-running must converge exactly."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.ingest.incremental import chunk_for_model
from tests.conftest import SEED

pytestmark = pytest.mark.slow
TRIALS = 10


def _corpus(folder: Path, n: int, rng: random.Random, first: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    words = SEED.read_text(encoding="utf-8").split()
    for i in range(first, first + n):
        start = rng.randrange(0, len(words) - 300)
        body = " ".join(words[start:start + rng.randrange(80, 300)])
        (folder / f"article-{i:02d}.txt").write_text(f"Article {i} headline\n\n{body}. Item {i} ends here.\n")


def _ingest(data: Path, corpus: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "assistant.cli", "--data-dir", str(data), "ingest", str(corpus)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": "."})


def test_sigkill_at_random_points_converges(tmp_path: Path) -> None:
    rng = random.Random(7)
    data, corpus = tmp_path / "data", tmp_path / "corpus"
    _corpus(corpus, 60, rng)
    t = time.perf_counter()  # one undisturbed run (in a scratch dir) times start-up plus 60 new files
    assert _ingest(tmp_path / "scratch", corpus).wait(timeout=300) == 0
    whole = time.perf_counter() - t
    killed_after_start = 0
    for trial in range(TRIALS):
        if trial:  # every run has ~60 new files to ingest, whatever the last one finished
            _corpus(corpus / f"batch{trial}", 60, rng, first=100 * trial)
        if trial % 3 == 2:  # change the corpus between crashes: edits and deletions too
            files = sorted(corpus.rglob("*.txt"))
            files[rng.randrange(len(files))].unlink()
            edited = files[rng.randrange(len(files))]
            edited.write_text(f"Edited headline\n\n{edited.name} was edited in trial {trial}. It ends here.\n")
        proc = _ingest(data, corpus)
        time.sleep(rng.uniform(0.3, 0.95) * whole)  # anywhere from model loading to the last write
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed_after_start += 1
        proc.wait()
    assert killed_after_start >= TRIALS // 2, "most trials must really be interrupted"
    final = _ingest(data, corpus)
    assert final.wait(timeout=300) == 0

    a = Assistant(data, llm_backend="extractive")
    docs = a.index.documents()
    expected = {c.chunk_id for d in docs for c in chunk_for_model(a.index.document(d.doc_id), a.settings.chunk_tokens,
                                                                    a.embedder)}
    in_chroma = a.index.chunk_ids()
    assert len(in_chroma) == len(set(in_chroma)) == a.index.count()  # nothing duplicated
    assert set(in_chroma) == expected  # nothing missing, nothing orphaned
    ids, _ = a.index.docs.chunk_texts()
    assert set(ids) == expected  # the document store agrees
    assert set(a.retriever.keyword.chunk_ids()) == expected  # the keyword index agrees with Chroma
    files = {str(p.resolve()) for p in corpus.rglob("*.txt")}
    assert {Path(d.source_path).resolve().as_posix() for d in docs} == files  # every file, once
