"""Number passages for the prompt, parse `[n]` markers out of the answer, resolve them to spans.

`parse_markers` accepts `[1]`, `[1][2]`, `[1, 2]`, `[1-3]`, `[Passage 2]`; ids outside 1..n are
dropped, repeats collapse. `split_answer` cuts the answer into sentences, each with its passage
numbers (a marker just after a full stop belongs to the sentence before it). `resolve` turns a
(sentence, passage) pair into a `Citation`: the passage sentence(s) that best match the claim,
as exact document offsets. This module does not judge support (see `assistant.verify`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.domain import Citation, Passage, Sentence
from assistant.injection import as_data
from assistant.text import MARKER, content_words, lexical_overlap, split_sentences

Similarity = Callable[[str, Sequence[str]], list[float]]



def number_passages(passages: Sequence[Passage]) -> str:
    """The passages block of the prompt: `[n] (title, source, date)` then the passage text; a later
    passage of the same article gets `[n] (same article as passage m)` instead of the header again.

    Article text is data: citation-like markers inside it (`[7]`, `[Passage 9]`) become `(7)`, `(Passage 9)`
    and `<passages>` tags lose their angle brackets, so only the real block headers number passages and
    no article can close the passages block of the prompt.
    """
    blocks = []
    first: dict[str, int] = {}  # doc_id -> the number of its first passage
    for n, p in enumerate(passages, 1):
        if p.doc_id in first:  # the article's header once (~35 tokens of prompt each time it is repeated)
            head = f"same article as passage {first[p.doc_id]}"
        else:
            first[p.doc_id] = n
            head = ", ".join(as_data(x) for x in (p.title, p.source, p.date) if x)
        blocks.append(f"[{n}] ({head})\n{as_data(p.text.strip())}")
    return "\n\n".join(blocks)


def parse_markers(text: str, n_passages: int) -> list[int]:
    """Valid passage numbers cited in `text`, in order of first appearance, without repeats."""
    out: list[int] = []
    for m in MARKER.finditer(text):
        body = m.group(1)
        ids: list[int] = []
        for part in re.split(r"\s*(?:[,;]|and)\s*", body):
            rng = re.fullmatch(r"(\d+)\s*[\-–]\s*(\d+)", part)
            if rng:
                a, b = int(rng.group(1)), int(rng.group(2))
                ids.extend(range(a, b + 1) if 0 < b - a < 20 else [a, b])
            elif part.isdigit():
                ids.append(int(part))
        out.extend(i for i in ids if 1 <= i <= n_passages and i not in out)
    return out


def strip_markers(text: str) -> str:
    text = MARKER.sub("", text)
    text = re.sub(r"(?<!\.)\s+([.,;:!?])(?! \.)", r"\1", text)  # "capital [1]." -> "capital.", not ". . ."
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def split_answer(text: str, n_passages: int) -> list[tuple[str, list[int]]]:
    """Sentences of the answer (markers removed) with the valid passage numbers each cites."""
    spans = split_sentences(text)
    pieces: list[tuple[str, list[int]]] = []
    for a, b in spans:
        raw = text[a:b]
        lead = re.match(r"^(\s*" + MARKER.pattern + r"\s*)+", raw, re.IGNORECASE)
        if lead and pieces:  # markers that open this sentence close the previous one
            prev_text, prev_ids = pieces[-1]
            pieces[-1] = (prev_text, prev_ids + [i for i in parse_markers(lead.group(0), n_passages)
                                                 if i not in prev_ids])
            raw = raw[lead.end():]
        clean = strip_markers(raw)
        if clean and re.search(r"\w", clean):
            pieces.append((clean, parse_markers(raw, n_passages)))
    return pieces


def best_sentences(claim: str, passage: Passage, similarity: Similarity | None = None) -> tuple[int, int]:
    """The document span of the passage sentence(s) that best support `claim`."""
    spans = list(passage.sentence_spans())
    texts = [passage.span_text(a, b) for a, b in spans]
    lex = [lexical_overlap(claim, t) for t in texts]
    sem = similarity(claim, texts) if similarity else [0.0] * len(texts)
    scores = [0.6 * x + 0.4 * y for x, y in zip(lex, sem, strict=True)]
    best = max(range(len(spans)), key=scores.__getitem__)
    a, b = spans[best]
    # Extend to a neighbour when the claim's words are split across two sentences.
    words = content_words(claim)
    covered = content_words(texts[best])
    for j in (best - 1, best + 1):
        if 0 <= j < len(spans) and (words - covered) & content_words(texts[j]) and scores[j] >= 0.5 * scores[best]:
            a, b = min(a, spans[j][0]), max(b, spans[j][1])
            covered |= content_words(texts[j])
    return a, b


def resolve(number: int, claim: str, passage: Passage, similarity: Similarity | None = None) -> Citation:
    return citation(number, passage, *best_sentences(claim, passage, similarity))


def citation(number: int, passage: Passage, start: int, end: int) -> Citation:
    """The citation of document offsets [start, end) of `passage`, shown to the model as `[number]`."""
    return Citation(number=number, doc_id=passage.doc_id, chunk_id=passage.chunk_id, char_start=start, char_end=end,
                    quote=passage.span_text(start, end),
                    title=passage.title, source=passage.source, date=passage.date, url=passage.url)


def answer_text(sentences: Sequence[Sentence]) -> str:
    """An answer's text: each sentence with its `[n]` markers (and "(unsupported)" where it is kept only
    to be shown as such)."""
    return " ".join(s.text + "".join(f" [{c.number}]" for c in s.citations)
                    + (" (unsupported)" if s.label == "unsupported" else "") for s in sentences)
