"""Labelled (premise, claim, label, pair_type) pairs for the grounding checker, built from public data.

Read in place from the files `sources.py` resolves (never copied into the repository):
- RGB `en_fact.json` (per query: `positive` snippets stating the answer, `positive_wrong` the same
  snippets edited to state a fake answer, `negative` on-topic snippets without the answer);
- XQuAD `xquad.en.json` (SQuAD format, 48 Wikipedia articles, 240 paragraphs, 1,190 questions).

Two claim families per data set, each with one supported kind and several unsupported kinds:
- `*_qa`: a templated claim "<question without '?'>: <answer>." (not a copy of any premise text).
  RGB: against a positive snippet (1), its counterfactual twin (0), a negative snippet (0).
  XQuAD: against its paragraph (1); the answer swapped for another answer of the same type
  (number/name/other) from the same article (0, split by whether the swapped answer occurs in the
  paragraph); against another paragraph of the same article that lacks the answer (0).
- `*_sent`: the premise's own answer-bearing sentence. The supported kind is verbatim by
  construction (trivially covered); the unsupported kinds are the informative ones: the RGB
  counterfactual twin as premise, the answer swapped in the sentence, a sentence of another paragraph,
  the sentence negated ("not" inserted after its first auxiliary verb: is, was, has, can, ...).
`pair_type` is "<family>:<kind>"; `group` (the RGB query or XQuAD article) is the unit of the split.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant.text import split_sentences

SUPPORT = "support"
_AUXILIARY = re.compile(r"\b(is|was|are|were|has|have|had|can|could|will|would|did|does|should|must)\b")
_NEGATED = re.compile(r"\b(not|never|no|n't|cannot)\b", re.I)
_SMALL = frozenset({"of", "the", "and", "de", "for", "in", "on", "a", "an", "at", "to", "von", "van", "du"})


@dataclass(frozen=True)
class Pair:
    premise: str
    claim: str
    label: int
    pair_type: str
    group: str

    @property
    def family(self) -> str:
        return self.pair_type.split(":")[0]

    @property
    def kind(self) -> str:
        return self.pair_type.split(":")[1]


def qa_claim(question: str, answer: str) -> str:
    """The templated claim: the question as a heading, then the answer ("Who acquired X: Facebook.")."""
    q = re.sub(r"\s+", " ", question).strip().rstrip("?.! ").strip()
    a = answer.strip()
    return f"{q}: {a}" + ("" if a.endswith(".") else ".")


def _answer_type(text: str) -> str:
    if re.search(r"\d", text):
        return "number"
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]*", text) if w.lower() not in _SMALL]
    return "name" if words and all(w[0].isupper() for w in words) else "other"


def _contains(haystack: str, needle: str) -> bool:
    return needle.lower() in haystack.lower()


def _sentence_with(text: str, needle: str) -> str | None:
    for a, b in split_sentences(text):
        if _contains(text[a:b], needle):
            return text[a:b]
    return None


def negate(sentence: str) -> str | None:
    """The sentence with "not" after its first auxiliary verb (None if it has none or is already negated)."""
    m = _AUXILIARY.search(sentence)
    if not m or _NEGATED.search(sentence):
        return None
    return f"{sentence[:m.end()]} not{sentence[m.end():]}"


def _rgb_answers(row: dict) -> list[str]:
    ans = row["answer"]
    flat: list[str] = []
    for x in ans if isinstance(ans, list) else [ans]:
        flat.extend(x if isinstance(x, list) else [x])
    return flat


def rgb_pairs(path: Path) -> list[Pair]:
    pairs: list[Pair] = []
    with path.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    for row in rows:
        group = f"rgb:{row['id']}"
        answers = _rgb_answers(row)
        claim = qa_claim(row["query"], answers[0])
        for pos, wrong in zip(row["positive"], row["positive_wrong"], strict=True):
            pairs.append(Pair(pos, claim, 1, f"rgb_qa:{SUPPORT}", group))
            if not any(_contains(wrong, a) for a in answers):
                pairs.append(Pair(wrong, claim, 0, "rgb_qa:counterfactual", group))
            found = next((s for s in (_sentence_with(pos, a) for a in answers) if s), None)
            if found and found not in wrong:
                pairs.append(Pair(pos, found, 1, f"rgb_sent:{SUPPORT}", group))
                pairs.append(Pair(wrong, found, 0, "rgb_sent:counterfactual", group))
                if negated := negate(found):
                    pairs.append(Pair(pos, negated, 0, "rgb_sent:negated", group))
        for neg in row["negative"]:
            if not any(_contains(neg, a) for a in answers):
                pairs.append(Pair(neg, claim, 0, "rgb_qa:negative", group))
    return _dedupe(pairs)


def xquad_pairs(path: Path, seed: int = 7) -> list[Pair]:
    rng = random.Random(seed)
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    pairs: list[Pair] = []
    for article in data:
        group = f"xquad:{article['title']}"
        contexts = [p["context"] for p in article["paragraphs"]]
        items = []  # (paragraph index, question, answer text, answer start)
        for i, para in enumerate(article["paragraphs"]):
            for qa in para["qas"]:
                ans = qa["answers"][0]
                items.append((i, qa["question"], ans["text"].strip(), ans["answer_start"]))
        by_type: dict[str, list[str]] = defaultdict(list)
        for _, _, text, _ in items:
            if text not in by_type[_answer_type(text)]:
                by_type[_answer_type(text)].append(text)
        for i, question, answer, start in items:
            context = contexts[i]
            sentence = next((context[a:b] for a, b in split_sentences(context) if a <= start < b), None)
            claim = qa_claim(question, answer)
            pairs.append(Pair(context, claim, 1, f"xquad_qa:{SUPPORT}", group))
            others = [t for t in by_type[_answer_type(answer)]
                      if not _contains(t, answer) and not _contains(answer, t)]
            swap = rng.choice(others) if others else None
            if swap:
                kind = "swap_in_premise" if _contains(context, swap) else "swap_not_in_premise"
                pairs.append(Pair(context, qa_claim(question, swap), 0, f"xquad_qa:{kind}", group))
            elsewhere = [j for j, c in enumerate(contexts) if j != i and not _contains(c, answer)]
            if elsewhere:
                pairs.append(Pair(contexts[rng.choice(elsewhere)], claim, 0, "xquad_qa:other_paragraph", group))
            if sentence is None or answer not in sentence:
                continue
            pairs.append(Pair(context, sentence, 1, f"xquad_sent:{SUPPORT}", group))
            if negated := negate(sentence):
                pairs.append(Pair(context, negated, 0, "xquad_sent:negated", group))
            if swap:
                swapped = sentence.replace(answer, swap, 1)
                kind = "swap_in_premise" if _contains(context, swap) else "swap_not_in_premise"
                pairs.append(Pair(context, swapped, 0, f"xquad_sent:{kind}", group))
            if elsewhere:
                other = contexts[rng.choice(elsewhere)]
                a, b = rng.choice(split_sentences(other))
                pairs.append(Pair(context, other[a:b], 0, "xquad_sent:other_paragraph", group))
    return _dedupe(pairs)


def _dedupe(pairs: Iterable[Pair]) -> list[Pair]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in pairs:
        if (p.premise, p.claim) not in seen:
            seen.add((p.premise, p.claim))
            out.append(p)
    return out


def split(pairs: list[Pair], held_out: float = 0.4, seed: int = 13) -> tuple[list[Pair], list[Pair]]:
    """Calibration and held-out pairs, split by group (RGB query, XQuAD article) with a fixed seed."""
    by_source: dict[str, list[str]] = defaultdict(list)
    for g in sorted({p.group for p in pairs}):
        by_source[g.split(":")[0]].append(g)
    held: set[str] = set()
    for groups in by_source.values():  # each source on its own: RGB's split is the same with or without XQuAD
        random.Random(seed).shuffle(groups)
        held.update(groups[: round(len(groups) * held_out)])
    return [p for p in pairs if p.group not in held], [p for p in pairs if p.group in held]


def all_pairs(rgb: Path | None, xquad: Path | None) -> list[Pair]:
    """Pairs from the datasets that were found (None: that dataset is skipped)."""
    return (rgb_pairs(rgb) if rgb else []) + (xquad_pairs(xquad) if xquad else [])


if __name__ == "__main__":
    import sys
    from collections import Counter

    calib, held = split(all_pairs(Path(sys.argv[1]), Path(sys.argv[2])))  # en_fact.json xquad.en.json
    for name, ps in (("calibration", calib), ("held-out", held)):
        print(name, len(ps), dict(sorted(Counter(p.pair_type for p in ps).items())))
