"""Optional LLM-judge metrics (RAGAS-style faithfulness): statements extracted by a chat model, then verdicts.

`LLMJudge(chat_model).judge(question, answer, passages)` asks the model to break the answer into
standalone statements (`prompts/judge_statements.md`), then asks, statement by statement, whether the
retrieved passages support it (`prompts/judge_verdict.md`, a yes/no reply). Faithfulness is the share
of statements judged supported. The eval runner uses it only with `assistant eval --judge`, with the
configured chat model; nothing requires it. It is a second opinion next to `grounding.support`, not a
replacement: a small local model is a weak judge, so the runner also reports how often the two agree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

from assistant import prompts
from assistant.answer.citations import number_passages
from assistant.domain import Passage

_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")


@dataclass(frozen=True)
class Judgement:
    statements: tuple[str, ...]
    verdicts: tuple[bool, ...]

    @property
    def faithfulness(self) -> float | None:
        return sum(self.verdicts) / len(self.verdicts) if self.verdicts else None


def parse_statements(text: str, limit: int) -> list[str]:
    """One statement per non-empty line, bullets and numbering removed, at most `limit`."""
    out = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        if len(line) > 3 and line.lower().rstrip(":") not in ("statements", "none") and line not in out:
            out.append(line)
    return out[:limit]


def parse_verdict(text: str) -> bool:
    """True only for a reply that starts with yes (anything else, including no reply, is False)."""
    return bool(re.match(r"\W*yes\b", text.strip(), re.IGNORECASE))


class LLMJudge:
    """Faithfulness of an answer to its passages, as judged by `llm` (any LangChain chat model)."""

    def __init__(self, llm: BaseChatModel, max_statements: int = 8) -> None:
        self.llm = llm
        self.max_statements = max_statements

    def _ask(self, prompt: str, max_tokens: int) -> str:
        reply = self.llm.invoke([HumanMessage(prompt)], max_tokens=max_tokens)
        return str(reply.content)

    def statements(self, question: str, answer: str) -> list[str]:
        prompt = prompts.load()["judge_statements"].render(question=question, answer=answer)
        return parse_statements(self._ask(prompt, 200), self.max_statements)

    def verdict(self, passages: Sequence[Passage], statement: str) -> bool:
        prompt = prompts.load()["judge_verdict"].render(passages=number_passages(passages), statement=statement)
        return parse_verdict(self._ask(prompt, 3))

    def judge(self, question: str, answer: str, passages: Sequence[Passage]) -> Judgement:
        statements = self.statements(question, answer) if answer.strip() else []
        return Judgement(tuple(statements), tuple(self.verdict(passages, s) for s in statements))
