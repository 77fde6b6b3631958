"""The citation grammar never cuts a sentence: abbreviations, initials, decimals and ellipses stay inside.

`grammar.accepts` is the same format as the GBNF the local model decodes under (both are built from one
table), so these tests check what the model is held to: real sentences (the seed article, and XQuAD's
1,190 Wikipedia paragraphs when the data is there), generated ones (hypothesis), llama.cpp parsing the
grammar, and the local model answering with "U.S. Route 51" (it once wrote "... is U. [1]").
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.answer.citations import split_answer
from assistant.answer.grammar import ABBREVIATIONS, accepts, citation_grammar
from assistant.ingest.parse import parse_file
from assistant.text import split_sentences
from evals.sources import XQUAD
from tests.conftest import SEED, dataset

# The format's character set: a sentence opens with a capital, a digit, a quote or an initial; it has
# no brackets or line breaks, and "!" / "?" only inside quotes.
_IN_FORMAT = re.compile(r"^(?:[A-Z0-9\"'(\u201c]).*\.$", re.DOTALL)
_OUT = re.compile(r"[\[\]\n]|[!?](?![\"'\u201d])")
_DOTTED = re.compile(r"\b(?:" + "|".join(re.escape(a) for a in ABBREVIATIONS) + r")\.|\b[A-Z]\.|\d\.\d|\.\.\.")


def _real_sentences(texts: list[str]) -> list[str]:
    out = []
    for text in texts:
        for a, b in split_sentences(text):
            s = text[a:b].strip()
            if _IN_FORMAT.match(s) and not _OUT.search(s):
                out.append(s)
    return out


def _check(sentences: list[str]) -> None:
    rejected = [s for s in sentences if not accepts(f"{s} [1]")]
    # What may be rejected: two sentences the splitter left joined ("10 Gbit/s. In October, ..."), which
    # must each be cited. Never a sentence because of an abbreviation, an initial, a decimal or an ellipsis.
    assert len(rejected) <= 0.01 * len(sentences), rejected[:5]
    joined = re.compile(r"[A-Za-z0-9)\"]\.{1,2}(?::[\d,]+)? ?[A-Z\"]|\.\s*\.\.\.|[a-z]\.\.$")  # or a typo ("..")
    whole_words = re.compile(r"(?:(?<=[ (\"'\u201c])|^)(?:(?:" + "|".join(re.escape(a) for a in ABBREVIATIONS)
                             + r")\.|[A-Z]\.(?:[A-Z][a-z]{0,3}\.)*)")
    unexplained = [s for s in rejected if not joined.search(whole_words.sub("X", s))]
    assert not unexplained, unexplained[:3]


def test_the_seed_articles_sentences_fit() -> None:
    sentences = _real_sentences([parse_file(SEED)[0].text])
    assert len(sentences) > 10
    assert all(accepts(f"{s} [1]") for s in sentences), [s for s in sentences if not accepts(f"{s} [1]")]


def test_wikipedia_sentences_fit() -> None:
    data = json.loads(dataset(XQUAD).read_text(encoding="utf-8"))["data"]
    sentences = _real_sentences([p["context"] for article in data for p in article["paragraphs"]])
    assert len(sentences) > 1000
    dotted = [s for s in sentences if _DOTTED.search(s)]
    assert len(dotted) > 50  # abbreviations, initials, decimals and ellipses are really there
    _check(sentences)


@pytest.mark.parametrize("sentence", [
    "The highway that has a junction at Cairo Junction is U.S. Route 51.",
    "J. R. R. Tolkien wrote The Hobbit in 1937.",
    "Dr. Smith of Acme Inc. said No. 5 was the best... by far.",
    "U.S. troops left at 5 p.m. on Friday, according to Rev. Paul T. Stallsworth.",
    "The U.K. economy grew 0.5 percent, to $1,000.25 per head.",
    "Brown v. Board of Education, e.g. in Topeka, changed schools et al. forever.",
    "Visit example.com for a.k.a. the full list.",
    '"Stop!" he said, and left.',
    "It was never quite finished...",
    'Gandhi told the court, "I am here to . . . submit cheerfully to the highest penalty", and pleaded guilty.',
])
def test_sentences_with_dots_inside_fit(sentence: str) -> None:
    assert accepts(f"{sentence} [1]") and accepts(f"{sentence} [1][2]")
    assert split_answer(f"{sentence} [1]", 2) == [(sentence, [1])]  # and the parser keeps it whole


def test_every_sentence_still_needs_its_citation() -> None:
    assert not accepts("Paris is the capital.")
    assert not accepts("Paris is the capital. Berlin is too. [1]")  # two sentences: each needs its own
    assert not accepts("Paris is the capital [1].")
    assert not accepts("Paris is the capital. [4]", n_passages=3)
    assert accepts("I don't know.")


WORDS = st.sampled_from(["the", "river", "Paris", "grew", "by", "in", "mayor", "said", "Route", "42", "3.5",
                         "1,200", "U.S.", "U.K.", "J.", "R.", "Dr.", "Inc.", "No.", "p.m.", "e.g.", "al.", "..."])


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=14))
def test_generated_sentences_with_dots_inside_fit(words: list[str]) -> None:
    sentence = "The " + " ".join(words).replace(" ...", "...") + " today."
    assert accepts(f"{sentence} [2]")


def test_llama_cpp_parses_the_grammar() -> None:
    pytest.importorskip("llama_cpp")
    from assistant.backends.llama import parse_grammar

    for n in (1, 4, 9):
        assert parse_grammar(citation_grammar(n)) is not None
