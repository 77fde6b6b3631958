"""Answer speed with one core busy: the local model's fixed threads against free-core threads, one run.

Four conditions on the same seed questions (k=4 passages, the default pipeline):
  1. idle machine, threads fixed at all cores (the old default): the baseline;
  2. one core kept busy by a CPU burner process, threads fixed at all cores;
  3. the same burner, threads = the cores other work leaves free (`ASSISTANT_LLM_THREADS=0`, the default);
  4. idle machine, free-core threads (what the default costs when nothing else runs).
Prints time to first token and total per question, medians, and each condition's ratio to the baseline.
Usage: python benchmarks/contention.py [--questions 3]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from assistant import Assistant

QUESTIONS = [
    "How many countries' ambassadors co-signed the letter?",
    "Who is Vadim Pisarevich?",
    "When did ambassadors in Geneva first send the joint letter?",
    "How does China describe the facilities in Xinjiang?",
]


@contextlib.contextmanager
def burner(on: bool) -> Iterator[None]:
    """A process spinning on one core while the block runs (nothing when `on` is false)."""
    if not on:
        yield
        return
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    time.sleep(1.0)  # let the scheduler settle it on a core
    try:
        yield
    finally:
        proc.kill()
        proc.wait()


def run(a: Assistant, questions: list[str]) -> tuple[list[float], list[float]]:
    first, total = [], []
    for q in questions:
        t = time.perf_counter()
        ans = a.ask(q)
        total.append(time.perf_counter() - t)
        first.append(ans.timings.get("first_token", total[-1]))
        print(f"    {q[:48]:<50} first token {first[-1]:6.2f} s  total {total[-1]:6.2f} s  refused={ans.refused}",
              flush=True)
    return first, total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=3)
    ap.add_argument("--corpus", default="corpus", help="folder to ingest (the seed article)")
    args = ap.parse_args()
    questions = QUESTIONS[:args.questions]
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        base = Assistant(Path(tmp), llm_backend="local", llm_threads=cores)
        base.ingest([Path(args.corpus)], progress=False)
        _ = base.llm  # load outside the timed questions
        base.ask("What did China's ambassador say about the letter?")  # warm: the prompt's fixed prefix cached
        free = base.with_settings(llm_threads=0)
        conditions = [("idle, fixed threads = all cores (baseline)", base, False),
                      ("one core busy, fixed threads = all cores", base, True),
                      ("one core busy, free-core threads (default)", free, True),
                      ("idle, free-core threads (default)", free, False)]
        rows = []
        for name, a, busy in conditions:
            print(f"  {name}:", flush=True)
            with burner(busy):
                first, total = run(a, questions)
            rows.append((name, statistics.median(first), statistics.median(total)))
    print(f"\n{cores} cores, {len(questions)} seed questions, medians\n")
    print("| condition | first token | total | total vs baseline |\n|---|---|---|---|")
    for name, first_p50, total_p50 in rows:
        print(f"| {name} | {first_p50:.2f} s | {total_p50:.2f} s | {total_p50 / rows[0][2]:.2f}x |")


if __name__ == "__main__":
    main()
