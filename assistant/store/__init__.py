"""Where chunks live: the SQLite document store, manifest and intent journal beside the Chroma vectors
(`index.py`), and opening the Chroma collection, embedded or on a server (`chroma.py`). It stores and
looks up; it does not parse, embed or rank."""
