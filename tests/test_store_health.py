"""A damaged store explains itself and heals: `assistant check`, `assistant rebuild`, one-line errors.

Each case damages a real data dir the way the adversarial run did (the Chroma folder deleted, the
SQLite file half-truncated, the SQLite file removed), then drives the real CLI in a subprocess: `ask`
and `ingest` stop with one line naming `assistant rebuild` (before: a KeyError traceback, "N unchanged",
a DatabaseError traceback, or a silent "the index is empty"); `check` reports the damage (exit 1);
`rebuild` heals from what survived, after which `check` is healthy and the answer is cited again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CORPUS

QUESTION = "Who heads Tajikistan's mission in Geneva?"


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant.cli", "--data-dir", str(data), "--backend", "extractive",
                           *args], capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": "."})


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 3, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("Ingesting:")]
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def _truncate_sqlite(data: Path) -> None:
    db = data / "documents.sqlite3"
    blob = db.read_bytes()
    db.write_bytes(blob[: len(blob) // 2])
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def _remove_sqlite(data: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{data / 'documents.sqlite3'}{suffix}").unlink(missing_ok=True)


def _remove_chroma(data: Path) -> None:
    shutil.rmtree(data / "chroma")


@pytest.mark.parametrize("damage", [_remove_chroma, _truncate_sqlite, _remove_sqlite],
                         ids=["chroma-deleted", "sqlite-truncated", "sqlite-deleted"])
def test_a_damaged_store_says_so_and_rebuild_heals_it(seeded_copy: Path, damage: Callable[[Path], None],
                                                      tmp_path: Path) -> None:
    healthy = _cli(seeded_copy, "check", "--json")
    assert healthy.returncode == 0 and json.loads(healthy.stdout)["ok"], healthy.stdout
    before = json.loads(_cli(seeded_copy, "ask", "--json", QUESTION).stdout)
    assert before["citations"]

    damage(seeded_copy)
    for command in (("ask", QUESTION), ("ingest", str(CORPUS))):
        line = _one_line_error(_cli(seeded_copy, *command))
        assert "assistant rebuild" in line and "damaged" in line, line
    report = _cli(seeded_copy, "check", "--json")
    assert report.returncode == 1
    found = json.loads(report.stdout)
    assert not found["ok"] and any("assistant rebuild" in p for p in found["problems"]), found

    rebuilt = _cli(seeded_copy, "rebuild")
    assert rebuilt.returncode == 0 and "1 file(s) ingested" in rebuilt.stdout, (rebuilt.stdout, rebuilt.stderr)
    after_check = _cli(seeded_copy, "check", "--json")
    assert after_check.returncode == 0, after_check.stdout
    after = json.loads(_cli(seeded_copy, "ask", "--json", QUESTION).stdout)
    assert [(c["doc_id"], c["char_start"], c["char_end"]) for c in after["citations"]] == \
        [(c["doc_id"], c["char_start"], c["char_end"]) for c in before["citations"]]
    assert _cli(seeded_copy, "ingest", str(CORPUS)).stdout.startswith("0 file(s) ingested (0 chunks), 1 unchanged")


def test_check_reports_counts_per_store(seeded_copy: Path) -> None:
    result = _cli(seeded_copy, "check")
    assert result.returncode == 0 and "healthy" in result.stdout
    assert "documents: 1" in result.stdout and "vectors: 7" in result.stdout and "orphans): 0" in result.stdout


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A 6 MiB tmpfs (needs permission to mount; skipped, saying so, where there is none)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill ({done.stderr.decode().strip() or 'not permitted'})")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path, leave: int) -> Path:
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    with filler.open("wb") as f:
        f.truncate(0)
        f.write(b"\0" * max(0, free - leave))
    return filler


def test_a_full_disk_says_so_and_loses_nothing(small_disk: Path, tmp_path: Path) -> None:
    data, articles = small_disk / "data", tmp_path / "articles"
    articles.mkdir()
    words = (CORPUS / "ambassadors-un-xinjiang.md").read_text(encoding="utf-8").split()
    for i in range(20):  # ~350 chunks: more than the space left
        (articles / f"a{i:02d}.txt").write_text(f"Article {i}\n\n" + " ".join(words[(i * 37) % 400:][:2500]) + ".")
    assert _cli(data, "ingest", str(CORPUS)).returncode == 0
    filler = _fill(small_disk, leave=600 * 1024)  # the disk fills during the ingest
    line = _one_line_error(_cli(data, "ingest", str(articles)))
    assert "is full" in line and "free some space" in line and "damaged" not in line, line
    filler.unlink()
    _fill(small_disk, leave=0)  # full before the command starts: still "full", never "damaged"
    line = _one_line_error(_cli(data, "ask", QUESTION))
    assert "is full" in line and "damaged" not in line, line
    (small_disk / "filler").unlink()
    again = _cli(data, "ingest", str(articles))
    assert again.returncode == 0, again.stderr
    health = json.loads(_cli(data, "check", "--json").stdout)
    assert health["ok"] and health["documents"] == 21 and health["missing"] == health["orphans"] == 0, health
