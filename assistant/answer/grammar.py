"""The answer format for constrained decoding: a GBNF grammar for llama.cpp (`citation_grammar`) and the
same format as a Python regular expression (`accepts`), both built from one table of pieces
(`_PIECES`), so what the tests check is what the model is held to.

The format: "I don't know." or up to `max_sentences` sentences, each ending with a full stop and its
markers: "Paris is the capital. [1]". After a sentence's full stop the only way on is " [n]": when the
model wants to stop, it must first say which passage it used. A full stop that does not end a sentence
is allowed where real text has one: inside numbers (3.5, 1,000.25), after initials (J. R. R. Tolkien,
U.S., U.K.), after common abbreviations (Dr., Inc., No. 5, a.m., e.g.), in an ellipsis ("...", ". . ."), before a
lower-case letter or a digit (example.com, "a.k.a. the"); "!" and "?" only inside quotes ("Stop!" he
said). Abbreviations and initials count only as whole words ("capital." is not "al."). It does not stop
the model from ending a sentence early by choice; it only never forces it to.
"""

from __future__ import annotations

import re

ABBREVIATIONS = ("Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Gen", "Gov", "Sen", "Rep", "Lt", "Col", "Capt", "Sgt",
                 "Jr", "Sr", "Inc", "Ltd", "Co", "Corp", "Bros", "No", "Nos", "Vol", "vs", "etc", "approx", "Jan",
                 "Feb", "Mar", "Apr", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "Mt", "Ft", "Ave", "a.m", "p.m",
                 "e.g", "i.e", "al", "v", "Rev", "Hon", "Fr", "Pres", "Dept", "Univ", "ca", "cf", "Ph.D")

_ABBR = ("(" + " | ".join(f'"{a}"' for a in ABBREVIATIONS) + ') "."',
         "(?:" + "|".join(re.escape(a) for a in ABBREVIATIONS) + r")\.")
_INITIALS = (r'[A-Z] "." ([A-Z] [a-z]{0,3} ".")*', r"[A-Z]\.(?:[A-Z][a-z]{0,3}\.)*")  # J. / U.S. / M.Div.
_SEP = ("[ (\"'\u201C]", "[ (\"'\u201c]")  # what comes before a whole word inside a sentence
# name: (GBNF, Python regex). A piece of sentence body is any one of these, repeated.
_PIECES = {
    "char": (r"[^.!?\[\]\n0-9]", r"[^.!?\[\]\n0-9]"),
    "num": (r'[0-9]+ ([.,] [0-9]+)*', r"[0-9]+(?:[.,][0-9]+)*"),
    "abbr": (f"{_SEP[0]} {_ABBR[0]}", f"{_SEP[1]}{_ABBR[1]}"),
    "initial": (f"{_SEP[0]} {_INITIALS[0]}", f"{_SEP[1]}{_INITIALS[1]}"),
    "inner": (r'"." " "? [a-z0-9]', r"\. ?[a-z0-9]"),
    # ".." before the closing full stop: "... [1]"; spaced as quotations cut it: "I am here to . . . submit"
    "ellipsis": (r'"..." | ".." | ". ." (" ." | " ")', r"\.\.\.?|\. \.(?: \.| )"),
    "quoted": ("[!?] [\"'\u201D]", "[!?][\"'\u201d]"),
}
_OPEN = ("[A-Z0-9\"'(\u201C]", "[A-Z0-9\"'(\u201c]")


def citation_grammar(n_passages: int, max_sentences: int = 4) -> str:
    """The GBNF grammar: every answer sentence ends with `[n]` markers (1 <= n <= n_passages)."""
    if not 1 <= n_passages <= 9:
        raise ValueError("citation_grammar supports 1 to 9 passages")
    more = max(0, max_sentences - 1)
    rules = [f'root ::= "I don\'t know." | sent (" " sent){{0,{more}}}',
             f'sent ::= (open | {_INITIALS[0]} | {_ABBR[0]}) body "." cites',
             f'cites ::= " [" [1-{n_passages}] "]" ("[" [1-{n_passages}] "]"){{0,2}}',
             f"open ::= {_OPEN[0]}",
             "body ::= (" + " | ".join(_PIECES) + ")*"]
    rules += [f"{name} ::= {gbnf}" for name, (gbnf, _) in _PIECES.items()]
    return "\n".join(rules) + "\n"


def _sentence(n_passages: int) -> str:
    body = "(?:" + "|".join(regex for _, regex in _PIECES.values()) + ")*"
    first = f"(?:{_OPEN[1]}|{_INITIALS[1]}|{_ABBR[1]})"
    return rf"{first}{body}\. \[[1-{n_passages}]\](?:\[[1-{n_passages}]\]){{0,2}}"


def accepts(text: str, n_passages: int = 9, max_sentences: int = 4) -> bool:
    """Whether `citation_grammar(n_passages, max_sentences)` allows `text` as a whole answer."""
    sentence = _sentence(n_passages)
    pattern = rf"I don't know\.|{sentence}(?: {sentence}){{0,{max(0, max_sentences - 1)}}}"
    return re.fullmatch(pattern, text) is not None
