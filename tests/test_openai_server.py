"""The "openai" backend with the citation grammar sent to the server (`ASSISTANT_LLM_SERVER_GRAMMAR`).

Fast: what each grammar mode puts in the request body, recorded by a stub server (no model). Slow: end to
end against a real OpenAI-compatible server, llama-cpp-python's (`python -m llama_cpp.server`) serving the
packaged GGUF, started once for this module.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any, ClassVar

import pytest
from langchain_core.language_models import BaseChatModel

from assistant import Assistant
from assistant.answer.grammar import accepts, citation_grammar
from assistant.backends.gguf import assemble_default_gguf
from assistant.backends.models import chat_model, grammar_kwargs
from assistant.domain import Passage
from assistant.parts import answer_runnable
from assistant.settings import ServerGrammar, Settings

REPLY = "Velmor is a harbour town. [1]"


class _Recorder(BaseHTTPRequestHandler):
    """Answers every chat completion with REPLY (as one SSE chunk when streamed); keeps the request bodies."""

    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.bodies.append(body)
        if body.get("stream"):
            chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
                     "choices": [{"index": 0, "delta": {"role": "assistant", "content": REPLY}, "finish_reason": None}]}
            data, kind = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode(), "text/event-stream"
        else:
            data = json.dumps({"id": "c", "object": "chat.completion", "created": 0, "model": "m", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": REPLY}, "finish_reason": "stop"}]}).encode()
            kind = "application/json"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def stub() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def _chat(url: str, mode: ServerGrammar) -> BaseChatModel:
    chat = chat_model(Settings(llm_backend="openai", llm_base_url=url, llm_server_grammar=mode).llm)
    assert chat is not None
    return chat


PASSAGE = Passage(chunk_id="c1", doc_id="d1", text="Velmor is a harbour town.", char_start=0, char_end=25, score=0.9)


@pytest.mark.parametrize("mode", ["off", "llama.cpp", "vllm"])
def test_each_mode_puts_the_grammar_where_its_server_reads_it(stub: str, mode: ServerGrammar) -> None:
    chat, grammar = _chat(stub, mode), citation_grammar(1)
    run = answer_runnable(chat, Settings().answer, lambda text, others: [1.0] * len(others))
    x = {"question": "What is Velmor?", "passages": [PASSAGE]}
    _Recorder.bodies.clear()
    assert run.invoke(x) == REPLY and "".join(run.stream(x)) == REPLY
    assert [b.get("stream", False) for b in _Recorder.bodies] == [False, True]
    for body in _Recorder.bodies:  # invoke and stream send the same fields
        assert body["max_completion_tokens"] == 256
        assert body.get("grammar") == (grammar if mode == "llama.cpp" else None)
        assert body.get("structured_outputs") == ({"grammar": grammar} if mode == "vllm" else None)
        assert body.get("max_tokens") == (256 if mode == "llama.cpp" else None)  # llama-cpp-python reads only this
    _Recorder.bodies.clear()
    chat.invoke("Rewrite the question.")  # condense and the second opinion: the same model, no grammar
    run = answer_runnable(chat, Settings(constrain_citations=False).answer, lambda text, others: [])
    assert run.invoke(x) == REPLY
    assert not any("grammar" in b or "structured_outputs" in b for b in _Recorder.bodies)


# ---- against llama-cpp-python's server ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, body: dict[str, Any] | None = None) -> bytes:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return bytes(response.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m llama_cpp.server` on a free port, up once its /v1/models answers, warmed by one request."""
    gguf = assemble_default_gguf(Settings().cache_dir)
    port, log = _free_port(), tmp_path_factory.mktemp("llama-server") / "stderr.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "4096", "--n_threads", "2", "--n_threads_batch", "2",
             "--verbose", "False"], stdout=subprocess.DEVNULL, stderr=err)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _get(f"{url}/models")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"llama_cpp.server did not come up (exit {proc.poll()}):\n"
                                f"{log.read_text(errors='replace')[-4000:]}")
                time.sleep(0.5)
        _get(f"{url}/chat/completions", {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1})
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_the_grammar_reaches_the_server(server: str) -> None:
    """A grammar the model would never follow on its own is obeyed, invoked and streamed; with "off" it is not sent."""
    grammar, question = 'root ::= "Velmor harbour"\n', "Reply with the single word: hello."
    on = _chat(server, "llama.cpp")
    kwargs = grammar_kwargs(on, grammar)
    assert kwargs is not None
    bound = on.bind(**kwargs)
    assert bound.invoke(question).content == "Velmor harbour"
    chunks = [str(c.content) for c in bound.stream(question)]
    assert "".join(chunks) == "Velmor harbour" and len([c for c in chunks if c]) > 1, chunks
    off = _chat(server, "off")
    assert grammar_kwargs(off, grammar) is None
    reply = str(off.invoke(question).content)
    assert reply != "Velmor harbour" and "hello" in reply.lower(), reply


@pytest.mark.slow
def test_answers_through_the_server_under_the_citation_grammar(server: str, seeded_copy: Path) -> None:
    a = Assistant(seeded_copy, llm_backend="openai", llm_base_url=server, llm_server_grammar="llama.cpp")
    raw: list[str] = []
    passages: tuple[Passage, ...] = ()
    ans = None
    for event in a.stream("Who is China's Ambassador to the UNOG?"):
        raw += [event.text] if event.kind == "token" else []
        passages = event.passages or passages
        ans = event.answer or ans
    text = "".join(raw)
    assert ans is not None and not ans.refused, text
    assert "Chen Xu" in ans.text, (text, ans.text)
    assert len(raw) > 1, raw  # streamed token by token
    assert accepts(text, len(passages)), text  # every sentence ends with [n] markers, as the grammar forces
    assert ans.sentences and all(s.citations for s in ans.sentences), ans.sentences
    for c in ans.citations:
        assert a.index.document(c.doc_id).text[c.char_start:c.char_end] == c.quote
