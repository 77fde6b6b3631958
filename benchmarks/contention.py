"""Answer speed with one core busy: the local model's thread choices against each other, one run.

Conditions on the same seed questions (k=4 passages, the default pipeline), in two passes (the second in
reverse order, so drift on the machine falls on both sides):
  1. idle machine, threads fixed at all cores (the old default): the baseline;
  2. one core kept busy by a CPU burner process, threads fixed at all cores (`--fixed-busy` only: slow);
  3. the same burner, threads = the cores other work leaves free, for one token and for prompt batches
     (`ASSISTANT_LLM_THREADS=0` before `busy_batch_threads`);
  4. the same burner, free-core threads for one token and six threads per core for prompt batches
     (`backends.llama.thread_counts`, the default);
  5. idle machine, the default (what it costs when nothing else runs).
Prints time to first token and total per question; then, per condition, the medians of retrieval, first
token, the rest of generation and checking, the total, and the total's ratio to the baseline.
Usage: python benchmarks/contention.py [--questions 4] [--fixed-busy]
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
from assistant.backends.llama import LlamaCppChat

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


def run(a: Assistant, questions: list[str], phases: dict[str, list[float]]) -> tuple[list[float], list[float]]:
    """Ask each question; returns first-token and total times, and adds each answer's phases to `phases`
    (retrieval, the rest of generation after the first token, checking)."""
    first, total = [], []
    for q in questions:
        t = time.perf_counter()
        ans = a.ask(q)
        total.append(time.perf_counter() - t)
        first.append(ans.timings.get("first_token", total[-1]))
        times = ans.timings
        for name, value in (("retrieve", times.get("retrieve", 0.0)), ("verify", times.get("verify", 0.0)),
                            ("rest", times.get("generate", first[-1]) - first[-1])):
            phases.setdefault(name, []).append(value)
        print(f"    {q[:48]:<50} first token {first[-1]:6.2f} s  total {total[-1]:6.2f} s  refused={ans.refused}",
              flush=True)
    return first, total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=4, choices=range(1, len(QUESTIONS) + 1))
    ap.add_argument("--fixed-busy", action="store_true", help="also threads fixed at all cores, one core busy")
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
        chat = free.llm
        assert isinstance(chat, LlamaCppChat)
        conditions = [("idle, fixed threads = all cores (baseline)", base, False, True)]
        if args.fixed_busy:
            conditions.append(("one core busy, fixed threads = all cores", base, True, True))
        conditions += [("one core busy, free-core threads for tokens and batches (before)", free, True, False),
                       ("one core busy, free-core threads, batches on 6 threads per core (default)", free, True,
                        True),
                       ("idle, the default", free, False, True)]
        times: dict[str, tuple[list[float], list[float]]] = {c[0]: ([], []) for c in conditions}
        phases: dict[str, dict[str, list[float]]] = {c[0]: {} for c in conditions}
        for order in (conditions, conditions[::-1]):
            for name, a, busy, busy_batch in order:
                print(f"  {name}:", flush=True)
                chat.busy_batch_threads = busy_batch
                with burner(busy):
                    first, total = run(a, questions, phases[name])
                times[name][0].extend(first)
                times[name][1].extend(total)
        rows = [(name, statistics.median(f), statistics.median(t)) for name, (f, t) in times.items()]
    print(f"\n{cores} cores, {len(questions)} seed questions x 2 passes, medians\n")
    print("| condition | retrieval | first token | rest of generation | checking | total | total vs baseline |\n"
          "|---|---|---|---|---|---|---|")
    for name, first_p50, total_p50 in rows:
        p = {k: statistics.median(v) for k, v in phases[name].items()}
        print(f"| {name} | {p['retrieve']:.2f} s | {first_p50:.2f} s | {p['rest']:.2f} s | {p['verify']:.2f} s | "
              f"{total_p50:.2f} s | {total_p50 / rows[0][2]:.2f}x |")


if __name__ == "__main__":
    main()
