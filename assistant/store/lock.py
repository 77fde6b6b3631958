"""The data dir's write lock: one writer at a time across threads and processes, and the way to tell a
live writer's unfinished intents from a dead one's.

`WriteLock` is reentrant. Its outermost holder in a process also holds an exclusive `flock` on
`data_dir/write.lock`, so an ingest in the CLI and an upload in the chat UI on the same data dir take
turns write by write. The OS drops the lock when its process dies, so `try_acquire` succeeding means no
live process is between an intent and its commit: only then may recovery undo intents. Readers never
take it. It guards one data dir on one machine (a Chroma server shared by several machines is not
covered), and on systems without `fcntl` (Windows) it guards threads only.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class WriteLock:
    """A reentrant lock over threads (an `RLock`) and processes (`flock` on a file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._threads = threading.RLock()
        self._depth = 0
        self._file = None

    def acquire(self, blocking: bool = True) -> bool:
        if not self._threads.acquire(blocking):
            return False
        if self._depth == 0 and not self._lock_file(blocking):
            self._threads.release()
            return False
        self._depth += 1
        return True

    def try_acquire(self) -> bool:
        """Take the lock only if no other thread or process holds it."""
        return self.acquire(blocking=False)

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._file is not None:
            if fcntl is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        self._threads.release()

    def _lock_file(self, blocking: bool) -> bool:
        if fcntl is None:
            return True
        f = self.path.open("a")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            f.close()
            return False
        self._file = f  # type: ignore[assignment]
        return True

    def __enter__(self) -> WriteLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()
