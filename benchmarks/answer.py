"""Answer benchmark on the embedded default: time to first token (TTFT), total time, and where it goes.

1. End to end (`Assistant.ask`, seed article, k=4 passages): the extractive backend (no LLM) is the
   baseline in the same run; then the local model. Per question: TTFT and total.
2. Profile: the same prompts sent straight to llama.cpp, split into the prompt's fixed prefix (system
   prompt + worked example, reused from the previous call by llama-cpp-python's prefix matching) and
   the part evaluated per question (passages + question), with tokens and tokens/s for each.
3. `--sweep`: the local model's knobs, each against the default in the same run, on the same four
   prompts (prefix warm): threads, n_batch / n_ubatch, flash attention, KV cache type, context size.
4. `--peer` (only this): our pipeline against the peer pipeline on the same questions and the same loaded
   model, over the seed article (`--seed`, 12 answerable questions) and an XQuAD sample (`--xquad`, 12
   answerable questions spread over the eval's 42 indexed articles; skipped, said out loud, without XQuAD), each
   corpus and the two pooled. The peer is LangChain's RAG tutorial (RecursiveCharacterTextSplitter
   1000/200, Chroma similarity search k=4 with the same embedder, the tutorial's prompt, the model, a
   string parser; no condensing, no grammar, no checking). One pipeline after the other, each after a
   warm-up question (they share the loaded model; alternating would evict each other's evaluated prompt);
   first token and total, medians and ratios, and the process's peak RSS.
5. `--judge` (only this): the first token of a question asked right after the second opinion judged a
   sentence, with the judge in the answer's own llama.cpp context (before) and in its own (`side.py`,
   now): one pass over the questions each, same loaded model.
6. `--lookup` (only this): prompt-lookup decoding (`backends/lookup.py`) against plain greedy decoding
   (llama-cpp-python's chat completion), same loaded model, same questions (the seed set's answerable
   ones), passes alternating (off, on, off, on): whole answer, first token, generation ms per token,
   and whether the answer's text is the same.
6b. `--flash` (only this): flash attention off (the default) against on (`ASSISTANT_LLM_FLASH_ATTENTION`), the
   model loaded once for each, the same questions, passes alternating (off, on, on, off, twice): the same figures.
7. `--followup` (only this): follow-up questions in a conversation (the question rewritten with the chat
   history by the condense step, then answered), with the condense step in the answer's own llama.cpp
   context (before) and in its own (`side.py`, now): passes alternating (before, now, before, now), each
   follow-up asked right after its first question was answered; first token, the condensing's share,
   the whole answer, and whether the standalone query and the answer are the same both ways.
8. `--cold` (only this): the first question of a freshly started process, each in its own process, two
   rounds: in the chat UI's way, asked 10 s after start (the user reading the page and typing), with and
   without `Assistant.warm_in_background` at start; and in `assistant ask`'s way, asked at once and timed
   from the start, with and without `warm` first (the prompt state saved by an earlier process loaded).
   The models' files are in the OS page cache after the first process.
Usage: python benchmarks/answer.py [--sweep | --peer | --judge | --lookup | --flash | --followup | --cold]
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant import Assistant
from assistant.answer.prompting import messages, pack

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = "What did China's ambassador say about the letter?"  # asked first: the answer prompt's fixed prefix evaluated
QUESTIONS = [
    "How many countries' ambassadors co-signed the letter?",
    "Who is Vadim Pisarevich?",
    "How does China describe the facilities in Xinjiang?",
    "When did ambassadors in Geneva first send the joint letter?",
]


def end_to_end(a: Assistant) -> tuple[list[float], list[float]]:
    first, total = [], []
    for q in QUESTIONS:
        ans = a.ask(q)
        first.append(ans.timings.get("first_token", ans.timings.get("total", 0.0)))
        total.append(ans.timings.get("total", 0.0))
        print(f"  {q[:50]:<52} first token {first[-1]:5.2f}s  total {total[-1]:5.2f}s  refused={ans.refused}")
    return first, total


def prompts_for(a: Assistant, passage_tokens: int = 0) -> list[list[dict[str, str]]]:
    """The chat messages the pipeline sends for each question (k passages, packed to the budget)."""
    from assistant.backends.models import LlamaCppChat

    out = []
    for q in QUESTIONS:
        passages = pack(a.retrieve(q, a.settings.k), a.settings.prompt_budget, q, passage_tokens)
        out.append(LlamaCppChat._messages(None, messages(q, passages)))  # type: ignore[arg-type]
    return out


def first_token(llama: Any, msgs: list[dict[str, str]]) -> tuple[float, int]:
    """Seconds to the first generated token, and the prompt's token count."""
    t = time.perf_counter()
    res = llama.create_chat_completion(messages=msgs, max_tokens=1, temperature=0.0)
    return time.perf_counter() - t, int(res["usage"]["prompt_tokens"])


