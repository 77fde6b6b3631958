"""The local model's thread choice (`backends.llama.free_cores`): a core another process keeps busy is left
to it, because llama.cpp's threads wait for each other at every step (docs/benchmarks.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from assistant.backends import llama


@pytest.mark.skipif(not os.path.exists("/proc/stat") or (os.cpu_count() or 1) < 2, reason="needs Linux, 2+ cores")
def test_a_core_another_process_keeps_busy_is_left_to_it() -> None:
    cores = os.cpu_count() or 2
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores)]
    try:
        time.sleep(0.5)
        assert llama.free_cores(cores, interval=0.2) == 1  # every core busy: still one thread
        for b in burners[1:]:
            b.kill()
            b.wait()
        time.sleep(0.3)
        assert llama.free_cores(cores, interval=0.2) == cores - 1
    finally:
        for b in burners:
            b.kill()
            b.wait()


def test_without_proc_stat_every_core_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llama, "_cpu_times", lambda: None)
    assert llama.free_cores(4) == 4
    assert llama.free_cores(1) == 1


def test_batches_take_many_threads_while_a_core_is_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    """One token runs on the free cores; a prompt batch, while a core is busy, on six threads per core (its
    chunks go to whichever thread runs, so it wins most of the busy core); a fixed count is used for both."""
    monkeypatch.setattr(llama, "free_cores", lambda cores, interval=0.03: 1)
    assert llama.thread_counts(0, 2) == (1, 12)
    assert llama.thread_counts(0, 4) == (1, 24)
    assert llama.thread_counts(0, 16) == (1, 32)  # capped: only 2 cores were measured
    assert llama.thread_counts(0, 64) == (1, 64)
    assert llama.thread_counts(0, 2, busy_batch=False) == (1, 1)
    assert llama.thread_counts(3, 2) == (3, 3)
    monkeypatch.setattr(llama, "free_cores", lambda cores, interval=0.03: cores)
    assert llama.thread_counts(0, 2) == (2, 2)  # an idle machine: one thread per core for both
