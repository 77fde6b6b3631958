"""The embedders: ONNX Runtime (int8 default, fp32) agrees with sentence-transformers on real text."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant
from assistant.backends.embedding import OnnxEmbeddings, TorchEmbeddings, onnx_file
from assistant.backends.models import embedding_model_path
from assistant.errors import ConfigError
from assistant.text import split_sentences
from tests.conftest import CORPUS


@pytest.fixture(scope="module")
def model_dir() -> str:
    return embedding_model_path("all-MiniLM-L6-v2")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def sentences(seed_text_module: str) -> list[str]:
    return [seed_text_module[a:b] for a, b in split_sentences(seed_text_module)]


@pytest.fixture(scope="module")
def seed_text_module() -> str:
    from assistant.ingest.parse import parse_file

    return parse_file(CORPUS / "ambassadors-un-xinjiang.md")[0].text


def test_onnx_matches_sentence_transformers(model_dir: str, cache: Path, sentences: list[str]) -> None:
    texts = [*sentences, "x", "word " * 400]  # tiny and over the model's 256-token limit (truncated alike)
    ref = np.asarray(TorchEmbeddings(model_dir).embed_documents(texts))
    fp32 = np.asarray(OnnxEmbeddings(model_dir, cache, quantize=False).embed_documents(texts))
    int8_model = OnnxEmbeddings(model_dir, cache, quantize=True)
    int8 = np.asarray(int8_model.embed_documents(texts))
    assert ref.shape == fp32.shape == int8.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    assert (ref * fp32).sum(1).min() > 0.9999  # the same network
    assert (ref * int8).sum(1).min() > 0.97  # int8 weights: close, not equal
    # the order texts are embedded in (sorted by length inside) does not change a vector
    single = np.asarray(int8_model.embed_query(texts[3]))
    assert np.allclose(single, int8[3], atol=1e-4)


def test_int8_ranks_passages_like_fp32(model_dir: str, cache: Path, sentences: list[str]) -> None:
    queries = ["Who is Chen Xu?", "How many people were detained in Xinjiang according to the UN?",
               "How many countries' ambassadors visited?"]
    ref, int8 = TorchEmbeddings(model_dir), OnnxEmbeddings(model_dir, cache)
    for q in queries:
        top_ref = np.argsort(-np.asarray(ref.embed_documents(sentences)) @ np.asarray(ref.embed_query(q)))[:3]
        top_q = np.argsort(-np.asarray(int8.embed_documents(sentences)) @ np.asarray(int8.embed_query(q)))[:3]
        assert top_ref[0] == top_q[0], q
        assert set(top_ref) & set(top_q) >= {top_ref[0]}


def test_token_counts_and_limits_match(model_dir: str, cache: Path, sentences: list[str]) -> None:
    ref, onnx = TorchEmbeddings(model_dir), OnnxEmbeddings(model_dir, cache)
    assert onnx.max_seq_length == ref.max_seq_length == 256
    for s in [*sentences[:8], "word " * 400]:
        assert onnx.count_tokens(s) == ref.count_tokens(s)


def test_export_is_cached_and_atomic(model_dir: str, cache: Path) -> None:
    first = onnx_file(Path(model_dir), cache, quantize=True)
    stamp = first.stat().st_mtime_ns
    assert onnx_file(Path(model_dir), cache, quantize=True) == first
    assert first.stat().st_mtime_ns == stamp  # not exported again
    assert not list((cache / "onnx").glob("*.tmp"))
    # int8 MatMul weights; the (gathered, not multiplied) token embedding table stays fp32
    assert first.stat().st_size < 0.7 * onnx_file(Path(model_dir), cache, quantize=False).stat().st_size


def test_unsupported_model_layout_is_a_clear_error(model_dir: str, cache: Path, tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    modules = json.loads((copy / "modules.json").read_text())
    modules.append({"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"})
    (copy / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(ConfigError, match="EMBEDDING_BACKEND=torch"):
        OnnxEmbeddings(str(copy), cache)


def test_an_index_never_mixes_int8_and_fp32_vectors(tmp_path: Path) -> None:
    Assistant(tmp_path, llm_backend="extractive", embedding_backend="torch").ingest([CORPUS], progress=False)
    with pytest.raises(ConfigError, match=r"all-MiniLM-L6-v2\+int8"):
        Assistant(tmp_path, llm_backend="extractive").index  # noqa: B018
    # fp32 ONNX computes the same vectors as PyTorch, so it shares the index
    answer = Assistant(tmp_path, llm_backend="extractive", embedding_backend="onnx").ask("Who is Chen Xu?")
    assert answer.citations


def test_counting_first_then_embedding_gives_the_same_vectors(model_dir: str, cache: Path,
                                                              sentences: list[str]) -> None:
    """Ingest counts a chunk's tokens, then embeds it: the kept encoding must be the one embedding uses."""
    texts = [*sentences[:6], "word " * 400]  # the last is over the limit: never kept, truncated when embedded
    fresh = OnnxEmbeddings(model_dir, cache).embed_array(texts)
    counted = OnnxEmbeddings(model_dir, cache)
    assert [counted.count_tokens(t) > counted.max_seq_length for t in texts] == [False] * 6 + [True]
    assert np.array_equal(counted.embed_array(texts), fresh)


def test_torch_counts_stay_right_while_another_thread_embeds(model_dir: str, sentences: list[str]) -> None:
    """Ingest counts on one thread while another embeds; the count must never see the embedder's truncation."""
    import threading

    model = TorchEmbeddings(model_dir)
    long_text = "word " * 400
    expected = model.count_tokens(long_text)
    assert expected > model.max_seq_length
    stop = threading.Event()

    def embed() -> None:
        while not stop.is_set():
            model.embed_array([long_text, *sentences[:3]])

    worker = threading.Thread(target=embed)
    worker.start()
    try:
        counts = [model.count_tokens(long_text) for _ in range(1500)]
    finally:
        stop.set()
        worker.join()
    assert set(counts) == {expected}
