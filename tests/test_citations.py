from hypothesis import given
from hypothesis import strategies as st

from assistant.answer.citations import parse_markers, resolve, split_answer, strip_markers
from assistant.domain import Passage
from assistant.text import split_sentences


def test_marker_forms() -> None:
    assert parse_markers("A [1].", 3) == [1]
    assert parse_markers("A [1][2].", 3) == [1, 2]
    assert parse_markers("A [1, 2] and [3].", 3) == [1, 2, 3]
    assert parse_markers("A [2-3].", 3) == [2, 3]
    assert parse_markers("See [Passage 2] and [source 1].", 3) == [2, 1]


def test_out_of_range_and_repeated_ids_are_dropped() -> None:
    assert parse_markers("A [0] [4] [7, 1] [1] [1].", 3) == [1]
    assert parse_markers("no markers, just [text] and [x1]", 3) == []


def test_split_answer_attaches_markers_to_their_sentence() -> None:
    text = "The letter had 50 signatories [1]. It was sent on July 12. [2][9] Nothing else [3]"
    assert split_answer(text, 3) == [("The letter had 50 signatories.", [1]),
                                     ("It was sent on July 12.", [2]), ("Nothing else", [3])]
    assert strip_markers("Hi [1] there [2, 3].") == "Hi there."


@given(st.text(alphabet=st.sampled_from(list("[]0123456789,- abc.")), max_size=80), st.integers(0, 5))
def test_property_parser_never_crashes_or_goes_out_of_range(text: str, n: int) -> None:
    ids = parse_markers(text, n)
    assert all(1 <= i <= n for i in ids) and len(ids) == len(set(ids))
    for sentence, cited in split_answer(text, n):
        assert all(1 <= i <= n for i in cited)
        assert "[" not in sentence or not parse_markers(sentence, n)


def test_resolve_picks_the_sentence_that_supports_the_claim() -> None:
    doc = "Intro words here. Ambassadors from 50 countries co-signed a letter. The weather was fine."
    start = 6
    text = doc[start:]
    sentences = tuple(split_sentences(doc, start))
    assert len(sentences) == 3
    p = Passage(chunk_id="d:6-89", doc_id="d", text=text, char_start=start, char_end=start + len(text), score=0.9,
                sentences=sentences, title="T")
    c = resolve(1, "How many countries co-signed? 50 countries co-signed.", p)
    assert (c.char_start, c.char_end) == sentences[1]
    assert c.quote == doc[c.char_start:c.char_end] == "Ambassadors from 50 countries co-signed a letter."


class _ByteTokenizer:
    """Stands in for llama.cpp's tokenizer in the logits processor: one token per byte."""

    def tokenize(self, data: bytes, add_bos: bool = False, special: bool = False) -> list[int]:
        return list(data)

    def detokenize(self, ids: list[int]) -> bytes:
        return bytes(int(i) for i in ids)


def test_citation_guide_masks_passages_that_do_not_support_the_sentence() -> None:
    """After `[`, only the digits the checker allows stay open; real checker, real passages."""
    import numpy as np

    from assistant.answer.compose import supporting
    from assistant.backends.guide import CitationGuide

    passages = [
        Passage("a:0-60", "a", "The bridge was opened in 1932 by the mayor of the town.", 0, 60, 0.9),
        Passage("b:0-60", "b", "Tesla died on 7 January 1943 in a New York hotel room.", 0, 60, 0.8),
    ]
    asked: list[str] = []

    def guide(sentence: str) -> set[int]:
        asked.append(sentence)
        return supporting(sentence, passages, None)

    tok = _ByteTokenizer()
    proc = CitationGuide(tok, guide)
    prompt = list(b"<prompt>")
    proc(np.array(prompt), np.zeros(256))  # the first call sees the prompt
    ids = prompt + list(b"Tesla died on 7 January 1943. [")
    scores = proc(np.array(ids), np.zeros(256))
    assert asked == ["Tesla died on 7 January 1943."]
    assert scores[ord("2")] == 0 and scores[ord("1")] == -np.inf and scores[ord("3")] == -np.inf
    # mid-sentence tokens are left alone; a second sentence is judged on its own
    assert not np.isinf(proc(np.array(ids[:-3]), np.zeros(256))).any()
    ids += list(b"2] The bridge was opened in 1932. [")
    scores = proc(np.array(ids), np.zeros(256))
    assert asked[-1] == "The bridge was opened in 1932."
    assert scores[ord("1")] == 0 and scores[ord("2")] == -np.inf
    # a second marker on the same sentence reuses the verdict
    ids += list(b"1][")
    scores = proc(np.array(ids), np.zeros(256))
    assert len(asked) == 2 and scores[ord("2")] == -np.inf


def test_an_articles_header_is_given_once_in_the_prompt() -> None:
    from assistant.answer.citations import number_passages

    meta = {"title": "Bridge reopens [2]", "source": "Gazette", "date": "2024-01-02"}
    ps = [Passage("a:0-10", "a", "First part.", 0, 10, 0.9, **meta),
          Passage("b:0-10", "b", "Other story.", 0, 10, 0.8, title="Other"),
          Passage("a:20-30", "a", "Second part.", 20, 30, 0.7, **meta)]
    block = number_passages(ps)
    assert block == ("[1] (Bridge reopens (2), Gazette, 2024-01-02)\nFirst part.\n\n"
                     "[2] (Other)\nOther story.\n\n"
                     "[3] (same article as passage 1)\nSecond part.")
