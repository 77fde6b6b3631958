"""Answer benchmark on the embedded default: model load, time to first token, total answer time, memory.

Baseline in the same run: the same questions through the extractive backend (no LLM), so the ratio
shows what generation costs. Usage: python benchmarks/answer.py
"""

from __future__ import annotations

import resource
import statistics
import tempfile
import time
from pathlib import Path

from assistant import Assistant

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "How many countries' ambassadors co-signed the letter?",
    "Who is Vadim Pisarevich?",
    "How does China describe the facilities in Xinjiang?",
    "When did ambassadors in Geneva first send the joint letter?",
]


def run(a: Assistant) -> tuple[list[float], list[float]]:
    first, total = [], []
    for q in QUESTIONS:
        ans = a.ask(q)
        first.append(ans.timings.get("first_token", ans.timings.get("total", 0.0)))
        total.append(ans.timings.get("total", 0.0))
        print(f"  {q[:50]:<52} first token {first[-1]:5.2f}s  total {total[-1]:5.2f}s  refused={ans.refused}")
    return first, total


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ext = Assistant(Path(tmp), llm_backend="extractive")
        ext.ingest([ROOT / "corpus"], progress=False)
        print("extractive (baseline, no LLM):")
        _, base_total = run(ext)
        local = Assistant(Path(tmp), llm_backend="local")
        t = time.perf_counter()
        local.llm  # noqa: B018  (load outside the timed questions)
        print(f"local model load: {time.perf_counter() - t:.1f}s")
        print("local (Qwen2.5-1.5B-Instruct Q4_K_M, llama.cpp):")
        first, total = run(local)
        print(f"median first token {statistics.median(first):.2f}s, median total {statistics.median(total):.2f}s, "
              f"ratio to extractive {statistics.median(total) / statistics.median(base_total):.0f}x")
        print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
