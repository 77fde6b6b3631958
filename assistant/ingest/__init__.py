"""Files to indexed chunks: parse (`parse.py`, `extract.py`), chunk (`chunk.py`), fold near-duplicates
(`dedup.py`), and the incremental, crash-safe ingest that embeds and writes them (`incremental.py`).
Nothing here answers questions."""
