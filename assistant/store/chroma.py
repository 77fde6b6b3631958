"""Open the Chroma collection: embedded (`PersistentClient` under `data_dir/chroma`) or on a server
(`HttpClient` when `ASSISTANT_CHROMA_URL` is set), the same collection either way.

The collection remembers the embedder that built it (`embedding_model`, `dimension`); opening it with
another is a `ConfigError`, so vectors of two models never mix. A store that cannot be reached is a
`BackendUnavailable` that says so. Reading and writing chunks is `index.py`'s job.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from assistant.errors import BackendUnavailable, ConfigError
from assistant.settings import StoreSettings


def open_collection(settings: StoreSettings, embedding_name: str, dimension: int) -> Any:
    """The chunk collection (created when missing), refused when another embedder built it."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_url:
            u = urlparse(settings.chroma_url)
            if not u.hostname:
                raise ConfigError(f"ASSISTANT_CHROMA_URL={settings.chroma_url!r} is not a URL like http://127.0.0.1:8000")
            client: Any = chromadb.HttpClient(host=u.hostname, port=u.port or (443 if u.scheme == "https" else 8000),
                                              ssl=u.scheme == "https", settings=chroma_settings)
        else:
            client = chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
        collection = client.get_or_create_collection(
            settings.collection, embedding_function=None,
            metadata={"hnsw:space": "cosine", "embedding_model": embedding_name, "dimension": dimension},
        )
    except ConfigError:
        raise
    except Exception as exc:
        where = settings.chroma_url or settings.chroma_dir
        raise BackendUnavailable(f"could not open the Chroma store at {where} ({exc}); "
                                 "is the server running (`chroma run`)?") from exc
    meta = collection.metadata or {}
    if meta.get("embedding_model") not in (None, embedding_name) or meta.get("dimension") not in (None, dimension):
        raise ConfigError(f"the index in {settings.data_dir} was built with {meta.get('embedding_model')!r}, "
                          f"not {embedding_name!r}; use another ASSISTANT_DATA_DIR or ASSISTANT_COLLECTION")
    return collection
