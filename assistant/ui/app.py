"""The Gradio app: `build_app(assistant)` and `launch`. Wiring only; answers come from `Assistant.stream`.

Tabs: Chat (streamed answer with clickable `[n]` markers, sources panel and article view, Markdown export,
Stop, retry (↻ on the last answer), example questions drawn from the corpus, chats saved in
`data_dir/conversations/` and reopened from a list), Corpus (upload with type and size limits, ingest
progress, documents table, delete) and Settings (backend, k, rerank, unsupported sentences). Programs use the
JSON endpoints `/answer`, `/search` and `/documents`; `/ask` is the chat's own (HTML) event. Rendering lives
in `render.py`, corpus handling in `corpus.py`, the Corpus and Settings tabs and the JSON endpoints in
`tabs.py`. Errors a person can act on are shown as messages; other failures are logged, and the page shows one
line, never a traceback. Stop ends the running answer within a tenth of a second and closes its generator,
which releases the local model (`stopping.py`).
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import html
import logging
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from assistant.conversation import Conversation, new_chat_id
from assistant.domain import Answer, Document, Event
from assistant.pipeline import Assistant
from assistant.ui import corpus as ui_corpus
from assistant.ui.render import answer_html, answer_key, answer_markdown, escape_text, sources_html
from assistant.ui.stopping import Stops, until_stopped
from assistant.ui.tabs import Current, corpus_tab, failure, json_api, settings_tab

__all__ = ["CLICK_JS", "CSS", "answer_html", "build_app", "launch", "sources_html"]

log = logging.getLogger(__name__)

CSS = """
.source-card {border:1px solid #d0d7de; border-radius:8px; padding:8px 10px; margin-bottom:8px;}
.source-card h4 {margin:0 0 4px 0;}
.source-meta {color:#57606a; font-size:0.85em; margin-bottom:6px;}
.source-num {font-weight:bold; color:#0969da;}
.source-card ul.quotes {margin:4px 0 0 1em; padding:0;}
a.cite {color:#0969da; text-decoration:none; cursor:pointer;}
.article-views {max-height:55vh; overflow-y:auto; border:1px solid #d0d7de; border-radius:8px; padding:10px;}
.article-views {padding-top:0;}
.article-header {position:sticky; top:0; background:var(--background-fill-primary, #fff); padding-top:8px;
  border-bottom:1px solid #d0d7de; z-index:1;}
.article-header h3 {margin:0 0 2px 0;}
.article-text {white-space:pre-wrap; line-height:1.5; padding-top:6px;}
mark.cited {background:#fff3a3; padding:0 2px;}
mark.cited.focus {background:#ffd33d; outline:2px solid #bf8700; border-radius:2px;}
.hint {color:#57606a;}
"""

# One capturing listener: a click on any `#cite-…` link opens the article that holds the mark,
# focuses the mark and scrolls it into view. No HTML is built from data here.
CLICK_JS = """<script>
(() => {
  function openCite(id) {
    const mark = document.getElementById(id);
    if (!mark) return false;
    const article = mark.closest('.article-view');
    document.querySelectorAll('.article-view').forEach((a) => { a.hidden = a !== article; });
    document.querySelectorAll('mark.cited.focus').forEach((m) => m.classList.remove('focus'));
    mark.classList.add('focus');
    mark.scrollIntoView({block: 'center', inline: 'nearest'});
    return true;
  }
  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('a[href^="#cite-"]') : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    if (!openCite(link.getAttribute('href').slice(1))) {
      link.title = 'This marker belongs to an earlier answer; its sources are no longer shown.';
    }
  }, true);
})();
</script>"""

Out = tuple[Any, ...]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text(c) for c in content)
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    return str(content or "")


def _plain(content: Any) -> str:
    """A chat message as plain text for the condensing model: no markup, no status marks."""
    text = re.sub(r"<[^>]*>", "", _text(content))
    return html.unescape(text).replace(" ✓", "").replace(" ↻", "").replace(" ⚠", "").strip()


def _documents(assistant: Assistant, answer: Answer) -> dict[str, Document]:
    docs = {}
    for doc_id in {c.doc_id for c in answer.citations}:
        with contextlib.suppress(KeyError):  # deleted meanwhile: the article view shows the cited passage
            docs[doc_id] = assistant.index.document(doc_id)
    return docs


_DRAFT = '<span class="draft">'


def drafted(streamed: str, event: Event) -> str:
    """The streaming draft after `event`: a token appends; a retry starts over (the draft so far was rejected);
    a bridge question's step shows the question it asks first, in brackets, before that step's answer."""
    if event.kind == "retry":
        return ""
    if event.kind == "step":
        return f"{streamed.rstrip()} ({event.text}) ".lstrip()
    return streamed + event.text


def _draft(streamed: str) -> str:
    """A message still streaming (unchecked); Stop marks only these."""
    return f"{_DRAFT}{escape_text(streamed) or '…'}</span>"


def _stopped(chat: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chat with its streaming (unchecked) last answer marked stopped."""
    chat = [{"role": m["role"], "content": _text(m["content"])} for m in chat]
    if chat and chat[-1]["role"] == "assistant" and _DRAFT in chat[-1]["content"]:
        chat[-1]["content"] += "<br><em>(stopped: this answer was not checked; ↻ asks again)</em>"
    return chat


def _turn_messages(question: str, answer: Answer) -> list[dict[str, Any]]:
    return [{"role": "user", "content": escape_text(question)}, {"role": "assistant", "content": answer_html(answer)}]


def _chat_tab(gr: Any, current: Current) -> tuple[Callable[[], Any], list[Any]]:
    """Builds the tab; returns a function that refreshes (the example questions, the saved chats list)
    and the components it updates."""
    exports = Path(tempfile.mkdtemp(prefix="assistant-exports-"))
    atexit.register(shutil.rmtree, exports, True)  # the exported answers go with the process (Gradio keeps a copy)
    data_dir = current.assistant.settings.data_dir
    stops = Stops()

    def saved_choices() -> list[tuple[str, str]]:
        return ui_corpus.saved_chat_choices(Conversation.saved(data_dir))

    def respond(message: str, chat: list[dict[str, Any]], conversation: Conversation | None,
                request: Any = None) -> Iterator[Out]:
        """Stream the answer; when it is checked, save the chat. Stop ends it at once, marked unchecked and
        never saved. An empty chat starts a new conversation (after "New chat", or a program calling
        `/ask` with no history)."""
        if conversation is None or (not chat and conversation.answers):
            conversation = Conversation(id=new_chat_id(), keep_passages=True)
        shown = [{"role": m["role"], "content": _text(m["content"])} for m in chat or []]
        chat = [*shown, {"role": "user", "content": escape_text(message)}, {"role": "assistant", "content": _draft("")}]
        previous = conversation.previous
        keep = gr.skip()
        if not message.strip():
            yield shown, sources_html(None), "", previous, conversation, keep
            return
        session = getattr(request, "session_hash", None)
        flag = stops.start(session)
        yield chat, sources_html(None), "", previous, conversation, keep
        assistant, streamed, answered = current.assistant, "", False
        try:
            for event in until_stopped(assistant.stream(message, conversation.history, previous), flag):
                if event.kind in ("token", "retry", "step"):
                    streamed = drafted(streamed, event)
                    chat[-1] = {"role": "assistant", "content": _draft(streamed)}
                    yield chat, sources_html(None), "", previous, conversation, keep
                elif event.answer is not None:
                    answered = True
                    conversation = conversation.truncated(len(conversation.answers))
                    conversation.add(message, event.answer)
                    _save(conversation)
                    chat[-1] = {"role": "assistant", "content": answer_html(event.answer)}
                    yield (chat, sources_html(event.answer, _documents(assistant, event.answer)), "", event.answer,
                           conversation, gr.Dropdown(choices=saved_choices(), value=conversation.id))
            if flag.is_set() and not answered:
                yield _stopped(chat), sources_html(None), "", previous, conversation, keep
        except Exception as exc:
            chat[-1] = {"role": "assistant", "content": f"⚠️ {html.escape(failure(exc))}"}
            yield chat, sources_html(None), "", previous, conversation, keep
        finally:
            stops.end(session, flag)

    def _save(conversation: Conversation) -> None:
        try:
            conversation.save(data_dir)
        except OSError as exc:  # the answer is still shown; only the saved copy is missing
            log.warning("could not save the chat %s: %s", conversation.id, exc)

    def retry(chat: list[dict[str, Any]], conversation: Conversation | None, request: Any = None) -> Iterator[Out]:
        """Ask the last question again: its answer (checked, stopped or failed) is replaced."""
        chat = list(chat or [])
        users = [i for i, m in enumerate(chat) if m["role"] == "user"]
        if not users:
            return
        question, chat = _plain(chat[users[-1]]["content"]), chat[:users[-1]]
        if conversation is not None:
            conversation = conversation.truncated(min(len(conversation.answers), len(users) - 1))
        yield from respond(question, chat, conversation, request)

    def example(chat: list[dict[str, Any]], conversation: Conversation | None, choice: Any,
                request: Any = None) -> Iterator[Out]:
        yield from respond(_text(choice.value), chat, conversation, request)

    def stop_answer(request: Any = None) -> None:
        stops.stop(getattr(request, "session_hash", None))

    # Gradio passes the clicked example and the browser session by these hints (gradio is imported lazily)
    example.__annotations__["choice"] = gr.SelectData
    for fn in (respond, retry, example, stop_answer):
        fn.__annotations__["request"] = gr.Request

    def reopen(chat_id: str | None) -> tuple[Any, ...]:
        if not chat_id:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        conversation = dataclasses.replace(Conversation.load(data_dir, chat_id), keep_passages=True)
        chat = [m for a in conversation.answers for m in _turn_messages(a.question, a)]
        last_answer = conversation.previous
        shown = last_answer if last_answer and (last_answer.passages or last_answer.refused) else None  # CLI chats
        panel = sources_html(shown, _documents(current.assistant, shown)) if shown else sources_html(None)
        return chat, panel, last_answer, conversation

    def export(answer: Answer | None) -> Any:
        if answer is None:
            return gr.DownloadButton(value=None, interactive=False)
        path = exports / f"answer-{answer_key(answer)}.md"
        path.write_text(answer_markdown(answer), encoding="utf-8")
        return gr.DownloadButton(value=str(path), interactive=True)

    def refresh() -> tuple[Any, Any]:
        examples = ui_corpus.example_questions(current.assistant.documents())
        return (gr.Chatbot(examples=[{"text": q} for q in examples] or None),
                gr.Dropdown(choices=saved_choices(), value=None))

    with gr.Row():
        with gr.Column(scale=3):
            saved = gr.Dropdown(label="Saved chats", choices=[], value=None, elem_id="saved-chats",
                                info="Every checked answer is saved in the data dir; pick a chat to reopen it.")
            chatbot = gr.Chatbot(label="Chat", height=520, sanitize_html=True, render_markdown=True,
                                 feedback_options=None, elem_id="chat")
            box = gr.Textbox(placeholder="Ask about your articles…", show_label=False, submit_btn=True,
                             elem_id="question")
            with gr.Row():
                stop = gr.Button("Stop", variant="stop", elem_id="stop")
                clear = gr.ClearButton([chatbot, box], value="New chat")
                download = gr.DownloadButton("Export answer (Markdown)", value=None, interactive=False,
                                             elem_id="export")
        with gr.Column(scale=2):
            gr.Markdown("### Sources")
            panel = gr.HTML(sources_html(None), elem_id="sources")
    last, conversation = gr.State(None), gr.State(None)
    outputs = [chatbot, panel, box, last, conversation, saved]
    asked = box.submit(respond, [box, chatbot, conversation], outputs, api_name="ask")
    retried = chatbot.retry(retry, [chatbot, conversation], outputs, api_name=False)
    picked = chatbot.example_select(example, [chatbot, conversation], outputs, api_name=False)
    for event in (asked, retried, picked):
        event.then(export, last, download, api_name=False)
    stop.click(stop_answer, None, None, api_name=False, queue=False)
    saved.input(reopen, saved, [chatbot, panel, last, conversation], api_name=False).then(
        export, last, download, api_name=False)
    clear.click(lambda: (None, None, sources_html(None), gr.DownloadButton(value=None, interactive=False),
                         gr.Dropdown(value=None)),
                None, [last, conversation, panel, download, saved], api_name=False)
    return refresh, [chatbot, saved]


def build_app(assistant: Assistant) -> Any:
    import gradio as gr

    current = Current(assistant)
    with gr.Blocks(title="Research Assistant") as app:
        gr.Markdown("## Research Assistant\nAnswers only from your articles; every sentence is cited.")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chat_refresh, chat_outputs = _chat_tab(gr, current)
            with gr.Tab("Corpus", id="corpus"):
                listing, outputs = corpus_tab(gr, current)
            with gr.Tab("Settings", id="settings"):
                settings_tab(gr, current)
        app.load(listing, None, outputs, api_name=False)
        app.load(chat_refresh, None, chat_outputs, api_name=False)
        json_api(gr, current)
    app.queue(default_concurrency_limit=4, max_size=64)
    app.current = current  # the live assistant, for tests and embedding apps
    return app


def launch(assistant: Assistant, host: str = "127.0.0.1", port: int | None = None, warm: bool = True,
           **kwargs: Any) -> None:
    """Serve the app; uploads over `max_file_mb` are refused by Gradio itself too. With `warm`, the models
    load and the answer prompt's fixed part is evaluated in the background while the page opens."""
    app = build_app(assistant)
    if warm:
        assistant.warm_in_background()
    app.launch(server_name=host, server_port=port, **launch_options(assistant), **kwargs)


def launch_options(assistant: Assistant) -> dict[str, Any]:
    """What `launch` passes to Gradio's `launch`: CSS, the click script, the upload limit."""
    return {"css": CSS, "head": CLICK_JS, "max_file_size": assistant.settings.ingest.max_file_bytes,
            "show_error": False}
