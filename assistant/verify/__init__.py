"""Does a premise support a claim? `support(premise, claim) -> float` (`grounding.py`) and what it reads with:
how a text's words, numbers and names are read (`facts.py`), the in-order alignment (`alignment.py`), the rules
that override the score (`overrides.py`, `numbers.py`) and the chat model's second opinion (`second.py`).
This is the one place that decides support; it does not decide what the answer does with a score."""

from __future__ import annotations

from assistant.verify.grounding import THRESHOLD, best_support, support

__all__ = ["THRESHOLD", "best_support", "support"]
