"""The command line: `assistant ingest | ask | documents | check | rebuild | chat | mcp | eval`. Parse, call
the library, print.

Conventions (simonw/llm's): the question may come on stdin (`echo "..." | assistant ask`); `ask`
streams the model's tokens, then prints the checked answer with its sources; `-c` continues the last
conversation; the common options (`--data-dir`, `--backend`, `--json`) work before or after the
command; every command that prints results prints JSON with `--json`. Exit status: 0 done, 1 done with
problems (files skipped, an unhealthy index, an eval below its thresholds), 2 a usage error, 3 an error
the message explains (one line: a setting, an unreachable server, a damaged store, a full disk),
130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError, ConfigError
from assistant.settings import LLM_BACKENDS

if TYPE_CHECKING:
    from assistant.pipeline import Assistant

OK, PROBLEMS, USAGE, ERROR, INTERRUPTED = 0, 1, 2, 3, 130
EXIT_CODES = """exit status:
  0    done
  1    done with problems: files skipped, an unhealthy index, an eval below its thresholds
  2    usage error (a wrong command or option)
  3    an error the one-line message explains (a setting, a server, a damaged store, a full disk)
  130  interrupted"""


def _common(suppress: bool) -> argparse.ArgumentParser:
    """The options every command takes, before or after its name (after it, they override)."""
    p = argparse.ArgumentParser(add_help=False)
    default = argparse.SUPPRESS if suppress else None
    p.add_argument("--data-dir", default=default, help="where the index lives (default: $ASSISTANT_DATA_DIR "
                   "or .assistant-data)")
    p.add_argument("--backend", choices=LLM_BACKENDS, default=default,
                   help="generating backend (default: $ASSISTANT_LLM_BACKEND or local)")
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS if suppress else False,
                   help="print results as JSON")
    return p


def _parser() -> argparse.ArgumentParser:
    from importlib.metadata import PackageNotFoundError, version

    try:
        ours = version("research-assistant")
    except PackageNotFoundError:  # run from a checkout without installing
        ours = "unknown"
    p = argparse.ArgumentParser(prog="assistant", description="Answers from your articles, every sentence cited.",
                                parents=[_common(False)], epilog=EXIT_CODES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"%(prog)s {ours}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help, parents=[_common(True)], epilog=EXIT_CODES,
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    ing = command("ingest", "ingest files and folders (incremental)")
    ing.add_argument("paths", nargs="+")
    ing.add_argument("--no-prune", action="store_true", help="keep documents whose files are gone")
    ask = command("ask", "answer one question with numbered sources (the question may come on stdin)")
    ask.add_argument("question", nargs="?", help="the question; '-' or none: read it from stdin")
    ask.add_argument("-c", "--continue", dest="cont", action="store_true",
                     help="continue the last conversation (a follow-up question)")
    ask.add_argument("--stream", action=argparse.BooleanOptionalAction, default=None,
                     help="print the model's tokens as they come, then the checked answer (default: on a terminal)")
    docs = command("documents", "list the indexed documents, or delete one")
    docs_sub = docs.add_subparsers(dest="action", metavar="ACTION")
    docs_sub.add_parser("list", help="list documents (the default)", parents=[_common(True)])
    delete = docs_sub.add_parser("delete", help="delete a document and the file it came from",
                                 parents=[_common(True)])
    delete.add_argument("doc_id")
    command("check", "report the index's health: counts per store, orphans, pending writes (exit 1 when damaged)")
    rebuild = command("rebuild", "heal a damaged index: re-ingest every file it recorded (and PATHS)")
    rebuild.add_argument("paths", nargs="*", help="more files and folders to ingest into the rebuilt index")
    chat = command("chat", "open the chat UI in the browser")
    chat.add_argument("--host", default="127.0.0.1")
    chat.add_argument("--port", type=int, default=None)
    mcp = command("mcp", "serve the ask, search and documents tools to agents over MCP (stdio, or --transport "
                  "http)")
    mcp.add_argument("--transport", choices=("stdio", "http"), default="stdio",
                     help="stdio: the MCP client starts this command (default); http: streamable HTTP at /mcp")
    mcp.add_argument("--host", default="127.0.0.1", help="http only (default: 127.0.0.1)")
    mcp.add_argument("--port", type=int, default=8000, help="http only (default: 8000)")
    ev = command("eval", "run the grounding evaluation suite and write a report with plots")
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
    ev.add_argument("--only", default="", help="comma-separated datasets to run (seed, xquad, "
                    "multihop (all multi-hop sets), news-reported, rgb-counterfactual, rgb-noise, rgb-rejection; "
                    "prefix: rgb)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ERROR
    except sqlite3.DatabaseError as exc:  # a store failing after it opened (truncated pages, a full disk)
        print(f"error: {_store_failure(args, exc)}", file=sys.stderr)
        return ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED


def _store_failure(args: argparse.Namespace, exc: sqlite3.DatabaseError) -> str:
    from assistant.settings import load_settings
    from assistant.store.health import storage_error

    return str(storage_error(load_settings(**({"data_dir": args.data_dir} if args.data_dir else {})).store, exc))


def _run(args: argparse.Namespace) -> int:
    from assistant.pipeline import Assistant

    overrides: dict[str, Any] = {}
    if args.backend:
        overrides["llm_backend"] = args.backend
    if getattr(args, "data", None):
        overrides["eval_data"] = args.data
    if getattr(args, "download", None) is not None:
        overrides["eval_download"] = args.download
    command = {"ingest": _ingest, "ask": _ask, "documents": _documents, "check": _check, "rebuild": _rebuild,
               "chat": _chat, "mcp": _mcp, "eval": _eval}[args.command]
    return command(Assistant(args.data_dir, **overrides), args)


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _report(report: Any, args: argparse.Namespace) -> int:
    if args.json:
        import dataclasses

        _print_json(dataclasses.asdict(report))
    else:
        print(report.summary())
    return PROBLEMS if report.failed else OK


def _ingest(assistant: Assistant, args: argparse.Namespace) -> int:
    return _report(assistant.ingest(args.paths, prune=not args.no_prune, progress=not args.json), args)


def _rebuild(assistant: Assistant, args: argparse.Namespace) -> int:
    return _report(assistant.rebuild(args.paths, progress=not args.json), args)


def _check(assistant: Assistant, args: argparse.Namespace) -> int:
    health = assistant.check()
    if args.json:
        _print_json(health.as_dict())
    else:
        print(health.render())
    return OK if health.ok else PROBLEMS


def _documents(assistant: Assistant, args: argparse.Namespace) -> int:
    import dataclasses

    if args.action == "delete":
        files = assistant.delete_document(args.doc_id)
        if args.json:
            _print_json({"deleted": args.doc_id, "files": files})
        else:
            print(f"deleted {args.doc_id} and the file(s) it came from: {', '.join(files)}")
        return OK
    docs = assistant.documents()
    if args.json:
        _print_json([dataclasses.asdict(d) for d in docs])
    else:
        for d in docs:
            print(f"{d.doc_id}  {d.date or '-':<10}  {d.n_chunks:>3} chunks  {d.title}  ({d.source_path})")
        print(f"{len(docs)} document(s)", file=sys.stderr)
    return OK


def _question(args: argparse.Namespace) -> str:
    question = args.question
    if question in (None, "-"):
        if sys.stdin.isatty():
            raise ConfigError("no question: give one (`assistant ask \"...\"`) or pipe it on stdin")
        question = sys.stdin.read()
    question = " ".join(question.split())
    if not question:
        raise ConfigError("the question is empty")
    return question


def _ask(assistant: Assistant, args: argparse.Namespace) -> int:
    from assistant.conversation import Conversation, answer_dict

    question = _question(args)
    data_dir = assistant.settings.data_dir
    conversation = Conversation.load(data_dir) if args.cont else Conversation()
    stream = (sys.stdout.isatty() if args.stream is None else args.stream) and not args.json
    assistant.warm(query=False)  # the local model loads the answer prompt's evaluated fixed part saved earlier
    answer = None
    for event in assistant.stream(question, conversation.history, conversation.previous):
        if event.kind == "token" and stream:
            print(event.text, end="", flush=True)
        elif event.kind == "retry" and stream:
            print("\n\n--- not supported by the sources; asking the model again ---", flush=True)
        elif event.kind == "step" and stream:  # a bridge question: a question of its own first, then the question
            print(f"\n\n--- in two steps: {event.text} ---", flush=True)
        answer = event.answer or answer
    if answer is None:
        raise AssistantError("the ask chain ended without an answer")
    conversation.add(question, answer)
    conversation.save(data_dir)
    if args.json:
        _print_json(answer_dict(answer))
    else:
        if stream:
            print("\n\n--- checked answer ---")
        print(answer.render())
    return OK


def _chat(assistant: Assistant, args: argparse.Namespace) -> int:
    try:
        import gradio  # noqa: F401
    except ImportError as exc:
        raise ConfigError("the chat UI needs its extra: pip install 'research-assistant[ui]'") from exc
    from assistant.ui.app import launch

    print(f"Opening the chat on http://{args.host}:{args.port or 7860}", file=sys.stderr)
    launch(assistant, host=args.host, port=args.port)
    return OK


def _mcp(assistant: Assistant, args: argparse.Namespace) -> int:
    from assistant.mcp_server import run

    run(assistant, transport=args.transport, host=args.host, port=args.port)
    return OK


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
    thresholds = Path(args.thresholds) if args.thresholds else default_thresholds()
    failures = check_thresholds(summary, thresholds) if thresholds.is_file() else []
    if args.json:
        _print_json({**summary, "below_threshold": failures})
        return PROBLEMS if failures else OK
    for name, values in summary["datasets"].items():
        print(f"\n{name}")
        for key, value in values.items():
            print(f"  {key:>26}: {value}")
    for line in summary["skipped"]:
        print(line)
    print(f"\nreport: {Path(args.out) / 'report.md'}")
    for f in failures:
        print(f"below threshold: {f}", file=sys.stderr)
    return PROBLEMS if failures else OK


if __name__ == "__main__":
    raise SystemExit(main())
