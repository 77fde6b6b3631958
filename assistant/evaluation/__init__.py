"""Evaluation: datasets (`datasets.py`), metrics as plain functions (`metrics.py`), the runner
(`runner.py`) and the report with plots (`report.py`), behind `assistant eval`."""

from __future__ import annotations

from .runner import check_thresholds, run_suite

__all__ = ["check_thresholds", "run_suite"]
