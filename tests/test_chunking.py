from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant import tokens
from assistant.ingest.chunk import chunk_document
from assistant.ingest.parse import make_document
from assistant.text import split_sentences


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def test_sentence_splitter_handles_abbreviations_quotes_and_lines() -> None:
    text = ("Mr. Smith met Dr. Jones in the U.S. on Monday. They talked for 2.5 hours! "
            "“Was it useful?” he asked. J. R. R. Tolkien wrote it.\nA new line starts here")
    assert sentences(text) == [
        "Mr. Smith met Dr. Jones in the U.S. on Monday.", "They talked for 2.5 hours!",
        "“Was it useful?” he asked.", "J. R. R. Tolkien wrote it.", "A new line starts here",
    ]


def test_chunks_reconstruct_the_document_and_respect_the_limit(seed_text: str) -> None:
    doc = make_document(seed_text, "seed.md")
    chunks = chunk_document(doc, 60, tokens.count)
    assert len(chunks) > 5
    for c in chunks:
        assert doc.text[c.char_start:c.char_end] == c.text
        assert tokens.count(c.text) <= 60
        assert c.sentences[0][0] == c.char_start and c.sentences[-1][1] == c.char_end
        for a, b in c.sentences:
            assert doc.text[a:b].strip() == doc.text[a:b] != ""
    # chunks are in order, do not overlap, and every sentence is covered
    assert all(a.char_end <= b.char_start for a, b in pairwise(chunks))
    inside = {i for c in chunks for a, b in c.sentences for i in range(a, b)}
    assert all(i in inside for i, ch in enumerate(doc.text) if not ch.isspace())


def test_long_sentence_is_cut_at_words() -> None:
    doc = make_document("word " * 400 + "end.", "long.txt")
    chunks = chunk_document(doc, 50, tokens.count)
    assert len(chunks) >= 8
    assert all(tokens.count(c.text) <= 50 and doc.text[c.char_start:c.char_end] == c.text for c in chunks)
    assert chunks[-1].text.endswith("end.")


def test_chunks_fit_the_embedding_model(seed_text: str) -> None:
    """Chunks are within tiktoken's limit and the embedding model's own max sequence."""
    from assistant.backends import models
    from assistant.ingest.incremental import chunk_for_model
    from assistant.settings import Settings

    emb = models.embeddings(Settings())
    doc = make_document(seed_text + "\n\n" + ("Zxqv-" * 600), "seed.md")
    for c in chunk_for_model(doc, 300, emb):
        assert emb.count_tokens(c.text) <= emb.max_seq_length
        assert tokens.count(c.text) <= 300


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([*"ab .!?\n“”’M", "Dr.", "U.S.", "  ", "Word", "9"]), max_size=200).map("".join),
       st.integers(min_value=2, max_value=40))
def test_property_offsets_always_reconstruct(text: str, limit: int) -> None:
    if not text.strip():
        return
    doc = make_document(text, "x.txt")
    chunks = chunk_document(doc, limit, tokens.count)
    assert chunks
    for c in chunks:
        assert c.text and doc.text[c.char_start:c.char_end] == c.text
        assert tokens.count(c.text) <= limit
    joined = "".join(ch for ch in doc.text if not ch.isspace())
    assert "".join(ch for c in chunks for ch in c.text if not ch.isspace()) == joined


def test_estimated_packing_matches_counting_every_run(seed_text: str) -> None:
    """The fast path (a run = its sentences' counts + one per gap) cuts where exact counting would."""
    from assistant.ingest.chunk import _cut_long, _pack

    texts = [seed_text, seed_text.replace(". ", ".\n"), "In 2024 prices rose. 35 firms left.\n\n“Why?” he asked. " * 30,
             "Prices rose.\t\t" * 3 + "\nFirms left the city today.", "A b.\xa0\xa0C d.\n\xa0\n\u3000\nE f. " * 20]
    for text in texts:
        for limit in (20, 24, 60, 160):
            pieces = [p for a, b in split_sentences(text) for p in _cut_long(text, a, b, limit, tokens.count)]
            assert _pack(text, pieces, limit, tokens.count, estimate=True) == \
                _pack(text, pieces, limit, tokens.count, estimate=False)


def test_a_byline_at_the_end_is_no_passage_of_its_own(seed_text: str) -> None:
    """The seed's last line ("Times of Central Asia") joins the chunk before it; a last paragraph too
    long to be a byline stays a chunk of its own."""
    doc = make_document(seed_text, "seed.md")
    chunks = chunk_document(doc, 160, tokens.count)
    assert chunks[-1].text.endswith("Times of Central Asia") and tokens.count(chunks[-1].text) > 20
    assert all(tokens.count(c.text) <= 160 for c in chunks)
    body = "The council met again on Monday and heard the report of the committee in full. " * 5
    tail = "Reporting by the Geneva bureau, with more on the council's week, its votes and the governments' reactions."
    doc = make_document(f"{body.strip()}\n\n{tail}", "t.txt")
    assert [c.text[:9] for c in chunk_document(doc, 120, tokens.count)] == ["The counc", "Reporting"]
