"""The one `Settings` object: every knob, read from arguments or `ASSISTANT_*` environment variables.

This is the only module that reads the environment. Everything else receives a `Settings`, or the
group of it that it needs: `settings.embedder`, `.store`, `.ingest`, `.retrieve`, `.policy`, `.llm`,
`.answer`, `.evaluation` (frozen views, as paper-qa nests its settings). Each field belongs to a group
(`GROUPS`; a test checks that none is left out), and a running assistant rebuilds a part exactly when
its group changed. The variables stay flat (`ASSISTANT_LLM_BACKEND`, not `ASSISTANT_LLM__BACKEND`).
All state lives under `data_dir`; model files assembled from packages live under `cache_dir`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LLMBackend = Literal["local", "openai", "extractive"]
LLM_BACKENDS: tuple[str, ...] = get_args(LLMBackend)
ServerGrammar = Literal["off", "llama.cpp", "vllm"]


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "research-assistant"


G = TypeVar("G", bound="Group")


class Settings(BaseSettings):
    """Configuration. Pass keyword arguments or set `ASSISTANT_<NAME>` (e.g. `ASSISTANT_LLM_BACKEND`)."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", frozen=True, extra="forbid", allow_inf_nan=False)

    # Where state lives
    data_dir: Path = Field(
        default=Path(".assistant-data"), description="All state: index, documents, manifest, uploads."
    )
    cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Model files assembled from packages, and the local model's evaluated prompt state.")
    chroma_url: str = Field(
        default="", description="Chroma server URL (e.g. http://127.0.0.1:8000); empty: embedded store in data_dir."
    )
    collection: str = Field(default="passages", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,50}[A-Za-z0-9]$",
                            description="Chroma collection name: each collection is an independent corpus.")

    # Ingest
    embedding_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="'all-MiniLM-L6-v2' (packaged) or a local sentence-transformers directory.",
    )
    chunk_tokens: int = Field(default=160, ge=16, le=2048, description="Maximum tiktoken tokens per chunk.")
    embedding_backend: Literal["onnx-int8", "onnx", "torch"] = Field(
        default="onnx-int8",
        description="'onnx-int8' (ONNX Runtime, int8 weights: ~2x faster), 'onnx' (fp32) or 'torch' "
        "(sentence-transformers). An index keeps the vectors of the backend that built it.",
    )
    embed_batch_size: int = Field(default=8, ge=1, description="Texts per embedding batch (sorted by length).")
    max_file_mb: float = Field(
        default=50.0, gt=0, description="Files (ingested or uploaded) over this many MiB are refused, never read.",
    )

    # Retrieval and refusal
    k: int = Field(default=4, ge=1, le=50, description="Passages given to the answerer.")
    retrieval: Literal["hybrid", "dense", "keyword"] = Field(
        default="hybrid", description="'hybrid' (dense + BM25, fused by reciprocal rank), 'dense' or 'keyword'."
    )
    candidates: int = Field(
        default=30, ge=1, le=500, description="Candidates each retriever contributes before fusion."
    )
    rerank: bool = Field(default=True, description="Rerank fused candidates before taking the top k.")
    recency_half_life_days: float = Field(
        default=0.0, ge=0.0, description="Favour recent articles: weight halves every N days (0: off)."
    )
    reranker_model: str = Field(
        default="", description="A local cross-encoder directory to rerank with; empty: the built-in feature reranker."
    )
    mmr_lambda: float = Field(
        default=0.8, ge=0.0, le=1.0, description="Relevance vs diversity in the final pick (1.0: no diversity)."
    )
    min_score: float = Field(
        default=0.4, description="Refuse without calling the model when no passage reaches this cosine similarity..."
    )
    min_relevance: float = Field(
        default=0.8,
        description="...and none reaches this reranker probability (together on XQuAD: 1% false refusals, "
        "88% of unanswerable questions refused; 0.5 suffices for a passage holding the question's acronyms).",
    )

    # Generation
    llm_backend: LLMBackend = Field(
        default="local",
        description="'local' (embedded GGUF model), 'openai' (any OpenAI-compatible server) or 'extractive' (no LLM).",
    )
    llm_model: str = Field(
        default="",
        description="Model name for 'openai'; for 'local', a .gguf path (empty: the packaged Qwen2.5-1.5B-Instruct).",
    )
    llm_base_url: str = Field(
        default="", description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 for Ollama."
    )
    llm_api_key: str = Field(default="", description="API key for 'openai' (any string for local servers).")
    llm_server_grammar: ServerGrammar = Field(
        default="off",
        description="How the 'openai' server takes the citation grammar (with constrain_citations): 'llama.cpp' "
        "(llama.cpp's llama-server or llama-cpp-python's server: request field `grammar`; the answer cap is sent "
        "as `max_tokens` too), 'vllm' (`structured_outputs: {grammar}`, vLLM 0.10.2+; older vLLM took "
        "`guided_grammar`, which 0.12 removed and ignores) or 'off' (OpenAI, Ollama, others: no grammar).",
    )
    llm_threads: int = Field(default=0, ge=0, description="CPU threads for the local model (0: the cores other "
                             "work leaves free, measured before each answer; a busy core would stall every thread).")
    llm_context: int = Field(default=4096, ge=512, description="Context window of the local model, in tokens.")
    llm_gpu_layers: int = Field(default=0, ge=-1, description="Layers of the local model offloaded to a GPU "
                                "(-1: all; needs a llama-cpp-python built with CUDA/Metal; 0: CPU only).")
    llm_lookup_tokens: int = Field(default=3, ge=0, le=16, description="Prompt-lookup decoding for the local "
                                   "model: up to this many tokens guessed from the prompt are checked in each step "
                                   "(greedy only; the same answer, faster when it copies its passages). 0: off.")
    llm_flash_attention: bool = Field(default=False, description="Flash attention in the local model: prompts "
                                      "evaluated ~9% faster on a 2-core CPU, but 3% of greedy answers come out "
                                      "different from those the eval measured (docs/benchmarks.md).")
    max_answer_tokens: int = Field(default=256, ge=16)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    constrain_citations: bool = Field(
        default=True,
        description="Constrain decoding with a grammar so every sentence ends with [n] markers (the local model; "
        "an 'openai' server when llm_server_grammar says how).",
    )
    second_opinion: bool = Field(
        default=True,
        description="Ask the chat model about sentences the grounding checker scores borderline (paraphrase); "
                    "a number the evidence lacks or a negation flip is never overruled.",
    )
    second_try: bool = Field(
        default=True,
        description="When the checker rejects every statement of the model's answer, show the model its rejected "
                    "answer and ask once more from the passages; the second answer is checked the same way. "
                    "A refused answer that repeats the question's description of a thing is answered in two "
                    "steps: the thing named first, then the question about it. An answer that named the "
                    "article's publisher, which only the passage header gives, is asked afresh from headers that "
                    "name none.",
    )
    show_unsupported: bool = Field(
        default=False,
        description="Keep sentences the sources do not support, marked '(unsupported)', instead of dropping them.",
    )
    prompt_budget: int = Field(
        default=1400, ge=200, description="tiktoken tokens for the numbered passages in the prompt."
    )
    passage_tokens: int = Field(
        default=0, ge=0, description="Show the model each passage cut to its best-matching run of sentences "
        "within this many tokens (0: whole passages); answers are still checked against the whole passages. "
        "90 makes the local model's whole answer ~0.8x as long on 2 cores but refuses more answerable "
        "questions (docs/benchmarks.md).",
    )

    # Evaluation (`assistant eval`)
    eval_data: Path | None = Field(
        default=None, description="A folder of public eval datasets (xquad/xquad.en.json, rgb/en_fact.json, ...); "
        "empty: the cache, then a pinned download; a dataset found nowhere is skipped.",
    )
    eval_download: bool = Field(
        default=True, description="Let `assistant eval` download missing datasets from their pinned sources.",
    )

    @field_validator("data_dir", "cache_dir", "eval_data", mode="before")
    @classmethod
    def _expand(cls, v: str | Path | None) -> Path | None:
        return None if v is None or str(v) == "" else Path(v).expanduser()

    def group(self, name: str) -> Group:
        """The frozen view of one group of fields (see `GROUPS`)."""
        return self._view(GROUPS[name])

    def _view(self, cls: type[G]) -> G:
        return cls(**{f: getattr(self, f) for f in cls.model_fields})

    def changed_groups(self, other: Settings) -> set[str]:
        """Names of the groups whose values differ between `self` and `other`."""
        return {name for name in GROUPS if self.group(name) != other.group(name)}

    @property
    def embedder(self) -> EmbedderSettings:
        return self._view(EmbedderSettings)

    @property
    def store(self) -> StoreSettings:
        return self._view(StoreSettings)

    @property
    def ingest(self) -> IngestSettings:
        return self._view(IngestSettings)

    @property
    def retrieve(self) -> RetrieveSettings:
        return self._view(RetrieveSettings)

    @property
    def policy(self) -> PolicySettings:
        return self._view(PolicySettings)

    @property
    def llm(self) -> LLMSettings:
        return self._view(LLMSettings)

    @property
    def answer(self) -> AnswerSettings:
        return self._view(AnswerSettings)

    @property
    def evaluation(self) -> EvalSettings:
        return self._view(EvalSettings)


