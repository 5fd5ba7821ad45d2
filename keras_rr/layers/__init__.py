"""keras_rr.layers."""
