"""Issue #7.3: many simultaneous chat sessions against the running Gradio app, one copy of each model.

- 20 gradio_client sessions at once, each with its own two-turn conversation (the follow-up only makes
  sense with that session's history): no errors, no history or state crossing sessions.
- A cold `Assistant` hit by 20 threads at once builds its embedder, index and retriever once.
- The local llama.cpp model (not thread-safe) generates for one caller at a time.
- The queue is bounded: requests beyond it are refused cleanly ("Queue is full"), the rest are answered.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant, pipeline
from assistant import parts as part_builders
from assistant.backends import models
from assistant.backends.llama import LlamaCppChat
from assistant.domain import Answer
from assistant.pipeline import Event
from assistant.ui.app import build_app
from tests.test_ui import free_port

SESSIONS = 20
TOWNS = ["Arkvale", "Brimford", "Caskmoor", "Dunholt", "Elderwick", "Fallowmere", "Glenrith", "Harrowby",
         "Ivelmouth", "Jorvale", "Kestwick", "Lornhaven", "Marrowdale", "Northollow", "Oxbury", "Pellridge",
         "Quarrywick", "Rookmere", "Saltcombe", "Thistlebury"]
assert len(TOWNS) == SESSIONS


def visitors(i: int) -> int:
    return 1000 + 37 * i


def _articles(folder: Path) -> None:
    """One short article per session; under 200 characters, so near-duplicate folding leaves them apart."""
    folder.mkdir()
    for i, town in enumerate(TOWNS):
        (folder / f"{town.lower()}.txt").write_text(
            f"{town} harvest festival\n\nThe harvest festival in {town} opened on Saturday with a parade. "
            f"Organisers said {visitors(i)} visitors attended the {town} festival.\n", encoding="utf-8")


def _text(content: Any) -> str:
    """A chat message's text: Gradio returns a string or a list of {"type": "text", "text": ...} parts."""
    if isinstance(content, list):
        return " ".join(_text(c) for c in content)
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return str(content)


class Counting:
    """Wraps a real factory or class and counts how often it is called (the real one still runs)."""

    def __init__(self, real: Any, delay: float = 0.0) -> None:
        self.real, self.delay, self.calls = real, delay, 0
        self._lock = threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.calls += 1
        time.sleep(self.delay)  # widen the window in which a second thread could start a second build
        return self.real(*args, **kwargs)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, Counting]:
    parts = {"embeddings": Counting(models.embeddings, 0.2), "chat_model": Counting(models.chat_model, 0.2),
             "Index": Counting(pipeline.Index, 0.2), "KeywordIndex": Counting(part_builders.KeywordIndex, 0.2)}
    monkeypatch.setattr(models, "embeddings", parts["embeddings"])
    monkeypatch.setattr(models, "chat_model", parts["chat_model"])
    monkeypatch.setattr(pipeline, "Index", parts["Index"])
    monkeypatch.setattr(part_builders, "KeywordIndex", parts["KeywordIndex"])
    return parts


def test_cold_assistant_hit_by_many_threads_builds_each_part_once(seeded_copy: Path,
                                                                  counted: dict[str, Counting]) -> None:
    a = Assistant(seeded_copy, llm_backend="extractive")
    start = threading.Barrier(SESSIONS)

    def first_use(i: int) -> tuple[int, int, int]:
        start.wait()
        parts = (a.retriever, a.index, a.embedder) if i % 2 else (a.index, a.embedder, a.retriever)
        a.retrieve("Who co-signed the letter?", 2)
        return tuple(id(p) for p in parts)  # type: ignore[return-value]

    with ThreadPoolExecutor(SESSIONS) as pool:
        ids = list(pool.map(first_use, range(SESSIONS)))
    assert {c: p.calls for c, p in counted.items()} == {"embeddings": 1, "chat_model": 0, "Index": 1,
                                                         "KeywordIndex": 1}
    assert len({frozenset(x) for x in ids}) == 1
    assert a.embedder is models._SHARED[next(k for k in models._SHARED if k[0] == "emb")]  # the process-wide copy