class Group(BaseModel):
    """A frozen view of some `Settings` fields, with the same names."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class EmbedderSettings(Group):
    embedding_model: str
    embedding_backend: str
    embed_batch_size: int
    cache_dir: Path


class StoreSettings(Group):
    data_dir: Path
    chroma_url: str
    collection: str

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def scope(self) -> str:
        """A file-name-safe name for this store's local state: the collection, and the server if any
        (each collection is its own corpus; caches of two servers never mix)."""
        if not self.chroma_url:
            return self.collection
        server = re.sub(r"[^A-Za-z0-9.-]+", "_", self.chroma_url.split("://", 1)[-1]).strip("_")
        return f"{self.collection}@{server}"

    @property
    def store_path(self) -> Path:
        """The embedded document store (the default collection keeps the original file name)."""
        name = "documents" if self.collection == "passages" else f"documents-{self.collection}"
        return self.data_dir / f"{name}.sqlite3"

    @property
    def keyword_dir(self) -> Path:
        """The keyword index's cache (rebuilt from the store whenever it is stale)."""
        return self.data_dir / ("bm25" if self.scope == "passages" else f"bm25-{self.scope}")

    @property
    def lock_path(self) -> Path:
        """The write lock: one per embedded store (all its collections), one per server collection."""
        return self.data_dir / ("write.lock" if not self.chroma_url else f"write-{self.scope}.lock")


