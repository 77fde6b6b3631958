"""A research assistant that answers from your articles and cites every sentence to its source span.

Public API: `Assistant`, `Answer`, `Sentence`, `Citation`, `Passage`, `Settings`, `support` (the
grounding checker: probability that a premise supports a claim) and the errors.
Importing this package is cheap: models, Chroma and Gradio load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.domain import Answer, Chunk, Citation, Document, Passage, Sentence
from assistant.errors import (
    AssistantError,
    BackendUnavailable,
    ConfigError,
    IngestError,
    ParseError,
    PromptError,
    UploadError,
)

if TYPE_CHECKING:
    from assistant.pipeline import Assistant
    from assistant.settings import Settings
    from assistant.verify.grounding import support

__all__ = ["Answer", "Assistant", "AssistantError", "BackendUnavailable", "Chunk", "Citation", "ConfigError",
           "Document", "IngestError", "ParseError", "Passage", "PromptError", "Sentence", "Settings", "UploadError",
           "support"]


def __getattr__(name: str) -> Any:
    if name == "Assistant":
        from assistant.pipeline import Assistant

        return Assistant
    if name == "support":
        from assistant.verify.grounding import support

        return support
    if name == "Settings":
        from assistant.settings import Settings

        return Settings
    raise AttributeError(name)
