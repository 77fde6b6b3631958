"""Prompt-lookup decoding's guesses (`backends/lookup.draft`); the decoding itself runs on the real model in
tests/test_local_model.py."""

from __future__ import annotations

from assistant.backends.lookup import draft


def test_guesses_what_followed_the_longest_recent_match() -> None:
    prompt = [1, 2, 3, 4, 5, 6, 9, 2, 3, 7, 8]
    # the suffix (2, 3) last occurred at 7..8, followed by 7, 8; the three-token suffix (9, 2, 3) never before
    assert draft([*prompt, 0, 2, 3], k=3) == [7, 8, 0]
    # a three-token match wins over a more recent two-token one
    assert draft([*prompt, 4, 5, 0, 4, 5], k=2) == [0, 4]
    assert draft([1, 2, 3, 4, 5, 1, 2, 3], k=2) == [4, 5]


def test_no_guess_without_a_two_token_match_and_never_past_k() -> None:
    assert draft([1, 2, 3, 4, 5, 3], k=4) == []  # one shared token is too weak a hint
    assert draft([5, 6, 1, 2, 3, 4, 5, 6], k=2) == [1, 2]
    assert draft([5, 6, 1, 5, 6], k=8) == [1, 5, 6]  # up to the end of what is there
    assert draft([5, 6], k=4) == [] and draft([], k=4) == []
