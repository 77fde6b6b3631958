"""The fakes the tests use: chat models standing in for the generating LLM, through LangChain's real
`BaseChatModel` interface (what the answer path and the second opinion call): `ScriptedChat` replies with
a fixed text, `QuotingChat` quotes its first passage slowly (the UI's stop and retry)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field


class ScriptedChat(BaseChatModel):
    """Replies with a fixed text and records the prompts it was sent."""

    reply: str = ""
    prompts: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        self.prompts.append(list(messages))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self.reply))])


class QuotingChat(BaseChatModel):
    """A slow model that answers by quoting: the first sentence of passage [1] of its prompt, cited `[1]`,
    streamed word by word `delay` seconds apart. Without passages (the condense prompt) it repeats the
    question. Its answers are exact quotes, so the real checker supports them."""

    delay: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "quoting"

    @staticmethod
    def _reply(messages: list[BaseMessage]) -> str:
        prompt = str(messages[-1].content)
        passage = re.search(r"^\[1\] \(.*\)\n(.+)$", prompt, re.M)
        if passage is None:
            return prompt.rsplit("Question:", 1)[-1].strip()
        return re.split(r"(?<=[.!?])\s+", passage.group(1).strip())[0] + " [1]"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        text = "".join(c.text for c in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for word in re.findall(r"\S+\s*", self._reply(messages)):
            time.sleep(self.delay)
            yield ChatGenerationChunk(message=AIMessageChunk(content=word))


class RuledChat(BaseChatModel):
    """Replies by rule, as a model that reads its prompt would: the reply of the first `(pattern, reply)` whose
    pattern is found in the prompt's last message, where "{cite:word}" in a reply becomes the marker of the first
    numbered passage of the prompt that contains `word` ("[2]"); `default` when no rule matches. The second
    opinion's judge prompt ("Statement: ...") is the last message too, so rules can answer it."""

    rules: list[tuple[str, str]] = Field(default_factory=list)
    default: str = "I don't know."

    @property
    def _llm_type(self) -> str:
        return "ruled"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        prompt = str(messages[-1].content)
        reply = next((r for pattern, r in self.rules if re.search(pattern, prompt)), self.default)
        blocks = re.split(r"^\[(\d)\] \(", prompt, flags=re.M)  # "", "1", "(header)\ntext", "2", ...

        def cite(m: re.Match[str]) -> str:
            n = next((n for n, text in zip(blocks[1::2], blocks[2::2], strict=True) if m[1] in text), "1")
            return f"[{n}]"

        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=re.sub(r"\{cite:(\w+)\}", cite,
                                                                                       reply)))])
