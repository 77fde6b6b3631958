"""The one small error hierarchy. Every message says what went wrong and what to do next.

The CLI and UI catch `AssistantError` and show `str(error)`; anything else is a bug.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path


class AssistantError(Exception):
    """Base class: an error a person can act on."""


class ConfigError(AssistantError):
    """A setting is missing or invalid."""


class ParseError(AssistantError):
    """A file could not be turned into a document. Carries the path and the reason."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class BackendUnavailable(AssistantError):
    """A model or store could not be loaded or reached."""


class StoreDamaged(AssistantError):
    """The index's stores disagree or cannot be read; the message names the repair (`assistant rebuild`)."""


class StorageFull(AssistantError):
    """The disk holding the data dir is full. Nothing is lost: the next run finishes or undoes the write."""


def disk_full(exc: BaseException, folder: Path) -> bool:
    """Whether `exc` (or what caused it) is a full disk, or the disk holding `folder` has under 1 MiB free.

    SQLite and Chroma report a full disk in their own words ("disk I/O error", "database or disk is
    full", an internal error), so the free space decides when the words do not."""
    seen: BaseException | None = exc
    while seen is not None:
        text = str(seen).lower()
        if getattr(seen, "errno", None) == errno.ENOSPC or "no space left" in text or "disk is full" in text:
            return True
        seen = seen.__cause__ or seen.__context__
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    try:
        return existing is not None and shutil.disk_usage(existing).free < 1 << 20
    except OSError:
        return False


def storage_full(folder: Path) -> StorageFull:
    return StorageFull(f"the disk holding {folder} is full: free some space and run the command again (nothing "
                       "was lost: an interrupted write is finished or undone on the next run)")


class PromptError(AssistantError):
    """A prompt file is missing, or its variables do not match what the code renders."""


class IngestError(AssistantError):
    """Some files were not ingested; `failures` maps each path to its reason."""

    def __init__(self, failures: dict[str, str]) -> None:
        lines = "\n".join(f"  {p}: {r}" for p, r in failures.items())
        super().__init__(f"{len(failures)} file(s) were skipped:\n{lines}")
        self.failures = failures


class UploadError(AssistantError):
    """An uploaded file was refused (type or size) before anything was stored."""


_UNREACHABLE = frozenset({"APIConnectionError", "APITimeoutError", "ConnectError", "ConnectTimeout"})


def is_unreachable(exc: BaseException) -> bool:
    """A failure to reach a server: the OS's, or the OpenAI / httpx clients' own exception types (matched by
    name, so that neither client is imported to ask)."""
    return isinstance(exc, ConnectionError | OSError) or any(t.__name__ in _UNREACHABLE for t in type(exc).__mro__)
