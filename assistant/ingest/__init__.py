"""Files to indexed chunks: parse (`parse.py`, `extract.py`), chunk (`chunk.py`), and the incremental,
crash-safe ingest that embeds them and writes them to the store (`incremental.py`). Nothing here
answers questions."""
