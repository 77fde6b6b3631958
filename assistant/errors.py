"""The one small error hierarchy. Every message says what went wrong and what to do next.

The CLI and UI catch `AssistantError` and show `str(error)`; anything else is a bug.
"""

from __future__ import annotations


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