def profile(llama: Any, prompts: list[list[dict[str, str]]]) -> None:
    """TTFT per question with the fixed prefix already evaluated (the steady state) and cold."""
    prefix_msgs = prompts[0][:3]  # system + worked example: identical in every prompt
    llama.reset()
    cold_prefix, prefix_tokens = first_token(llama, [*prefix_msgs, {"role": "user", "content": "x"}])
    print(f"\nfixed prefix (system prompt + worked example): {prefix_tokens} tokens, "
          f"{cold_prefix:.2f}s cold ({prefix_tokens / cold_prefix:.0f} tokens/s)")
    print("\n| question | prompt tokens | evaluated (prefix reused) | TTFT, prefix warm | tokens/s | "
          "TTFT, cold |\n|---|---|---|---|---|---|")
    for q, msgs in zip(QUESTIONS, prompts, strict=True):
        first_token(llama, [*prefix_msgs, {"role": "user", "content": "x"}])  # leave only the prefix in cache
        warm, n = first_token(llama, msgs)
        llama.reset()
        cold, _ = first_token(llama, msgs)
        fresh = n - prefix_tokens
        print(f"| {q[:40]} | {n} | {fresh} | {warm:.2f} s | {fresh / warm:.0f} | {cold:.2f} s |", flush=True)


def sweep(path: Path, prompts: list[list[dict[str, str]]], n_ctx: int) -> None:
    from llama_cpp import Llama

    cores = os.cpu_count() or 2
    base: dict[str, Any] = {"n_ctx": n_ctx, "n_threads": cores, "n_batch": 512, "verbose": False}
    variants: dict[str, dict[str, Any]] = {
        "default (n_batch 512, all cores)": {},
        "n_batch 128": {"n_batch": 128, "n_ubatch": 128},
        "n_batch 256": {"n_batch": 256, "n_ubatch": 256},
        "n_batch 1024": {"n_batch": 1024, "n_ubatch": 1024},
        "1 generation thread (prompt on all cores)": {"n_threads": 1},
        "1 thread for the prompt too": {"n_threads": 1, "n_threads_batch": 1},
        "flash attention": {"flash_attn": True},
        "KV cache q8_0": {"flash_attn": True, "type_k": 8, "type_v": 8},
        "context 2048": {"n_ctx": 2048},
    }
    print("\n| setting | median TTFT (prefix warm) | median prompt tokens/s |\n|---|---|---|")
    for name, change in variants.items():
        try:
            llama = Llama(model_path=str(path), **{**base, **change})
        except Exception as exc:  # a knob this build does not support
            print(f"| {name} | not supported ({exc}) | |")
            continue
        prefix = [*prompts[0][:3], {"role": "user", "content": "x"}]
        times, rates = [], []
        for msgs in prompts:
            first_token(llama, prefix)
            _, prefix_n = first_token(llama, prefix)
            t, n = first_token(llama, msgs)
            times.append(t)
            rates.append((n - prefix_n) / t)
        print(f"| {name} | {statistics.median(times):.2f} s | {statistics.median(rates):.0f} |", flush=True)
        llama.close()


PEER_PROMPT = ("You are an assistant for question-answering tasks. Use the following pieces of retrieved context "
               "to answer the question. If you don't know the answer, just say that you don't know. Use three "
               "sentences maximum and keep the answer concise.\nQuestion: {question} \nContext: {context} \nAnswer:")


def peer_pipeline(a: Assistant, folder: Path, persist: Path) -> Any:
    """LangChain's RAG tutorial over `folder`, with `a`'s embedder and chat model: question -> answer text."""
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnablePassthrough
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from assistant.ingest.parse import iter_files, parse_file

    docs = [Document(page_content=d.text) for f in iter_files([folder]) for d in parse_file(f)]
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    store = Chroma.from_documents(chunks, a.embedder, collection_name="peer", persist_directory=str(persist))
    retriever = store.as_retriever(search_kwargs={"k": 4})
    context = retriever | (lambda found: "\n\n".join(d.page_content for d in found))
    prompt = ChatPromptTemplate.from_messages([("human", PEER_PROMPT)])
    llm = a.llm
    assert llm is not None, "the peer pipeline needs a chat model"
    return {"context": context, "question": RunnablePassthrough()} | prompt | llm | StrOutputParser()


