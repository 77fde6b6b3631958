"""Passages and a question to a checked `Answer`: the prompt and the extractive answerer, sentence
assembly and the keep / re-cite / drop decision (`compose.py`), citation markers and spans
(`citations.py`), reported speech kept attributed (`attribution.py`), planted instructions never counted
as evidence (`injection.py`). Whether a sentence is supported is asked of `assistant.verify`."""
