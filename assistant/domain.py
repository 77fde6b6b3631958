"""The domain objects, as frozen dataclasses: what flows from files to verified answers.

`Document` -> `Chunk` (ingest side); `Passage` -> `Citation` / `Sentence` -> `Answer` (answer side).
Offsets are always character offsets into `Document.text`, the one stored text of a document.
This module holds data only: no I/O, no models.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """One parsed article. `doc_id` derives from `text`, so identical text means identical id."""

    doc_id: str
    text: str
    source_path: str
    title: str = ""
    source: str = ""
    date: str = ""
    url: str = ""


@dataclass(frozen=True)
class Chunk:
    """A sentence-aligned, token-bounded slice of a document: `document.text[char_start:char_end]`.

    `sentences` holds the (start, end) document offsets of each sentence inside the chunk.
    """

    doc_id: str
    char_start: int
    char_end: int
    text: str
    sentences: tuple[tuple[int, int], ...]

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}:{self.char_start}-{self.char_end}"


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its score (cosine to the query; higher is more relevant), its document's
    metadata, and what retrieval learned about it: `relevance`, the reranker's calibrated probability that
    it answers the query (None without a calibrated reranker), and `also_published_by`, the sources of
    near-duplicate articles folded into it."""

    chunk_id: str
    doc_id: str
    text: str
    char_start: int
    char_end: int
    score: float
    sentences: tuple[tuple[int, int], ...] = ()
    title: str = ""
    source: str = ""
    date: str = ""
    url: str = ""
    relevance: float | None = None
    also_published_by: tuple[str, ...] = ()

    def span_text(self, start: int, end: int) -> str:
        """The text of document offsets [start, end) that lie inside this passage."""
        return self.text[start - self.char_start:end - self.char_start]

    def sentence_spans(self) -> tuple[tuple[int, int], ...]:
        """The passage's sentence offsets (the whole passage when they are unknown)."""
        return self.sentences or ((self.char_start, self.char_end),)


@dataclass(frozen=True)
class Citation:
    """A resolved citation: the exact span of the document that supports a sentence.

    `number` is the passage number the model saw (`[n]`); `quote` is `document.text[char_start:char_end]`.
    """

    number: int
    doc_id: str
    chunk_id: str
    char_start: int
    char_end: int
    quote: str
    title: str = ""
    source: str = ""
    date: str = ""
    url: str = ""


@dataclass(frozen=True)
class Sentence:
    """One sentence of an answer, with the citations that back it.

    `support` is the grounding score in [0, 1] when checked, else None; `label` is one of
    "supported", "recited", "unsupported" or "unchecked"; `verified_by` is "checker" (the grounding
    checker's score decided), "model" (a borderline score, confirmed by the chat model's second opinion),
    "trimmed" (the model's sentence cut to its leading clause that the checker supports), "quote" (a
    passage's own sentence, added by `answer/comparison.py`) or "comparison" (a conclusion computed from
    the numbers of the sentences it cites); the last two have no score.
    """

    text: str
    citations: tuple[Citation, ...] = ()
    support: float | None = None
    label: str = "unchecked"
    verified_by: str = "checker"


@dataclass(frozen=True)
class Decision:
    """Why an answer is what it is, as `answer/policy.py` decided it.

    `outcome` is "answer", "partial" (some statements or parts of the question left out) or "refuse";
    `reason` a stable code ("supported", "some_unsupported", "part_unanswered", "empty_index",
    "not_relevant", "model_declined", "unsupported", "premise_unsupported" (the question assumes what the
    passages never say), "nothing_found", "compared": a comparison answered from
    its quoted facts; "reported": a yes/no question answered with who says what; "bridged": the thing the
    question describes named first, then the question answered about it); `detail` one sentence for people.
    """

    outcome: str
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class Answer:
    """What `Assistant.ask` returns. A refusal has `refused=True` and a reason in `text`; `decision` says
    why the answer is an answer, a partial one or a refusal."""

    question: str
    text: str
    refused: bool
    sentences: tuple[Sentence, ...] = ()
    passages: tuple[Passage, ...] = ()
    standalone_query: str = ""
    timings: dict[str, float] = field(default_factory=dict, hash=False, compare=False)
    decision: Decision | None = None

    @property
    def citations(self) -> tuple[Citation, ...]:
        """Every distinct citation of the answer, in order of first use."""
        seen: dict[tuple[str, int, int], Citation] = {}
        for sentence in self.sentences:
            for c in sentence.citations:
                seen.setdefault((c.doc_id, c.char_start, c.char_end), c)
        return tuple(seen.values())

    def render(self) -> str:
        """The answer text with `[n]` markers, then a numbered source list."""
        if self.refused:
            return self.text
        lines = [self.text, ""]
        for c in sorted(self.citations, key=lambda c: c.number):
            head = " — ".join(x for x in (c.title, c.source, c.date) if x)
            lines.append(f"[{c.number}] {head}\n    “{c.quote.strip()}”")
        return "\n".join(lines)


@dataclass(frozen=True)
class Event:
    """One step of a streamed answer: kind is "query", "passages", "token", "retry" (the tokens so far were
    rejected; a second try's tokens follow), "step" (a bridge question asks `text`, a question of its own, first;
    the tokens that follow answer it) or "answer"."""

    kind: str
    text: str = ""
    passages: tuple[Passage, ...] = ()
    answer: Answer | None = None
