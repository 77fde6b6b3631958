"""One data dir, three kinds of process: the chat UI answering, two CLI ingests writing, SIGKILLed at random.

Twenty trials. In each, two `assistant ingest` processes (two folders, each changed since the last
trial) run beside a live `assistant chat` process that is being asked questions through its API; each
ingest is killed with SIGKILL at a random point or left to finish. After every trial, with no writer
alive, the stores must agree exactly: the chunk ids in Chroma, in the document store and expected
from the stored documents are one set; no intent is left pending. The UI must answer every question
(never an error), and its dense retrieval (the UI runs with `retrieval=dense`, so keyword search cannot
mask a stale vector view) must find files ingested by the CLI after it started. At the end a clean
ingest of both folders converges: every file on disk is stored once, nothing else.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.ingest.incremental import chunk_for_model
from tests.test_ui import free_port

pytestmark = pytest.mark.slow
TRIALS = 20
PER_TRIAL = 8  # new files per folder per trial
TOWNS = ["Velmor", "Ostrava", "Kelburn", "Dunmore", "Arlen", "Brisco", "Calder", "Eskdale", "Farrow", "Glenmar"]


def _write(folder: Path, i: int, rng: random.Random) -> str:
    """One small article with a unique fact; returns the question that fact answers."""
    town = f"{rng.choice(TOWNS)}{i}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"article-{i:03d}.txt").write_text(
        f"Festival news {i}\n\nThe {town} lantern festival drew {1000 + i} visitors on Saturday. "
        f"Organisers in {town} said the parade lasted three hours. Item {i} ends here.\n")
    return f"How many visitors did the {town} lantern festival draw?"


def _cli(data: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "assistant.cli", "--data-dir", str(data), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": ".", "ASSISTANT_RETRIEVAL": "dense"})


def _consistent(a: Assistant) -> set[str]:
    """The exact-agreement check, after recovery; returns the stored chunk ids."""
    a.index.recover()
    in_chroma = a.index.chunk_ids()
    assert len(in_chroma) == len(set(in_chroma)) == a.index.count(), "a chunk is duplicated in Chroma"
    ids, _ = a.index.docs.chunk_texts()
    expected = {c.chunk_id for d in a.index.documents()
                for c in chunk_for_model(a.index.document(d.doc_id), a.settings.chunk_tokens, a.embedder)}
    assert set(in_chroma) == set(ids) == expected, (  # Chroma, the document store and the documents agree
        f"only in Chroma {sorted(set(in_chroma) - expected)[:3]}, only in the document store "
        f"{sorted(set(ids) - expected)[:3]}, missing from Chroma {sorted(expected - set(in_chroma))[:3]}")
    assert not a.index.docs.intents("add") and not a.index.docs.intents("delete")
    return expected


def test_ui_and_two_ingests_on_one_data_dir_killed_at_random(tmp_path: Path) -> None:
    from gradio_client import Client

    rng = random.Random(11)
    data, first, second = tmp_path / "data", tmp_path / "first", tmp_path / "second"
    questions: dict[str, str] = {}  # question -> the file that answers it
    for i in range(12):
        folder = first if i % 2 else second
        questions[_write(folder, i, rng)] = f"article-{i:03d}.txt"
    t = time.perf_counter()
    assert _cli(data, "ingest", str(first), str(second)).wait(timeout=300) == 0
    whole = time.perf_counter() - t  # start-up plus a dozen files: about one trial's undisturbed run
    port = free_port()
    ui = _cli(data, "--backend", "extractive", "chat", "--port", str(port))
    errors: list[str] = []
    asked = 0
    stop = threading.Event()
    asker: threading.Thread | None = None
    try:
        client = None
        deadline = time.time() + 120
        while client is None:
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
            except Exception:
                assert time.time() < deadline and ui.poll() is None, "the chat UI did not start"
                time.sleep(0.5)

        def ask_forever() -> None:
            nonlocal asked
            while not stop.is_set():
                q = rng.choice(list(questions))
                try:
                    client.predict(q, [], api_name="/ask")
                    asked += 1
                except Exception as exc:  # any error the UI returns is a failure
                    errors.append(f"{q}: {exc}")

        asker = threading.Thread(target=ask_forever, daemon=True)
        asker.start()
        a = Assistant(data, llm_backend="extractive")
        killed = 0
        n = 12
        for trial in range(TRIALS):
            new = []
            for folder in (first, second):  # both folders change before every trial
                for _ in range(PER_TRIAL):
                    q = _write(folder, n, rng)
                    questions[q] = f"article-{n:03d}.txt"
                    new.append(q)
                    n += 1
                if trial % 4 == 3:
                    files = sorted(folder.glob("*.txt"))
                    gone = files[rng.randrange(len(files))]
                    for q in [q for q, f in questions.items() if f == gone.name]:
                        del questions[q]
                    gone.unlink()
            procs = [_cli(data, "ingest", str(first)), _cli(data, "ingest", str(second))]
            deadlines = [time.time() + rng.uniform(0.3, 1.1) * whole for _ in procs]  # some finish
            while any(p.poll() is None for p in procs):
                for p, when in zip(procs, deadlines, strict=True):
                    if p.poll() is None and time.time() > when:
                        p.send_signal(signal.SIGKILL)
                time.sleep(0.05)
            assert all(p.returncode in (0, -signal.SIGKILL) for p in procs), [p.returncode for p in procs]
            killed += any(p.returncode == -signal.SIGKILL for p in procs)
            _consistent(a)
        assert killed >= TRIALS // 2, "most trials must really interrupt an ingest"

        for folder in (first, second):  # a clean run converges
            assert _cli(data, "ingest", str(folder)).wait(timeout=300) == 0
        stored = _consistent(a)
        files = {str(p.resolve()) for p in (*first.glob("*.txt"), *second.glob("*.txt"))}
        assert {d.source_path for d in a.index.documents()} == files  # every file once, no other
        assert stored
        late = [q for q in new if q in questions][-1]  # from the last trial (and not deleted): the UI process
        # must see it through dense search
        visitors = str(1000 + int(questions[late].split("-")[1].split(".")[0]))
        chat = client.predict(late, [], api_name="/ask")[0]
        assert visitors in str(chat[-1]["content"]), chat[-1]
        answer = a.ask(late)
        assert not answer.refused and any(visitors in c.quote for c in answer.citations)
    finally:
        stop.set()
        if asker is not None:
            asker.join(timeout=60)  # the question in flight is answered before the UI goes
        ui.terminate()
        ui.wait(timeout=30)
    assert not errors, errors[:3]
    assert asked >= TRIALS, f"the UI answered only {asked} questions"
