"""Passages and a question to a checked `Answer`: the ask chain as one LangChain Runnable (`chain.py`),
the refusal policy (`policy.py`: answer, partial or refuse, and why; the rules for a sentence that does not
answer what was asked in `relevance.py`), the prompts and the token budget
(`prompting.py`), the keep / re-cite / drop assembly (`compose.py`), the extractive answerer (`extractive.py`), citation
markers, the citation grammar and spans (`citations.py`), reported speech kept attributed
(`attribution.py`). Whether a sentence is supported is asked of `assistant.verify`."""
