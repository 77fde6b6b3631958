"""`assistant mcp`, driven as an agent drives it: the real CLI started as a subprocess by the MCP SDK's own
client, over stdio (and once over streamable HTTP), against the seeded data dir with the extractive
backend (no language model). Every span the tools return is checked against the stored document text."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from assistant import Assistant
from tests.conftest import ROOT

pytest.importorskip("mcp", reason="the mcp extra is not installed: pip install 'research-assistant[mcp]'")

from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

ANSWERABLE = "Who is China's ambassador to the UN Office at Geneva?"
UNANSWERABLE = "Who won the 2018 FIFA World Cup?"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "ASSISTANT_LLM_BACKEND": "extractive"}


def _command(data_dir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "assistant.cli", "--data-dir", str(data_dir), "--backend", "extractive", "mcp",
            *extra]


def _texts(seeded: Path) -> dict[str, str]:
    """Each stored document's text by id, read as the library reads it (not through the server)."""
    assistant = Assistant(seeded, llm_backend="extractive")
    return {d.doc_id: assistant.index.document(d.doc_id).text for d in assistant.documents()}


def test_an_agent_lists_searches_and_asks_over_stdio(seeded_copy: Path, tmp_path: Path) -> None:
    texts = _texts(seeded_copy)
    (doc_id, text), = texts.items()
    faults: list[Exception] = []  # anything on the server's stdout that is not a protocol message lands here

    async def on_message(message: Any) -> None:
        if isinstance(message, Exception):
            faults.append(message)

    command, *args = _command(seeded_copy)
    server = StdioServerParameters(command=command, args=args, env=ENV, cwd=str(ROOT))
    stderr_path = tmp_path / "server-stderr.txt"
    results: dict[str, Any] = {}

    async def session() -> None:
        with stderr_path.open("w") as errlog, anyio.fail_after(120):
            async with Client(stdio_client(server, errlog=errlog), message_handler=on_message) as client:
                results["tools"] = (await client.list_tools()).tools
                results["documents"] = await client.call_tool("documents", {})
                results["search"] = await client.call_tool("search", {"query": ANSWERABLE, "k": 3})
                results["ask"] = await client.call_tool("ask", {"question": ANSWERABLE})
                results["follow_up"] = await client.call_tool("ask", {
                    "question": "What did he rebuke?",
                    "history": [{"role": "user", "content": ANSWERABLE},
                                {"role": "assistant", "content": results["ask"].structured_content["text"]}]})
                results["unanswerable"] = await client.call_tool("ask", {"question": UNANSWERABLE})
                results["blank"] = await client.call_tool("ask", {"question": "   "})
                results["bad_k"] = await client.call_tool("search", {"query": ANSWERABLE, "k": "many"})

    anyio.run(session)
    stderr = stderr_path.read_text()

    tools = {t.name: t for t in results["tools"]}
    assert set(tools) == {"ask", "search", "documents"}
    for tool in tools.values():
        assert tool.input_schema["type"] == "object" and tool.description and tool.output_schema
        assert tool.annotations is not None and tool.annotations.read_only_hint
    assert tools["ask"].input_schema["required"] == ["question"]
    assert set(tools["ask"].input_schema["properties"]) == {"question", "history"}
    assert tools["search"].input_schema["required"] == ["query"]
    assert "refus" in (tools["ask"].description or "") and "char_start" in (tools["ask"].description or "")

    listed = results["documents"]
    assert not listed.is_error
    (doc,) = listed.structured_content["documents"]
    assert doc["doc_id"] == doc_id and doc["title"].startswith("Ambassadors from 50 countries") and doc["n_chunks"]

    found = results["search"]
    assert not found.is_error
    passages = found.structured_content["passages"]
    assert 1 <= len(passages) <= 3 and any("Chen Xu" in p["text"] for p in passages)
    for p in passages:
        assert p["doc_id"] == doc_id and p["text"] == text[p["char_start"]:p["char_end"]]

    answered = results["ask"].structured_content
    assert not results["ask"].is_error and answered["refused"] is False and answered["text"]
    assert answered["citations"] and all(s["citations"] for s in answered["sentences"])
    for c in [c for s in answered["sentences"] for c in s["citations"]] + answered["citations"]:
        assert c["quote"] and c["quote"] == texts[c["doc_id"]][c["char_start"]:c["char_end"]]

    follow_up = results["follow_up"]
    assert not follow_up.is_error and follow_up.structured_content["question"] == "What did he rebuke?"

    refused = results["unanswerable"]
    assert not refused.is_error and refused.structured_content["refused"] is True
    assert refused.structured_content["decision"]["outcome"] == "refuse"
    assert refused.structured_content["citations"] == []

    for name in ("blank", "bad_k"):
        failed = results[name]
        message = " ".join(getattr(block, "text", "") for block in failed.content)
        assert failed.is_error and failed.structured_content is None, name
        assert "Traceback" not in message and "File \"" not in message, message
    blank = " ".join(getattr(block, "text", "") for block in results["blank"].content)
    assert "the question is empty" in blank
    assert "Traceback" not in stderr, stderr  # a person's error is not a crash on the server either
    assert not faults, (faults, stderr)


def test_mcp_reports_a_bad_setting_before_serving(tmp_path: Path) -> None:
    done = subprocess.run(_command(tmp_path), input="", capture_output=True, text=True, timeout=120,
                          env={**ENV, "ASSISTANT_K": "abc"})
    assert done.returncode == 3 and done.stderr.startswith("error:") and "Traceback" not in done.stderr
    assert done.stdout == ""  # nothing but protocol messages on stdout, and here there are none


def test_without_the_extra_the_error_names_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from assistant.errors import BackendUnavailable
    from assistant.mcp_server import build_server

    monkeypatch.setitem(sys.modules, "mcp.server.mcpserver", None)  # as if `mcp` were not installed
    with pytest.raises(BackendUnavailable, match=r"pip install 'research-assistant\[mcp\]'"):
        build_server(Assistant(tmp_path, llm_backend="extractive"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_http_transport_serves_the_same_tools(seeded_copy: Path, tmp_path: Path) -> None:
    port = _free_port()
    with (tmp_path / "http-server.txt").open("w+") as log:
        server = subprocess.Popen(_command(seeded_copy, "--transport", "http", "--port", str(port)),
                                  stdout=log, stderr=subprocess.STDOUT, env=ENV, cwd=str(ROOT))
        try:
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, log.seek(0) or log.read()
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                assert time.monotonic() < deadline, "the HTTP server did not start in 60 s"
                time.sleep(0.2)

            async def session() -> Any:
                with anyio.fail_after(60):
                    async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                        names = {t.name for t in (await client.list_tools()).tools}
                        return names, await client.call_tool("documents", {})

            names, listed = anyio.run(session)
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert names == {"ask", "search", "documents"}
    assert not listed.is_error and len(listed.structured_content["documents"]) == 1
