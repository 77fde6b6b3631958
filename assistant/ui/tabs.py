"""The chat UI's Corpus and Settings tabs and its JSON API: Gradio wiring over `corpus.py` (uploads, listing,
deletion), `Assistant.with_settings` and `assistant.api`; and what the tabs share (`Current`, the app's assistant,
and `failure`, an error as one line a person can read).

What it does not do: no answering and no rendering (the Chat tab is `app.py`'s, HTML is `render.py`'s); errors
a person can act on are shown as messages, others are logged and shown as one line, never a traceback.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant import api
from assistant.errors import AssistantError
from assistant.pipeline import Assistant
from assistant.settings import LLM_BACKENDS
from assistant.ui import corpus as ui_corpus

log = logging.getLogger(__name__)


class Current:
    """The app's assistant; Settings replace it with one sharing the loaded models."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.lock = threading.Lock()


def failure(exc: Exception) -> str:
    if isinstance(exc, AssistantError):
        return str(exc)
    log.exception("unexpected error in the UI")
    return f"something went wrong ({type(exc).__name__}); the server log has the details"


def corpus_tab(gr: Any, current: Current) -> Any:
    """Builds the tab; returns a function that refreshes (table, delete selector)."""

    def listing() -> tuple[Any, Any]:
        docs = current.assistant.documents()
        return (gr.Dataframe(value=ui_corpus.document_rows(docs)),
                gr.Dropdown(choices=ui_corpus.document_choices(docs), value=None))

    def upload(files: list[Any] | None, progress: Any = gr.Progress()) -> tuple[str, Any, Any]:  # noqa: B008
        pairs = []
        for f in files or []:
            path = str(getattr(f, "name", f))
            pairs.append((path, str(getattr(f, "orig_name", None) or Path(path).name)))
        try:
            progress(0.0, desc="Ingesting")
            summary = ui_corpus.ingest_uploads(current.assistant, pairs, on_progress=lambda i, n, name: progress(
                (i, max(n, 1)), desc=f"Ingesting {name}" if name else "Embedding and storing"))
        except Exception as exc:
            summary = f"⚠️ {failure(exc)}"
        return (html.escape(summary), *listing())

    def delete(doc_id: str | None) -> tuple[str, Any, Any]:
        if not doc_id:
            return "Choose a document to delete.", *listing()
        try:
            summary = ui_corpus.delete_document(current.assistant, doc_id)
        except Exception as exc:
            summary = f"⚠️ {failure(exc)}"
        return (html.escape(summary), *listing())

    limit = current.assistant.settings.max_file_mb
    gr.Markdown(f"Upload articles ({', '.join(ui_corpus.UPLOAD_SUFFIXES)}; at most {limit:g} MB each). "
                "They are stored in the data dir and added to the index; other documents are untouched.")
    files = gr.File(label="Upload articles", file_count="multiple", file_types=list(ui_corpus.UPLOAD_SUFFIXES),
                    elem_id="upload")
    status = gr.Markdown(elem_id="corpus-status")
    table = gr.Dataframe(headers=["title", "source", "date", "chunks", "file", "id"], interactive=False,
                         wrap=True, column_widths=["34%", "22%", "11%", "7%", "14%", "12%"], elem_id="documents")
    with gr.Row():
        # custom values: the `/delete` API takes a document id before any page has loaded the choices
        choice = gr.Dropdown(label="Document to delete", choices=[], elem_id="delete-choice", scale=4,
                             allow_custom_value=True)
        remove = gr.Button("Delete document", variant="stop", scale=1)
        refresh = gr.Button("Refresh list", scale=1)
    files.upload(upload, files, [status, table, choice], api_name="upload", show_progress="full")
    remove.click(delete, choice, [status, table, choice], api_name="delete")
    refresh.click(listing, None, [table, choice], api_name=False)
    return listing, [table, choice]


def settings_tab(gr: Any, current: Current) -> None:
    s = current.assistant.settings

    def apply(backend: str, base_url: str, model: str, api_key: str, k: float, rerank: bool,
              unsupported: bool) -> str:
        update: dict[str, Any] = {"llm_backend": backend, "llm_base_url": base_url.strip(),
                                  "llm_model": model.strip(), "k": int(k), "rerank": bool(rerank),
                                  "show_unsupported": bool(unsupported)}
        if api_key.strip():
            update["llm_api_key"] = api_key.strip()
        try:
            with current.lock:
                new = current.assistant.with_settings(**update)
                _ = new.llm  # build the chat model now, so a wrong setting is reported here
                current.assistant = new
            new.warm_in_background()  # a new local model: its prompt's fixed part loaded before the next question
        except Exception as exc:
            return f"⚠️ Not applied: {failure(exc)}"
        return (f"Applied: backend **{backend}**, k = {int(k)}, rerank {'on' if rerank else 'off'}, "
                f"unsupported sentences {'shown' if unsupported else 'dropped'}.")

    gr.Markdown("Settings apply to this app (every open chat); the index is unchanged.")
    backend = gr.Radio(sorted(LLM_BACKENDS), value=s.llm_backend, label="Backend",
                       info="extractive: quotes sentences, no LLM · local: the embedded model · "
                            "openai: any OpenAI-compatible server")
    with gr.Row():
        base_url = gr.Textbox(value=s.llm_base_url, label="OpenAI-compatible base URL",
                              placeholder="http://127.0.0.1:11434/v1")
        model = gr.Textbox(value=s.llm_model, label="Model", placeholder="model name, or a .gguf path for local")
        api_key = gr.Textbox(value="", label="API key", type="password", placeholder="unchanged when empty")
    k = gr.Slider(1, 20, value=s.k, step=1, label="k: passages given to the answerer")
    rerank = gr.Checkbox(value=s.rerank, label="Rerank candidates")
    unsupported = gr.Checkbox(value=s.show_unsupported, label="Show unsupported sentences (marked)")
    button = gr.Button("Apply settings", variant="primary")
    result = gr.Markdown(elem_id="settings-status")
    button.click(apply, [backend, base_url, model, api_key, k, rerank, unsupported], result, api_name=False)


def json_api(gr: Any, current: Current) -> None:
    """The app's API for programs (gradio_client, curl, agents): JSON in, JSON out, no HTML (`assistant.api`)."""

    def answer(question: str, history: list[dict[str, str]] | None = None) -> dict[str, Any]:
        """Answer a question from the indexed articles: the Answer as JSON (sentences, each with its
        citations as exact document spans, the decision and its reason). `history`: earlier turns as
        {"role", "content"} dicts."""
        return _api_call(gr, api.answer_json, current.assistant, question, history)

    def search(query: str, k: int = 5) -> list[dict[str, Any]]:
        """The k passages that best match `query`, each with its document id, exact offsets and text."""
        return _api_call(gr, api.search_json, current.assistant, query, k)

    def documents() -> list[dict[str, Any]]:
        """Every indexed document: id, title, source, date, url, file, chunk count (newest first)."""
        return _api_call(gr, api.documents_json, current.assistant)

    gr.api(answer, api_name="answer")
    gr.api(search, api_name="search")
    gr.api(documents, api_name="documents")


def _api_call(gr: Any, fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except AssistantError as exc:
        raise gr.Error(str(exc)) from exc