class IngestSettings(Group):
    chunk_tokens: int
    max_file_mb: float

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 2**20)


class RetrieveSettings(Group):
    k: int
    retrieval: str
    candidates: int
    rerank: bool
    recency_half_life_days: float
    reranker_model: str
    mmr_lambda: float


class PolicySettings(Group):
    min_score: float
    min_relevance: float


class LLMSettings(Group):
    llm_backend: str
    llm_model: str
    llm_base_url: str
    llm_api_key: str
    llm_server_grammar: str
    llm_threads: int
    llm_context: int
    llm_gpu_layers: int
    llm_lookup_tokens: int
    llm_flash_attention: bool
    max_answer_tokens: int
    temperature: float
    cache_dir: Path


class AnswerSettings(Group):
    constrain_citations: bool
    second_opinion: bool
    second_try: bool
    show_unsupported: bool
    prompt_budget: int
    passage_tokens: int


class EvalSettings(Group):
    eval_data: Path | None
    eval_download: bool


GROUPS: dict[str, type[Group]] = {
    "embedder": EmbedderSettings, "store": StoreSettings, "ingest": IngestSettings, "retrieve": RetrieveSettings,
    "policy": PolicySettings, "llm": LLMSettings, "answer": AnswerSettings, "evaluation": EvalSettings,
}


def load_settings(**values: object) -> Settings:
    """`Settings(**values)` (and the environment), with an invalid value reported as one readable `ConfigError`
    that names the variable: "ASSISTANT_K: Input should be a valid integer ... (got 'abc')"."""
    from pydantic import ValidationError

    from assistant.errors import ConfigError

    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(f"ASSISTANT_{'.'.join(map(str, e['loc'])).upper()}: {e['msg']} (got {e['input']!r})"
                             for e in exc.errors())
        raise ConfigError(f"invalid setting {problems}") from exc


def settings_table() -> str:
    """The Markdown table of settings in the README (a test keeps the two equal)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, f in Settings.model_fields.items():
        default = "" if f.default_factory is not None or f.default is None else f.default
        if name == "cache_dir":
            default = "~/.cache/research-assistant"
        rows.append(f"| `ASSISTANT_{name.upper()}` | `{default}` | {f.description or ''} |")
    return "\n".join(rows)