def test_twenty_simultaneous_chat_sessions(seeded_copy: Path, counted: dict[str, Counting]) -> None:
    from gradio_client import Client

    towns = seeded_copy.parent / "towns"
    _articles(towns)
    Assistant(seeded_copy, llm_backend="extractive").ingest([towns], progress=False)
    # Cold: the first sessions build its parts. k=1: an answer or source from another session's town can
    # only come from crossed history or state (the previous answer's passages join the follow-up's pool).
    assistant = Assistant(seeded_copy, llm_backend="extractive", k=1)
    for c in counted.values():
        c.calls = 0

    active, peak, lock = 0, 0, threading.Lock()
    real_stream = assistant.stream

    def tracked_stream(*args: Any, **kwargs: Any) -> Iterator[Event]:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        try:
            yield from real_stream(*args, **kwargs)
        finally:
            with lock:
                active -= 1

    assistant.stream = tracked_stream  # type: ignore[method-assign]
    app = build_app(assistant)
    queue = app._queue
    assert queue.max_size is not None and queue.max_size >= SESSIONS * 2  # bounded, yet room for every session
    ask = next(fn for fn in app.fns.values() if fn.api_name == "ask")
    limit = ask.concurrency_limit if isinstance(ask.concurrency_limit, int) else queue.default_concurrency_limit
    assert isinstance(limit, int) and 1 <= limit < SESSIONS
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        clients = [Client(f"http://127.0.0.1:{port}/", verbose=False) for _ in range(SESSIONS)]
        start = threading.Barrier(SESSIONS)

        def conversation(i: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
            client, town = clients[i], TOWNS[i]
            start.wait()  # every session sends its first question at the same moment
            first, _, box = client.predict(f"What opened in {town} on Saturday?", [], api_name="/ask")[:3]
            assert box == ""
            second, panel = client.predict("How many visitors attended?", first, api_name="/ask")[:2]
            return first, second, panel

        t0 = time.perf_counter()
        with ThreadPoolExecutor(SESSIONS) as pool:
            futures = [pool.submit(conversation, i) for i in range(SESSIONS)]
            results, errors = [], []
            for f in futures:
                try:
                    results.append(f.result(timeout=600))
                except Exception as exc:
                    errors.append(repr(exc))
        wall = time.perf_counter() - t0
    finally:
        app.close()
    print(f"\n{SESSIONS} sessions x 2 turns: {wall:.1f}s wall, peak {peak} answers in flight "
          f"(concurrency limit {limit}, queue max {queue.max_size}), {len(errors)} errors")
    assert not errors, errors

    for i, (first, second, panel) in enumerate(results):
        town, others = TOWNS[i], [t for t in TOWNS if t != TOWNS[i]]
        assert [m["role"] for m in second] == ["user", "assistant", "user", "assistant"], second
        said = [_text(m["content"]) for m in second]
        assert said[0] == f"What opened in {town} on Saturday?" and said[2] == "How many visitors attended?"
        assert said[:2] == [_text(m["content"]) for m in first]  # this session's own first turn, unchanged
        answers = f"{said[1]} {said[3]}"
        assert town in answers and "[1]" in answers, answers
        assert str(visitors(i)) in said[3], said[3]  # the follow-up was read with this session's history
        assert not [t for t in others if t in answers or t in panel], f"{town}: {answers}\n{panel}"
        assert str(visitors(i)) in panel
    assert 1 < peak <= limit  # sessions really overlapped, and never beyond the limit
    # One copy of each part, however many sessions reached the cold assistant at once (chat_model: None here).
    assert {c: p.calls for c, p in counted.items()} == {"embeddings": 1, "chat_model": 1, "Index": 1,
                                                         "KeywordIndex": 1}


class SlowLlama:
    """Stands in for `llama_cpp.Llama` behind the real `LlamaCppChat`: streams slowly, records overlap."""

    def __init__(self) -> None:
        self.active = self.peak = self.calls = 0
        self._lock = threading.Lock()

    def create_chat_completion(self, messages: list[dict[str, str]], **kwargs: Any) -> Iterator[dict[str, Any]]:
        with self._lock:
            self.active += 1
            self.calls += 1
            self.peak = max(self.peak, self.active)
        try:
            for token in ["Ambassadors from ", "50 countries ", "co-signed ", "the letter [1]."]:
                time.sleep(0.05)
                yield {"choices": [{"delta": {"content": token}}]}
        finally:
            with self._lock:
                self.active -= 1


def test_local_model_generates_for_one_session_at_a_time(seeded_copy: Path) -> None:
    llama = SlowLlama()
    a = Assistant(seeded_copy, llm=LlamaCppChat(llama=llama))
    a.retrieve("warm up", 1)
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: a.ask("How many countries' ambassadors co-signed the letter?"), range(6)))
    assert llama.calls == 6 and llama.peak == 1  # six concurrent asks, never two generations at once
    for ans in answers:
        assert not ans.refused and "50" in ans.text and ans.citations


class BlockedAssistant(Assistant):
    """An `Assistant` (empty data dir) whose answers wait for a signal, to fill the app's queue."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir, llm_backend="extractive")
        self.release = threading.Event()

    def stream(self, question: str, history: Any = None, previous: Any = None) -> Iterator[Event]:
        self.release.wait(60)
        yield Event("answer", answer=Answer(question=question, text=f"Echo: {question}", refused=True))


def test_requests_beyond_the_queue_are_refused_cleanly(tmp_path: Path) -> None:
    from gradio_client import Client

    blocked = BlockedAssistant(tmp_path / "data")
    app = build_app(blocked)
    max_size = app._queue.max_size
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        extra, total = 8, max_size + 4 + 8  # 4 running + a full queue + some more
        client = Client(f"http://127.0.0.1:{port}/", verbose=False, max_workers=total)  # all in flight at once
        jobs = []
        for i in range(total):
            jobs.append(client.submit(f"question {i}", [], api_name="/ask"))
            time.sleep(0.01)
        time.sleep(2.0)
        blocked.release.set()
        answered, refused, other = 0, 0, []
        for job in jobs:
            try:
                chat = job.result(timeout=120)[0]
                assert _text(chat[-1]["content"]).startswith("Echo: question "), chat
                answered += 1
            except Exception as exc:
                if "Queue is full" in str(exc):
                    refused += 1
                else:
                    other.append(repr(exc))
    finally:
        blocked.release.set()
        app.close()
    print(f"\nqueue max {max_size}: {answered} answered, {refused} refused as 'Queue is full', {len(other)} other")
    assert not other, other[:3]
    assert refused >= extra and answered >= max_size and answered + refused == len(jobs)
