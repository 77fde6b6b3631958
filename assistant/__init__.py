"""A research assistant that answers from your articles and cites every sentence to its source span.

Public API: `Assistant`, `Answer` (with its `Decision`), `Sentence`, `Citation`, `Passage`, `Settings`,
`support` (the grounding checker: probability that a premise supports a claim) and the errors.
The package's rooms follow the data: `ingest/` -> `store/` -> `retrieve/` -> `answer/` (asking
`verify/`), with `backends/` for the models and `ui/` for the chat app; README's Layout maps each file.
Importing this package is cheap: models, Chroma and Gradio load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.domain import Answer, Chunk, Citation, Decision, Document, Passage, Sentence
from assistant.errors import (
    AssistantError,
    BackendUnavailable,
    ConfigError,
    IngestError,
    ParseError,
    PromptError,
    StoreDamaged,
    UploadError,
)

if TYPE_CHECKING:
    from assistant.pipeline import Assistant
    from assistant.settings import Settings
    from assistant.verify.grounding import support

__all__ = ["Answer", "Assistant", "AssistantError", "BackendUnavailable", "Chunk", "Citation", "ConfigError",
           "Decision", "Document", "IngestError", "ParseError", "Passage", "PromptError", "Sentence", "Settings",
           "StoreDamaged", "UploadError", "support"]


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
