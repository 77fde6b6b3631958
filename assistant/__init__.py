"""A research assistant that answers from your articles and cites every sentence to its source span.

Public API: `Assistant`, `Answer`, `Sentence`, `Citation`, `Passage`, `Settings`, `support` (the
grounding checker: probability that a premise supports a claim) and the errors.
Importing this package is cheap: models, Chroma and Gradio load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import AssistantError, BackendUnavailable, ConfigError, IngestError, ParseError, PromptError, UploadError
from .types import Answer, Chunk, Citation, Document, Passage, Sentence

if TYPE_CHECKING:
    from .grounding import support
    from .pipeline import Assistant
    from .settings import Settings

__all__ = ["Answer", "Assistant", "AssistantError", "BackendUnavailable", "Chunk", "Citation", "ConfigError",
           "Document", "IngestError", "ParseError", "Passage", "PromptError", "Sentence", "Settings", "UploadError",
           "support"]


def __getattr__(name: str) -> Any:
    if name == "Assistant":
        from .pipeline import Assistant

        return Assistant
    if name == "support":
        from .grounding import support

        return support
    if name == "Settings":
        from .settings import Settings

        return Settings
    raise AttributeError(name)
