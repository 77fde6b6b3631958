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
