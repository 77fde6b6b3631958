"""The one JSON shape for programs: what the MCP server's tools and the UI's API return.

Three plain functions over an `Assistant`: `answer_json` (the checked answer as `answer_dict` shapes it:
sentences with their citations as exact document spans, the decision, the passages it was given),
`search_json` (the retrieved passages with their spans, no answer generated) and `documents_json` (every
indexed document). They check the input (a blank question or query raises `ConfigError`; `k` is clamped
to 1..20) and otherwise raise what the assistant raises: turning an `AssistantError` into a protocol's
error (an MCP tool error, a Gradio error) is the caller's job. They keep no conversation: a follow-up
passes the earlier turns as `history`. Nothing here serves HTTP or imports a model.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from assistant.conversation import answer_dict
from assistant.errors import ConfigError

if TYPE_CHECKING:
    from assistant.pipeline import Assistant, History

MAX_K = 20


def answer_json(assistant: Assistant, question: str, history: History = None) -> dict[str, Any]:
    """Answer `question` from the indexed articles. `history`: earlier turns as {"role", "content"} dicts."""
    if not question or not question.strip():
        raise ConfigError("the question is empty: ask something the indexed articles can answer")
    return answer_dict(assistant.ask(question, history or []))


def search_json(assistant: Assistant, query: str, k: int = 5) -> list[dict[str, Any]]:
    """The `k` (1..20) passages that best match `query`, best first: document id, exact offsets, text, scores."""
    if not query or not query.strip():
        raise ConfigError("the search query is empty: give the words or question to look for")
    try:
        k = max(1, min(int(k), MAX_K))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"k must be a whole number from 1 to {MAX_K}, not {k!r}") from exc
    return [dataclasses.asdict(p) for p in assistant.retrieve(query, k=k)]


def documents_json(assistant: Assistant) -> list[dict[str, Any]]:
    """Every indexed document, newest first: id, title, source, date, url, file, chunk count."""
    return [dataclasses.asdict(d) for d in assistant.documents()]
