"""The Gradio chat UI: the app's wiring (`app.py`), escaped HTML and Markdown export (`render.py`),
safe uploads, listing and deleting documents (`corpus.py`). Rendering only; answers come from
`Assistant`. Gradio is imported when the app is built, not here."""
