"""The models behind the product, built from `Settings`: sentence embedders (`embedding.py`) and chat
models, local llama.cpp with its citation guide or an OpenAI-compatible server (`models.py`). The only
place backend names appear."""