def seed_questions(n: int) -> list[str]:
    """The first `n` answerable questions of the seed set (read as the eval reads it)."""
    from evals.datasets import seed_items

    return [item.question for item in seed_items(ROOT / "evals" / "seed.jsonl") if item.answerable][:n]


def xquad_sample(cache: Path, n: int) -> tuple[Path, list[str]] | None:
    """The eval's indexed XQuAD articles (written under `cache`) and `n` answerable questions spread evenly over
    them (consecutive XQuAD questions share a paragraph, and so the passages of our prompt: a spread sample
    measures prompts evaluated afresh), or None, said out loud, when XQuAD cannot be found."""
    from assistant.settings import Settings
    from evals import sources
    from evals.datasets import write_xquad_index

    found = sources.locator_for(Settings()).resolve(sources.XQUAD)
    if found.path is None or n <= 0:
        if n > 0:
            print(f"XQuAD sample skipped: {found.line()}")
        return None
    folder, items, _ = write_xquad_index(cache, found.path)
    answerable = [i.question for i in items if i.answerable]
    return folder, answerable[::max(1, len(answerable) // n)][:n]


def versus_peer(tmp: Path, n_seed: int, n_xquad: int) -> None:
    """Both pipelines over the same loaded model, per corpus: the seed article's questions, then an XQuAD
    sample over the 42 indexed articles (as the quick eval's first-token metric pools them)."""
    corpora = [("seed", ROOT / "corpus", seed_questions(n_seed))]
    if (xq := xquad_sample(tmp / "xquad-data", n_xquad)) is not None:
        corpora.append(("xquad", *xq))
    llm = None
    rows: dict[str, dict[str, tuple[list[float], list[float]]]] = {}
    for corpus, folder, questions in corpora:
        shared: dict[str, Any] = {} if llm is None else {"llm": llm}  # one loaded model for every pipeline
        ours = Assistant(tmp / f"ours-{corpus}", llm_backend="local", **shared)
        ours.ingest([folder], progress=False)
        llm = ours.llm
        peer = peer_pipeline(ours, folder, tmp / f"peer-{corpus}")
        rows[corpus] = {"ours": ([], []), "peer": ([], [])}
        # One pipeline after the other, each warmed up first: they share the loaded model, and alternating
        # would make each evict the other's evaluated prompt prefix.
        for name in ("ours", "peer"):
            (ours.ask if name == "ours" else peer.invoke)(questions[-1])
            for q in questions:
                t = time.perf_counter()
                first, text, phases = None, "", ""
                if name == "ours":
                    for event in ours.stream(q):
                        if event.kind == "token" and first is None:
                            first = time.perf_counter() - t
                        if event.answer:
                            text = event.answer.text
                            phases = " ".join(f"{k} {v:.2f}" for k, v in event.answer.timings.items()
                                              if k in ("generate", "verify", "second_try"))
                else:
                    for part in peer.stream(q):
                        first = first if first is not None else time.perf_counter() - t
                        text += part
                total = time.perf_counter() - t
                rows[corpus][name][0].append(first if first is not None else total)
                rows[corpus][name][1].append(total)
                print(f"  {corpus:<5} {name:<5} {q[:46]:<48} first token {rows[corpus][name][0][-1]:5.2f} s  "
                      f"total {total:5.2f} s  {phases}  {' '.join(text.split())[:60]!r}", flush=True)
    print("\n| questions | pipeline | median first token | median total | total vs peer |\n|---|---|---|---|---|")
    groups = dict(rows)
    if len(rows) > 1:
        groups["pooled"] = {name: ([x for r in rows.values() for x in r[name][0]],
                                   [x for r in rows.values() for x in r[name][1]]) for name in ("ours", "peer")}
    for corpus, r in groups.items():
        peer_total = statistics.median(r["peer"][1])
        for name, (firsts, totals) in r.items():
            print(f"| {corpus} ({len(totals)}) | {name} | {statistics.median(firsts):.2f} s | "
                  f"{statistics.median(totals):.2f} s | {statistics.median(totals) / peer_total:.2f}x |")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def after_judging(tmp: Path) -> None:
    from assistant.backends.llama import LlamaCppChat
    from assistant.verify.second import ModelOpinion

    a = Assistant(tmp / "judge", llm_backend="local", second_opinion=False)  # only the judge calls below
    a.ingest([ROOT / "corpus"], progress=False)
    chat = a.llm
    assert isinstance(chat, LlamaCppChat)
    judges = {"judge in the answer's context (before)": LlamaCppChat(llama=chat._llama, judge_context=False),
              "judge in its own context (now)": chat}
    firsts: dict[str, list[float]] = {name: [] for name in judges}
    for name, judge in judges.items():  # one pass each: a question asked twice in a row would reuse its prompt
        a.ask(WARM_UP)
        for q in QUESTIONS:
            ModelOpinion(judge).probability("The letter was signed by 50 ambassadors in Geneva on July 12.",
                                            "Fifty countries signed the letter.")
            ans = a.ask(q)
            firsts[name].append(ans.timings.get("first_token", ans.timings["total"]))
            print(f"  {name:<42} {q[:44]:<46} first token {firsts[name][-1]:5.2f} s", flush=True)
    print("\n| second opinion | median first token of the next question |\n|---|---|")
    for name, values in firsts.items():
        print(f"| {name} | {statistics.median(values):.2f} s |")


def alternating(modes: dict[str, Callable[[], Assistant]], questions: list[str], passes: list[str]) -> tuple[
        dict[str, dict[str, list[float]]], dict[str, dict[str, str]]]:
    """The questions asked once per pass, each pass in the mode it names (`modes[name]()` readies and returns
    the assistant): per mode the whole answer, the first token and ms per streamed piece, and the answers' texts
    (the last pass's)."""
    rows: dict[str, dict[str, list[float]]] = {m: {"total": [], "first": [], "ms": []} for m in modes}
    texts: dict[str, dict[str, str]] = {m: {} for m in modes}
    for mode in passes:
        a = modes[mode]()
        for q in questions:
            t = time.perf_counter()
            first, last, pieces = None, 0.0, 0
            answer = None
            for event in a.stream(q):
                if event.kind == "token":
                    last = time.perf_counter() - t
                    first = first if first is not None else last
                    pieces += 1
                answer = event.answer or answer
            total = time.perf_counter() - t
            rows[mode]["total"].append(total)
            rows[mode]["first"].append(first or total)
            if first is not None and pieces > 1:
                rows[mode]["ms"].append(1000 * (last - first) / (pieces - 1))
            texts[mode][q] = answer.text if answer else ""
            print(f"  {mode:<3} {q[:50]:<52} first {first or total:5.2f} s  total {total:5.2f} s  "
                  f"{' '.join(texts[mode][q].split())[:60]!r}", flush=True)
    return rows, texts


def print_alternating(rows: dict[str, dict[str, list[float]]], texts: dict[str, dict[str, str]],
                      names: dict[str, str], what: str) -> None:
    before, now = list(names)
    print(f"\n| {what} | median whole answer | median first token | median ms per streamed piece | vs the first |"
          "\n|---|---|---|---|---|")
    base = statistics.median(rows[before]["total"])
    for mode, name in names.items():
        r = rows[mode]
        print(f"| {name} | {statistics.median(r['total']):.2f} s | {statistics.median(r['first']):.2f} s | "
              f"{statistics.median(r['ms']) if r['ms'] else 0:.1f} | {statistics.median(r['total']) / base:.2f}x |")
    same = sum(texts[before][q] == texts[now][q] for q in texts[before])
    print(f"same answer text: {same} of {len(texts[before])}")


def with_lookup(tmp: Path) -> None:
    from assistant.backends.llama import LlamaCppChat

    a = Assistant(tmp / "lookup", llm_backend="local")
    a.ingest([ROOT / "corpus"], progress=False)
    chat = a.llm
    assert isinstance(chat, LlamaCppChat)
    a.ask(WARM_UP)

    def lookup(tokens: int) -> Callable[[], Assistant]:
        def ready() -> Assistant:
            chat.lookup_tokens = tokens
            return a
        return ready

    rows, texts = alternating({"off": lookup(0), "on": lookup(3)}, seed_questions(12), ["off", "on"] * 2)
    print_alternating(rows, texts, {"off": "plain greedy (before)", "on": "prompt lookup, 3 tokens (now)"},
                      "decoding")


def with_flash(tmp: Path) -> None:
    """Flash attention off (the default) and on: two copies of the model loaded, one assistant each, over the
    same index; the same questions, passes alternating."""
    assistants = {mode: Assistant(tmp / "flash", llm_backend="local", llm_flash_attention=mode == "on")
                  for mode in ("off", "on")}
    assistants["off"].ingest([ROOT / "corpus"], progress=False)
    for a in assistants.values():
        a.ask(WARM_UP)
    rows, texts = alternating({m: functools.partial(assistants.__getitem__, m) for m in assistants},
                              seed_questions(12), ["off", "on", "on", "off"] * 2)
    print_alternating(rows, texts, {"off": "plain attention (default)", "on": "flash attention"},
                      "attention")


CONVERSATIONS = [
    ("Which countries signed the letter?", "How many were there?"),
    ("Who is China's ambassador to the UN in Geneva?", "What did he say about the letter?"),
    ("What does OIC stand for?", "Which of its members signed?"),
    ("Who is Vadim Pisarevich?", "What did he say?"),
    ("How does China describe the facilities in Xinjiang?", "What does the UN estimate about them?"),
    ("When did ambassadors in Geneva first send the joint letter?", "Who was it addressed to?"),
]


def follow_ups(tmp: Path) -> None:
    from assistant.backends.llama import LlamaCppChat

    a = Assistant(tmp / "followup", llm_backend="local")
    a.ingest([ROOT / "corpus"], progress=False)
    chat = a.llm
    assert isinstance(chat, LlamaCppChat)
    names = {False: "condense in the answer's context (before)", True: "condense in its own context (now)"}
    rows: dict[bool, dict[str, list[float]]] = {m: {"first": [], "condense": [], "total": []} for m in names}
    said: dict[bool, dict[str, tuple[str, str]]] = {m: {} for m in names}
    a.ask(WARM_UP)
    for own in (False, True, False, True):
        chat.condense_context = own
        for first_q, follow_q in CONVERSATIONS:
            first = a.ask(first_q)
            history = [{"role": "user", "content": first_q}, {"role": "assistant", "content": first.text}]
            ans = a.ask(follow_q, history=history, previous=first)
            t = ans.timings
            rows[own]["first"].append(t.get("first_token", t["total"]))
            rows[own]["condense"].append(t.get("condense", 0.0))
            rows[own]["total"].append(t["total"])
            said[own][follow_q] = (ans.standalone_query, ans.text)
            print(f"  {names[own][:30]:<32} {follow_q[:36]:<38} condense {t.get('condense', 0.0):4.2f} s  first token "
                  f"{rows[own]['first'][-1]:5.2f} s  total {t['total']:5.2f} s -> {ans.standalone_query!r}", flush=True)
    same = sum(said[False][f] == said[True][f] for _, f in CONVERSATIONS)
    base = statistics.median(rows[False]["first"])
    print("\n| condense step | median first token of the follow-up | of which condensing | median whole answer "
          "| first token vs before |\n|---|---|---|---|---|")
    for own, name in names.items():
        r = rows[own]
        print(f"| {name} | {statistics.median(r['first']):.2f} s | {statistics.median(r['condense']):.2f} s | "
              f"{statistics.median(r['total']):.2f} s | {statistics.median(r['first']) / base:.2f}x |")
    print(f"same standalone query and answer both ways: {same} of {len(CONVERSATIONS)}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def first_question(data: Path, mode: str) -> None:
    """One fresh process's first question; prints one JSON line. Modes: "ui" / "ui-warm": asked 10 s after
    start (the page open, the user typing), without / with the warm-up in the background, timed from the
    question; "cli" / "cli-warm": asked at once (`assistant ask`), without / with `warm` first (the saved
    prompt state loaded), timed from the start."""
    import json

    t0 = time.perf_counter()
    a = Assistant(data, llm_backend="local")
    if mode == "ui-warm":
        a.warm_in_background()
    if mode.startswith("ui"):
        time.sleep(10)
    if mode == "cli-warm":
        a.warm(query=False)  # as `assistant ask` does
    t = time.perf_counter() if mode.startswith("ui") else t0
    first = None
    for event in a.stream(QUESTIONS[1]):
        if event.kind == "token" and first is None:
            first = time.perf_counter() - t
    total = time.perf_counter() - t
    print(json.dumps({"first": first if first is not None else total, "total": total}))


def cold_start(tmp: Path) -> None:
    import json
    import subprocess
    import sys

    data = tmp / "cold"
    Assistant(data, llm_backend="local").ingest([ROOT / "corpus"], progress=False)
    names = {"ui": "chat UI, no warm-up (before)", "ui-warm": "chat UI, warm-up at start (now)",
             "cli": "one-shot ask, nothing kept (before)", "cli-warm": "one-shot ask, saved prompt state (now)"}
    rows: dict[str, dict[str, list[float]]] = {m: {"first": [], "total": []} for m in names}
    for _ in range(2):
        for mode in names:
            out = subprocess.run([sys.executable, __file__, "--first-question", str(data), "--mode", mode],
                                 check=True, capture_output=True, text=True).stdout
            got = json.loads(out.strip().splitlines()[-1])
            for key in ("first", "total"):
                rows[mode][key].append(got[key])
            print(f"  {names[mode]:<40} first token {got['first']:5.2f} s  total {got['total']:5.2f} s", flush=True)
    print("\n| start | median first token of the first question | median whole answer | first token vs before |"
          "\n|---|---|---|---|")
    for mode, name in names.items():
        r, base = rows[mode], statistics.median(rows[mode.replace("-warm", "")]["first"])
        print(f"| {name} | {statistics.median(r['first']):.2f} s | {statistics.median(r['total']):.2f} s | "
              f"{statistics.median(r['first']) / base:.2f}x |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--peer", action="store_true")
    ap.add_argument("--seed", type=int, default=12, help="--peer: answerable seed questions asked")
    ap.add_argument("--xquad", type=int, default=12, help="--peer: XQuAD questions asked (0: none)")
    ap.add_argument("--judge", action="store_true")
    ap.add_argument("--lookup", action="store_true")
    ap.add_argument("--flash", action="store_true")
    ap.add_argument("--followup", action="store_true")
    ap.add_argument("--cold", action="store_true")
    ap.add_argument("--first-question", type=Path, help=argparse.SUPPRESS)  # one `--cold` process
    ap.add_argument("--mode", default="ui", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.first_question:
        first_question(args.first_question, args.mode)
        return
    if args.cold:
        with tempfile.TemporaryDirectory() as tmp:
            cold_start(Path(tmp))
        return
    if args.lookup or args.followup or args.flash:
        with tempfile.TemporaryDirectory() as tmp:
            (with_lookup if args.lookup else with_flash if args.flash else follow_ups)(Path(tmp))
        return
    if args.peer:
        with tempfile.TemporaryDirectory() as tmp:
            versus_peer(Path(tmp), args.seed, args.xquad)
        return
    if args.judge:
        with tempfile.TemporaryDirectory() as tmp:
            after_judging(Path(tmp))
        return
    with tempfile.TemporaryDirectory() as tmp:
        ext = Assistant(Path(tmp), llm_backend="extractive")
        ext.ingest([ROOT / "corpus"], progress=False)
        print("extractive (baseline, no LLM):")
        _, base_total = end_to_end(ext)
        local = Assistant(Path(tmp), llm_backend="local")
        t = time.perf_counter()
        llm = local.llm  # load outside the timed questions
        print(f"local model load: {time.perf_counter() - t:.1f}s")
        print("local (Qwen2.5-1.5B-Instruct Q4_K_M, llama.cpp):")
        first, total = end_to_end(local)
        print(f"median first token {statistics.median(first):.2f}s, median total {statistics.median(total):.2f}s, "
              f"ratio to extractive {statistics.median(total) / statistics.median(base_total):.0f}x")
        print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        prompts = prompts_for(local)
        profile(llm._llama, prompts)  # type: ignore[union-attr]
        print("\nPassage packing: each of the 4 passages cut to its best sentences within 60 tokens "
              "(ASSISTANT_PASSAGE_TOKENS=60):")
        profile(llm._llama, prompts_for(local, 60))  # type: ignore[union-attr]
        focused = Assistant(Path(tmp), llm_backend="local", passage_tokens=60)
        print("end to end with ASSISTANT_PASSAGE_TOKENS=60:")
        first, total = end_to_end(focused)
        print(f"median first token {statistics.median(first):.2f}s, median total {statistics.median(total):.2f}s")
        if args.sweep:
            from assistant.backends.models import assemble_default_gguf

            sweep(assemble_default_gguf(local.settings.cache_dir), prompts, local.settings.llm_context)


if __name__ == "__main__":
    main()
