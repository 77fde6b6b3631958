"""Prompts live in `prompts/*.md`; this module loads them once, checks their variables, renders strictly.

The files are package data: `assistant/prompt_files` links to the top-level `prompts/` in a checkout,
and a built wheel carries a copy, so `pip install .` gives a package that finds its prompts anywhere.

Rendering fails loudly (`PromptError`) when a variable is missing or unexpected: a prompt file and the
code that fills it can never drift apart silently. No prompt text lives in Python code.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from assistant.errors import PromptError

PROMPTS_DIR = Path(str(resources.files(__package__) / "prompt_files"))

# Each prompt file and the exact variables the code fills in.
EXPECTED: dict[str, frozenset[str]] = {
    "answer_system": frozenset(),
    "example_user": frozenset(),
    "example_answer": frozenset(),
    "answer_user": frozenset({"passages", "question"}),
    "answer_retry": frozenset(),
    "condense": frozenset({"history", "question"}),
    "refusal": frozenset({"reason"}),
    "judge_statements": frozenset({"question", "answer"}),
    "judge_verdict": frozenset({"passages", "statement"}),
    "verify_system": frozenset(),
    "verify_user": frozenset({"evidence", "claim"}),
}


@dataclass(frozen=True)
class Prompt:
    name: str
    template: str
    variables: frozenset[str]

    def render(self, **values: str) -> str:
        given = frozenset(values)
        if given != self.variables:
            raise PromptError(f"prompt {self.name!r} takes {sorted(self.variables)}, got {sorted(given)}")
        return self.template.format(**values)


def _variables(name: str, template: str) -> frozenset[str]:
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        raise PromptError(
            f"prompt {name!r} is not a valid template ({exc}); write literal braces as {{{{ }}}}"
        ) from exc
    return frozenset(fields)


@cache
def load(directory: Path = PROMPTS_DIR) -> dict[str, Prompt]:
    """Load and validate every expected prompt from `directory`."""
    out = {}
    for name, expected in EXPECTED.items():
        path = directory / f"{name}.md"
        if not path.is_file():
            raise PromptError(f"prompt file {path} is missing")
        template = path.read_text(encoding="utf-8").strip()
        found = _variables(name, template)
        if found != expected:
            raise PromptError(f"{path} uses variables {sorted(found)}; the code fills {sorted(expected)}")
        out[name] = Prompt(name, template, expected)
    return out
