"""The citation grammar's cost per generated token: none, llama.cpp's grammar sampler, the lazy check.

Same four seed prompts (k=4 passages, the pipeline's own prompt), the same loaded model, through
`LlamaCppChat.stream`: (a) no grammar, (b) the full grammar sampler (every token of the vocabulary checked
at every step; the default before), (c) `backends.lazy_grammar` (the greedy token checked; the default
now). Modes alternate per prompt, two passes, the second reported. Generation speed is measured from the
first token to the last (the prompt's cost is the same in every mode). Also counts how often the lazy
check refused the greedy token and had to check the whole vocabulary, and whether (b) and (c) wrote the
same text.
Usage: python benchmarks/grammar.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from assistant import Assistant
from assistant.answer.grammar import citation_grammar
from assistant.answer.prompting import messages, pack
from assistant.backends import lazy_grammar
from assistant.backends.llama import LlamaCppChat

QUESTIONS = [
    "How many countries' ambassadors co-signed the letter?",
    "Who is Vadim Pisarevich?",
    "How does China describe the facilities in Xinjiang?",
    "When did ambassadors in Geneva first send the joint letter?",
]


def timed(chat: LlamaCppChat, prompt: list[Any], grammar: str | None) -> tuple[str, float, int]:
    """(text, seconds per generated token after the first, tokens)."""
    stamps, parts = [], []
    kwargs: dict[str, Any] = {"grammar": grammar} if grammar else {}
    chat._llama.reset()  # every mode evaluates the whole prompt: a reused prefix shifts logits at near-ties
    for chunk in chat.stream(prompt, **kwargs):
        stamps.append(time.perf_counter())
        parts.append(str(chunk.content))
    per_token = (stamps[-1] - stamps[0]) / (len(stamps) - 1) if len(stamps) > 1 else float("nan")
    return "".join(parts), per_token, len(stamps)


def main() -> None:
    checks: dict[str, int] = {"steps": 0, "refused": 0, "full": 0}
    original = lazy_grammar.LazyGrammar.close

    def counting_close(self: lazy_grammar.LazyGrammar) -> None:
        checks["steps"] += self.steps
        checks["refused"] += self.refused
        checks["full"] += self.full_checks
        original(self)

    lazy_grammar.LazyGrammar.close = counting_close  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp:
        a = Assistant(Path(tmp), llm_backend="local")
        a.ingest([Path("corpus")], progress=False)
        chat = a.llm
        assert isinstance(chat, LlamaCppChat)
        modes = {"no grammar": (chat, False), "grammar sampler (full vocabulary)": (
            LlamaCppChat(llama=chat._llama, max_tokens=chat.max_tokens, lazy_grammar=False), True),
                 "lazy grammar (greedy token checked)": (chat, True)}
        rates: dict[str, list[float]] = {m: [] for m in modes}
        same = 0
        for run in range(2):
            for q in QUESTIONS:
                passages = pack(a.retrieve(q, 4), a.settings.prompt_budget, q)
                prompt, grammar = messages(q, passages), citation_grammar(len(passages))
                texts = {}
                for name, (model, constrained) in modes.items():
                    text, per_token, n = timed(model, prompt, grammar if constrained else None)
                    texts[name] = text
                    if run == 1:
                        rates[name].append(per_token)
                        print(f"  {name:<38} {per_token * 1000:6.1f} ms/token  {n:3d} tokens  {text[:60]!r}",
                              flush=True)
                same += run == 1 and texts["grammar sampler (full vocabulary)"] == texts[
                    "lazy grammar (greedy token checked)"]
    base = statistics.median(rates["no grammar"])
    print("\n| decoding | median ms per generated token | speed vs no grammar |\n|---|---|---|")
    for name, values in rates.items():
        print(f"| {name} | {statistics.median(values) * 1000:.1f} | {base / statistics.median(values):.2f}x |")
    print(f"\nlazy check: the greedy token refused at {checks['refused']} of {checks['steps']} steps, the whole "
          f"vocabulary checked at {checks['full']}; "
          f"same text as the grammar sampler in {same} of {len(QUESTIONS)} answers")


if __name__ == "__main__":
    main()
