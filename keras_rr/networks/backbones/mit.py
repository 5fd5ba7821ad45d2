"""The Mix Transformer (MiT, SegFormer's encoder) sizes, as KerasHub `MiTBackbone` arguments."""

from keras_rr import validation

# variant: (depths, hidden dims, SegFormer decoder width), from the SegFormer paper.
MIT_VARIANTS = {
    "b0": ([2, 2, 2, 2], [32, 64, 160, 256], 256),
    "b1": ([2, 2, 2, 2], [64, 128, 320, 512], 256),
    "b2": ([3, 4, 6, 3], [64, 128, 320, 512], 768),
}


def mit_config(variant="b0", image_size=512):
    """The `keras_hub.models.MiTBackbone` arguments of a SegFormer MiT encoder.

    Args:
        variant: str. `"b0"`, `"b1"` or `"b2"` (the SegFormer paper's depths and widths;
            heads 1, 2, 5, 8; reduction ratios 8, 4, 2, 1; stochastic depth 0.1).
            Defaults to `"b0"`.
        image_size: int or None. Square input size. Defaults to `512`.

    Returns:
        A dict: `keras_hub.models.MiTBackbone(**mit_config("b0", 512))` is a random MiT-B0.

    Example:

    >>> mit_config("b1", 512)["hidden_dims"]
    [64, 128, 320, 512]
    """
    variant = validation.check_choice(variant, tuple(MIT_VARIANTS), "variant")
    depths, dims, _ = MIT_VARIANTS[variant]
    return {
        "layerwise_depths": list(depths),
        "num_layers": 4,
        "layerwise_num_heads": [1, 2, 5, 8],
        "layerwise_sr_ratios": [8, 4, 2, 1],
        "max_drop_path_rate": 0.1,
        "layerwise_patch_sizes": [7, 3, 3, 3],
        "layerwise_strides": [4, 2, 2, 2],
        "hidden_dims": list(dims),
        "image_shape": (image_size, image_size, 3),
    }
