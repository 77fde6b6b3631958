"""An evaluated prompt kept on disk: the local model's state after the answer prompt's fixed part.

Every answer prompt starts with the same system prompt and worked example (~430 tokens). A fresh process
evaluated them before its first answer: 4.0 s on 2 cores. `restore` loads the context's state after them
from a file under the cache dir instead (12 MB, 16 ms); `save` writes it after they were evaluated once.

One file per model and context shape (model file, its size and time, llama-cpp-python's version, the
context size and KV cache types): the file records the tokens it holds, and a file for other tokens (the
prompt files changed) is not loaded, and is replaced at the next `save`. Written to a temporary name and
renamed, so a process never loads a half-written file; a cache dir that cannot be written only means the
next process evaluates the prompt again. What it does not do: cache anything but one
prompt's prefix, or share state between processes at run time.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def path_for(llama: Any, folder: Path) -> Path:
    """The state file of this model and context shape in `folder`."""
    import llama_cpp

    stat = os.stat(llama.model_path)
    params = llama.context_params
    shape = (os.path.realpath(llama.model_path), stat.st_size, stat.st_mtime_ns, llama_cpp.__version__,
             params.n_ctx, params.type_k, params.type_v, getattr(params, "flash_attn_type", None))
    return folder / f"{hashlib.sha256(repr(shape).encode()).hexdigest()[:24]}.state"


def restore(llama: Any, path: Path, tokens: Sequence[int]) -> bool:
    """Load the state after `tokens` from `path` into `llama`'s context; False (context emptied) when the
    file is missing, unreadable, or holds other tokens."""
    import llama_cpp

    if not path.is_file():
        return False
    held = (llama_cpp.llama_token * llama.n_ctx())()
    count = ctypes.c_size_t(0)
    ok = llama_cpp.llama_state_load_file(llama.ctx, str(path).encode(), held, len(held), ctypes.byref(count))
    if ok and list(held[:count.value]) == list(tokens):
        llama.input_ids[:count.value] = tokens
        llama.n_tokens = count.value
        llama._requires_eval = True  # the scores are not a live decode's: the next call replays a token
        return True
    llama.reset()
    llama._ctx.kv_cache_seq_rm(-1, 0, -1)
    return False


def save(llama: Any, path: Path, tokens: Sequence[int]) -> bool:
    """Write the context's state after `tokens` (which it must hold first) to `path`, atomically; False
    when the folder cannot be written (a read-only cache: the next process evaluates the prompt again)."""
    import llama_cpp

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError as exc:
        log.info("prompt state not saved in %s: %s", path.parent, exc)
        return False
    os.close(fd)
    try:
        held = (llama_cpp.llama_token * len(tokens))(*tokens)
        if llama_cpp.llama_state_save_file(llama.ctx, tmp.encode(), held, len(tokens)):
            os.replace(tmp, path)
            return True
        return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
