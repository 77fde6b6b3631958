"""Messages to prompt tokens with a GGUF's own chat template, exactly as llama-cpp-python's chat
completion formats them (its Jinja2 formatter, then `tokenize` with special tokens). Used where the
project evaluates prompts itself: the side contexts (`side.py`) and prompt-lookup decoding
(`lookup.py`). The formatter is built once per loaded model. `reusable_prefix` is how many of a
context's evaluated tokens a new prompt can keep; `fixed_prefix`, how many are the same whatever the
last message says (the judge's anchor, `side.py`).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

_FORMATTERS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def prompt_tokens(llama: Any, messages: Sequence[dict[str, str]]) -> list[int]:
    """The tokens the chat completion would evaluate for `messages` (the template, the reply's start)."""
    if llama not in _FORMATTERS:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        model, eos, bos = llama._model, llama.token_eos(), llama.token_bos()
        _FORMATTERS[llama] = Jinja2ChatFormatter(template=llama.metadata["tokenizer.chat_template"],
                                                 eos_token=model.token_get_text(eos) if eos != -1 else "",
                                                 bos_token=model.token_get_text(bos) if bos != -1 else "")
    result = _FORMATTERS[llama](messages=list(messages))
    tokens = llama.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)
    return [int(t) for t in tokens]


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens `a` and `b` share."""
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def reusable_prefix(held: Sequence[int], tokens: Sequence[int]) -> int:
    """How many leading `tokens` a context holding `held` need not evaluate again: their common prefix,
    less the prompt's last token, which is evaluated again for its scores."""
    return min(common_prefix(held, tokens), len(tokens) - 1)


def fixed_prefix(llama: Any, messages: Sequence[dict[str, str]], tokens: Sequence[int]) -> int:
    """How many leading `tokens` (the prompt for `messages`) stay the same whatever the last message says:
    the earlier messages and the last one's template text before its content (two stand-in contents
    tell where the content starts)."""
    *earlier, last = messages
    return min(common_prefix(tokens, prompt_tokens(llama, [*earlier, {**last, "content": stand_in}]))
               for stand_in in ("0", "1"))
