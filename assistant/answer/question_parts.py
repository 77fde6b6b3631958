"""A question's parts: "Which news agency reported the letter, and what did China's ambassador say?" asks
two things. `split_parts` cuts a question into the questions it joins (several question marks, or "and"
before a new question word), so retrieval can look for each part and the policy can tell which part the
answer left out. It only splits; it does not rewrite a part that leans on another ("... and when?" stays
one question: a part needs two content words of its own).
"""

from __future__ import annotations

import re

from assistant.text import content_words

_ASKS = r"(?:what|who|whom|whose|when|where|which|why|how|did|does|do|is|are|was|were|can|could|has|have)"
_JOIN = re.compile(rf",?\s+and\s+(?={_ASKS}\b)|(?<=\?)\s+(?=\S)|;\s+(?={_ASKS}\b)", re.I)


def split_parts(question: str) -> tuple[str, ...]:
    """The questions `question` joins, each ending with "?" (one part when it asks one thing)."""
    pieces = [p.strip(" ,;") for p in _JOIN.split(question.strip()) if p.strip(" ,;")]
    parts: list[str] = []
    for piece in pieces:
        if parts and len(content_words(piece)) < 2:  # "... and when?": not a question of its own
            parts[-1] = f"{parts[-1].rstrip('?')} and {piece}"
            continue
        parts.append(piece)
    if len(parts) < 2:
        return (question.strip(),)
    return tuple(p[0].upper() + p[1:].rstrip("?. ") + "?" for p in parts)
