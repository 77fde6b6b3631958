"""Where chunks live: the SQLite document store, manifest and intent journal (`documents.py`), the Chroma
vectors, embedded or on a server (`vectors.py`), near-duplicate fingerprints (`dedup.py`), and the
`Index` that keeps them in step, crash-safe (`index.py`). It stores and looks up; it does not parse,
embed or rank."""
