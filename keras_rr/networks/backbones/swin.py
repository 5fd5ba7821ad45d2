"""The Swin Transformer sizes, as KerasHub `SwinTransformerBackbone` arguments."""

from keras_rr import validation

# variant: (embed_dim, depths, num_heads, window_size): the Swin paper's / KerasHub
# presets' `swin_{tiny,small,base}_patch4_window7_224` and `swin_base_patch4_window12_384`
# (the window of mmseg's `upernet_swin_base_patch4_window12_*` configs, the RR paper's
# Swin-B); "micro" is no published size: a 64-px smoke-test encoder (window 2 divides
# every stage map, 16, 8, 4, 2).
SWIN_VARIANTS = {
    "tiny": (96, (2, 2, 6, 2), (3, 6, 12, 24), 7),
    "small": (96, (2, 2, 18, 2), (3, 6, 12, 24), 7),
    "base": (128, (2, 2, 18, 2), (4, 8, 16, 32), 7),
    "base_window12": (128, (2, 2, 18, 2), (4, 8, 16, 32), 12),
    "micro": (8, (1, 1, 1, 1), (1, 1, 2, 2), 2),
}


def swin_config(variant="tiny", image_size=512):
    """The `keras_hub.models.SwinTransformerBackbone` arguments of a Swin size.

    Args:
        variant: str. One of `SWIN_VARIANTS`. Defaults to `"tiny"`.
        image_size: int. Square input size. Defaults to `512`.

    Returns:
        A dict: `keras_hub.models.SwinTransformerBackbone(**swin_config("tiny"))` is a
        random Swin-T.

    Example:

    >>> swin_config("base_window12")["window_size"]
    12
    """
    variant = validation.check_choice(variant, tuple(SWIN_VARIANTS), "variant")
    embed_dim, depths, num_heads, window_size = SWIN_VARIANTS[variant]
    return {
        "image_shape": (image_size, image_size, 3),
        "embed_dim": embed_dim,
        "depths": depths,
        "num_heads": num_heads,
        "window_size": window_size,
    }
