"""See `keras_rr.networks` for what this folder holds and may import."""
