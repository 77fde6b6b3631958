"""The evaluation suite behind `assistant eval`, outside the product package.

Datasets (`datasets.py`, located by `sources.py`: a data dir, the cache, a pinned download, or skipped),
metrics as plain functions (`metrics.py`), the runner (`runner.py`), the report with plots
(`report.py`), the checker's held-out accuracy (`checker.py`, `pairs.py`), the optional LLM judge
(`judge.py`), and the scripts that fit the product's weights (`fit_grounding.py`, `fit_reranker.py`).
Nothing here is imported by `assistant` except lazily by the `assistant eval` command.
"""

from __future__ import annotations

from pathlib import Path

from .runner import check_thresholds, run_suite, seed_paths


def default_thresholds() -> Path:
    """The CI gate that ships with the suite (`evals/thresholds.toml`)."""
    return seed_paths()[0].with_name("thresholds.toml")


__all__ = ["check_thresholds", "default_thresholds", "run_suite", "seed_paths"]
