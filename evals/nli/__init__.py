"""Loaders for the labelled premise/claim pair data in the shared `nli/` folder (see its README.md).

Every loader takes the nli root folder (the parent of `counts.json`, as `sources.NLI` resolves it) and
returns `pairs.Pair`s with a binary label: 1 = the premise supports the claim, 0 = it does not, mapped
exactly as the README's label column says. `pair_type` is "<dataset>:supported" or
"<dataset>:unsupported"; `group` is "<dataset>:<id of the source document or claim>", and pairs whose
premises are identical always share a group (groups linked by a shared premise are merged into the
smallest id), so a split by group never puts one premise on both sides. Claim-centred sets (FEVER-NLI,
VitaminC, FactCG, Factcheck-GPT) are grouped by claim, so a claim's positive and negative evidence stay
together; PAWS and MRPC groups also merge on a shared second sentence.

- `VALIDATION`: benchmark-only sets (never train on them). The SummaC export counts as three datasets
  (factcc, xsumfaith, summeval). QAGS is loaded at sentence level (qags_cnndm, qags_xsum): premise =
  article, claim = one summary sentence, label = the majority of its three yes/no votes (the README's
  summary-level counts are a different unit). SummEdits is one dataset over its five domains (the domain
  is the first part of the group id). LFQA answer sentences without a majority label are excluded,
  as are GO FIGURE's 'too incoherent' summaries. The LFQA premise is the question's evidence documents:
  human documents for `gpt3_whudoc`, WebGPT documents for the other five files, the no-document answers
  included (they are judged against the WebGPT documents). `anli_test` is ANLI R1-R3 test (CC BY-NC).
- `TRAINING`: the README's training candidates. Several have research-only or unstated terms (MRPC,
  RTE) or are LLM output (FactCG): check the README before shipping weights. SNLI is lightly
  detokenised (quotes, clitics, spaces before punctuation). MRPC contributes its positives only
  (paraphrase -> supported, first sentence as premise); its 0s are not safely "unsupported".
  Other text is kept as published (FEVER-NLI premises stay tokenised).
- `NON_COMMERCIAL_TRAINING`: ANLI R1-R3 dev and SICK (A -> B). Never use them for shipped weights;
  `NON_COMMERCIAL` names every non-commercial dataset, and none of them is in `TRAINING`.

Cleaning is deliberately light: line endings normalised and whitespace stripped (claims have runs of
whitespace collapsed), GO FIGURE's `<br/>` and SAMSum's `</s>` turn markers removed. A record whose
premise or claim is empty is skipped. A (premise, claim) pair that occurs more than once in a dataset
(compared with whitespace collapsed) is kept once; if its copies disagree on the binary label, all of
them are dropped. `loader(root, dedupe=False)` keeps every record, which is what `counts.json` counts.
Files are read in place (FRANK's tar.gz through `tarfile`, nothing extracted).

Not done here: no model, no tokenisation, no truncation of long premises (WiCE evidence runs to ~94k
characters), no train/validation split (see `pairs.split`), no de-duplication across datasets (the
summarisation sets share CNN/DM and XSum articles), and no download: a missing file raises.

Submodules: `io` (file readers, label mapping, cleaning, `dedupe`, the pair collector, `Loader`),
`validation` (the `VALIDATION` loaders and ANLI), `training` (the `TRAINING` loaders, SICK and
`detokenize`). This module holds the registries and `load`, and re-exports the public names.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from evals.nli.io import Loader, dedupe
from evals.nli.training import detokenize, docnli, factcg_cg2c, mrpc, paws, rte, sick, snli, vitaminc
from evals.nli.validation import (
    anli,
    begin,
    cliff,
    factcheck_gpt,
    falke,
    frank,
    gofigure,
    lfqa,
    q2,
    qags,
    summac,
    summedits,
    tofueval,
    wice,
)
from evals.pairs import Pair

__all__ = [
    "NON_COMMERCIAL",
    "NON_COMMERCIAL_TRAINING",
    "TRAINING",
    "VALIDATION",
    "Loader",
    "begin",
    "cliff",
    "dedupe",
    "detokenize",
    "factcg_cg2c",
    "factcheck_gpt",
    "falke",
    "frank",
    "gofigure",
    "lfqa",
    "load",
    "mrpc",
    "paws",
    "q2",
    "rte",
    "sick",
    "snli",
    "summedits",
    "tofueval",
    "vitaminc",
    "wice",
]

NON_COMMERCIAL = frozenset({"anli_dev", "anli_test", "sick"})


VALIDATION: dict[str, Loader] = {
    "factcc": summac("factcc"),
    "xsumfaith": summac("xsumfaith"),
    "summeval": summac("summeval"),
    "frank": frank,
    "qags_cnndm": qags("cnndm"),
    "qags_xsum": qags("xsum"),
    "cliff": cliff,
    "summedits": summedits,
    "tofueval": tofueval,
    "wice": wice,
    "lfqa": lfqa,
    "factcheck_gpt": factcheck_gpt,
    "begin": begin,
    "q2": q2,
    "falke": falke,
    "gofigure": gofigure,
    "anli_test": anli("test"),
}

TRAINING: dict[str, Loader] = {
    "factcg_cg2c": factcg_cg2c,
    "fever_nli": docnli("fever_nli", "docnli_binary_fever_nli", by_claim=True),
    "mnli": docnli("mnli", "docnli_binary_mnli", by_claim=False),
    "snli": snli,
    "rte": rte,
    "vitaminc": vitaminc,
    "paws": paws,
    "mrpc": mrpc,
}

NON_COMMERCIAL_TRAINING: dict[str, Loader] = {
    "anli_dev": anli("dev"),
    "sick": sick,
}

_REGISTRIES = {"validation": VALIDATION, "training": TRAINING, "non_commercial_training": NON_COMMERCIAL_TRAINING}


def load(root: Path, names: Iterable[str] | None = None, which: str = "validation",
         dedupe: bool = True) -> dict[str, list[Pair]]:
    """The named datasets (all of `which` when None) of one registry: "validation", "training" or
    "non_commercial_training"."""
    if which not in _REGISTRIES:
        raise ValueError(f"which must be one of {sorted(_REGISTRIES)}, not {which!r}")
    registry = _REGISTRIES[which]
    wanted = list(registry) if names is None else list(names)
    unknown = [n for n in wanted if n not in registry]
    if unknown:
        raise KeyError(f"not in {which}: {unknown}; known: {sorted(registry)}")
    return {name: registry[name](root, dedupe=dedupe) for name in wanted}
