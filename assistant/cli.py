"""The command line: `assistant ingest | ask | chat | eval`. Parse, call the library, print.

Errors the user can act on (`AssistantError`) print as one readable line and exit 2; files skipped
during ingest are listed and make the exit status 1, after everything else has been ingested.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError, ConfigError
from assistant.settings import LLM_BACKENDS

if TYPE_CHECKING:
    from assistant.pipeline import Assistant


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="assistant", description="Answers from your articles, every sentence cited.")
    p.add_argument("--data-dir", help="where the index lives (default: $ASSISTANT_DATA_DIR or .assistant-data)")
    p.add_argument("--backend", choices=LLM_BACKENDS,
                   help="generating backend (default: $ASSISTANT_LLM_BACKEND or local)")
    sub = p.add_subparsers(dest="command", required=True)
    ing = sub.add_parser("ingest", help="ingest files and folders (incremental)")
    ing.add_argument("paths", nargs="+")
    ing.add_argument("--no-prune", action="store_true", help="keep documents whose files are gone")
    ask = sub.add_parser("ask", help="answer one question with numbered sources")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    check = sub.add_parser("check", help="report the index's health: counts per store, orphans, pending writes "
                           "(exit 1 when damaged)")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    rebuild = sub.add_parser("rebuild", help="heal a damaged index: re-ingest every file it recorded (and PATHS)")
    rebuild.add_argument("paths", nargs="*", help="more files and folders to ingest into the rebuilt index")
    chat = sub.add_parser("chat", help="open the chat UI in the browser")
    chat.add_argument("--host", default="127.0.0.1")
    chat.add_argument("--port", type=int, default=None)
    ev = sub.add_parser("eval", help="run the grounding evaluation suite and write a report with plots")
    ev.add_argument("--out", default="evals/out", help="where items.jsonl, summary.json, report.md go")
    ev.add_argument("--quick", action="store_true", help="the quick slice run in CI (no BBC distractors)")
    ev.add_argument("--answers", type=int, default=None, help="answer at most N answerable and N/4 unanswerable "
                    "XQuAD questions with the LLM (retrieval is scored on all), and N RGB queries of each kind")
    ev.add_argument("--bbc", action=argparse.BooleanOptionalAction, default=None,
                    help="index the 2,225 BBC articles as distractors (default: on for the full run)")
    ev.add_argument("--thresholds", default=None, help="the gate (default: the packaged evals/thresholds.toml)")
    ev.add_argument("--data", default=None, help="folder of public eval datasets (default: $ASSISTANT_EVAL_DATA); "
                    "missing ones come from the cache or a pinned download, or are skipped")
    ev.add_argument("--download", action=argparse.BooleanOptionalAction, default=None,
                    help="download missing datasets from pinned sources (default: $ASSISTANT_EVAL_DOWNLOAD or on)")
    ev.add_argument("--judge", action="store_true", help="also score faithfulness with the configured chat model "
                    "as an LLM judge (RAGAS-style statements and verdicts; slow with the local model)")
    ev.add_argument("--only", default="", help="comma-separated datasets to run (seed, xquad, rgb-counterfactual, "
                    "rgb-noise; a prefix works: rgb)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:  # a store failing after it opened (truncated pages, a full disk)
        from assistant.errors import disk_full, storage_full
        from assistant.settings import load_settings
        from assistant.store.health import REBUILD_HINT

        data_dir = load_settings(**({"data_dir": args.data_dir} if args.data_dir else {})).data_dir
        message = str(storage_full(data_dir)) if disk_full(exc, data_dir) else \
            f"the document store is damaged ({exc}); {REBUILD_HINT}"
        print(f"error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    from assistant.pipeline import Assistant

    overrides: dict[str, Any] = {}
    if args.backend:
        overrides["llm_backend"] = args.backend
    if getattr(args, "data", None):
        overrides["eval_data"] = args.data
    if getattr(args, "download", None) is not None:
        overrides["eval_download"] = args.download
    command = {"ingest": _ingest, "ask": _ask, "check": _check, "rebuild": _rebuild, "chat": _chat,
               "eval": _eval}[args.command]
    return command(Assistant(args.data_dir, **overrides), args)


def _ingest(assistant: Assistant, args: argparse.Namespace) -> int:
    report = assistant.ingest(args.paths, prune=not args.no_prune)
    print(report.summary())
    return 1 if report.failed else 0


def _check(assistant: Assistant, args: argparse.Namespace) -> int:
    health = assistant.check()
    if args.json:
        import json

        print(json.dumps(health.as_dict(), indent=2))
    else:
        print(health.render())
    return 0 if health.ok else 1


def _rebuild(assistant: Assistant, args: argparse.Namespace) -> int:
    report = assistant.rebuild(args.paths)
    print(report.summary())
    return 1 if report.failed else 0


def _ask(assistant: Assistant, args: argparse.Namespace) -> int:
    answer = assistant.ask(args.question)
    if args.json:
        import dataclasses
        import json

        data = dataclasses.asdict(answer)
        data["citations"] = [dataclasses.asdict(c) for c in answer.citations]
        print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        print(answer.render())
    return 0


def _chat(assistant: Assistant, args: argparse.Namespace) -> int:
    try:
        import gradio  # noqa: F401
    except ImportError as exc:
        raise ConfigError("the chat UI needs its extra: pip install 'research-assistant[ui]'") from exc
    from assistant.ui.app import launch

    print(f"Opening the chat on http://{args.host}:{args.port or 7860}", file=sys.stderr)
    launch(assistant, host=args.host, port=args.port)
    return 0


def _eval(assistant: Assistant, args: argparse.Namespace) -> int:
    from pathlib import Path

    try:
        from evals import check_thresholds, default_thresholds, run_suite
    except ImportError as exc:
        raise ConfigError(f"the eval suite cannot load ({exc}): pip install 'research-assistant[eval]'") from exc
    judge = None
    if args.judge:
        from evals.judge import LLMJudge

        if assistant.llm is None:
            raise ConfigError("--judge needs a chat model: set ASSISTANT_LLM_BACKEND=local or openai")
        judge = LLMJudge(assistant.llm)
    summary = run_suite(assistant.settings, Path(args.out), quick=args.quick, with_bbc=args.bbc, judge=judge,
                        answer_limit=args.answers, only={o for o in args.only.split(",") if o} or None)
    for name, values in summary["datasets"].items():
        print(f"\n{name}")
        for key, value in values.items():
            print(f"  {key:>26}: {value}")
    for line in summary["skipped"]:
        print(line)
    print(f"\nreport: {Path(args.out) / 'report.md'}")
    thresholds = Path(args.thresholds) if args.thresholds else default_thresholds()
    failures = check_thresholds(summary, thresholds) if thresholds.is_file() else []
    for f in failures:
        print(f"below threshold: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
