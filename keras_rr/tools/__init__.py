"""Command-line tools: `python -m keras_rr.tools.<name>`."""
