"""Does a premise support a claim? `support(premise, claim) -> float` and its helpers (`grounding.py`).
This is the one place that decides support; it does not decide what the answer does with a score."""

from __future__ import annotations

from assistant.verify.grounding import THRESHOLD, best_support, support

__all__ = ["THRESHOLD", "best_support", "support"]
