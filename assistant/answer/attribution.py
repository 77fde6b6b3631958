"""Attribution: a party's claim stays that party's claim ("the Chinese Mission said ...").

News evidence is often reported speech: "China says that the facilities are ...", "..., RFE/RL
reported." When an answer sentence restates such a claim as fact, `attribute` repairs it by naming
the speaker from the cited evidence ("According to China, the facilities are ..."). It does not
judge whether the claim is true, and leaves sentences that already attribute alone.

`drop_self_reference` removes the opposite: "According to the passage," (or to a passage's own title or
source), which names no party, only the evidence the citation already points to. Left in, the checker
reads it as a speaker the evidence never names and drops a true sentence.

`same_party` tells whether two speakers are one side ("China", "the Chinese Mission"), so a who-says-what
answer quotes each party once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_VERBS = r"(?:says|said|told|tells|reported|reports|claims|claimed|stated|states|described|describes|noted|notes|added)"
_NOUNS = (r"news|agency|mission|ministry|spokesperson|spokesman|spokeswoman|government|office|officials?|police|"
          r"army|ambassadors?|minister|president|representatives?|envoys?|diplomats?|delegation|embassy")
_PARTY = rf"(?:[Tt]he\s+)?[A-Z][\w’'./-]*(?:\s+(?:of|to|for|the|and|{_NOUNS}|[A-Z][\w’'./-]*)){{0,8}}"
_PATTERNS = [
    re.compile(rf"\baccording to\s+(?P<who>{_PARTY})", re.I),
    re.compile(rf"[,”\"]\s*(?P<who>{_PARTY}?)\s+{_VERBS}\b"),
    re.compile(rf"[,”\"]\s*(?P<who>{_PARTY}?),[^,]{{3,80}},\s+{_VERBS}\b"),  # ...,” Name, his post, told X.
    re.compile(rf"^\W*(?P<who>{_PARTY}?)\s+{_VERBS}\b"),
    re.compile(rf"^\W*(?P<who>{_PARTY}?),[^,]{{3,80}},\s+{_VERBS}\b"),
]
_ATTRIBUTED = re.compile(rf"\b(according to|{_VERBS}|say|claim|describe[sd]?|call(?:s|ed)?|estimate[sd]?|accus\w+)\b",
                         re.I)
_FUNCTION_WORDS = frozenset("the a an it they these this those there its their some many more most several all both "
                            "each every about around nearly over almost in on at by from during after before since "
                            "as an estimated".split())
_BAD_SPEAKERS = frozenset({"he", "she", "they", "it", "we", "i", "the statement", "the"})


_SELF = (r"(?:the\s+)?(?:given\s+|provided\s+|above\s+|cited\s+)?"
         r"(?:passages?|texts?|articles?|sources?|context|snippets?)(?:\s*\[?\d+\]?)?")


def drop_self_reference(sentence: str, names: Sequence[str] = ()) -> str:
    """`sentence` without "According to the passage," / ", according to the article." (or to one of
    `names`: the passages' titles and sources); other attributions stay."""
    who = "|".join([_SELF, *(re.escape(n.strip()) for n in names if n.strip())])
    body = re.sub(rf"^\s*according\s+to\s+(?:{who})\s*,\s*", "", sentence, flags=re.I)
    body = re.sub(rf"\s*,?\s*according\s+to\s+(?:{who})\s*(?=[.!?]?\s*$)", "", body, flags=re.I)
    if body == sentence or not re.search(r"\w", body):
        return sentence
    return body[:1].upper() + body[1:]


def speaker(evidence: str) -> str | None:
    """Who the evidence sentence reports as the source of its claim, if anyone."""
    for pattern in _PATTERNS:
        m = pattern.search(evidence)
        if m:
            who = m.group("who").strip(" ,.“”\"'")
            who = re.sub(r"\s+(on|in|at)\s+[A-Z][a-z]+(\s+\d+)?$", "", who)  # "Xinhua on July 27"
            if who and who.lower() not in _BAD_SPEAKERS and len(who.split()) <= 9:
                return who
    return None


def name_stem(name: str) -> str:
    """A name without its ending: "Russia" and "Russian", "Uyghurs" and "Uyghur" share one."""
    return name[:max(4, len(name) - 2)]


_GENERIC = frozenset(re.findall(r"\w+", _NOUNS)) | {"the", "of", "to", "for", "and"}


def same_party(a: str, b: str) -> bool:
    """Whether two speakers are one party: they share a name, a word ending aside ("China" and "the Chinese
    Mission to the UNOG", "Pisarevich" and "Vadim Pisarevich"); a shared office word ("the Russian Mission",
    "the Chinese Mission") is no shared name."""
    def names(who: str) -> set[str]:
        return {w.lower() for w in re.findall(r"[\w’'./-]+", who) if w.lower() not in _GENERIC}

    def one(x: str, y: str) -> bool:  # "UN" is not "United": a short name only matches itself
        return x == y or (min(len(x), len(y)) >= 4 and (x.startswith(name_stem(y)) or y.startswith(name_stem(x))))

    return any(one(x, y) for x in names(a) for y in names(b))


def is_attributed(sentence: str) -> bool:
    return bool(_ATTRIBUTED.search(sentence))


def attribute(sentence: str, evidence: str) -> str:
    """`sentence`, prefixed with "According to <speaker>," when the evidence is reported speech."""
    who = speaker(evidence)
    if not who or is_attributed(sentence) or who.lower() in sentence.lower():
        return sentence
    body = re.sub(r"^(yes|no)\s*,\s*", "", sentence.strip(), flags=re.I)
    first, _, rest = body.partition(" ")
    if first.lower() in _FUNCTION_WORDS:
        body = f"{first.lower()} {rest}" if rest else first.lower()
    return f"According to {who}, {body}"
