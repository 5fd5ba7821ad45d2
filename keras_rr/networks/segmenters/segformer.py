"""KerasHub SegFormer (`SegFormerImageSegmenter`) on a Mix Transformer, from a config or a preset.

KerasHub is imported inside the function, so `import keras_rr` never needs it.
"""

from keras_rr.networks.backbones.mit import MIT_VARIANTS
from keras_rr.networks.backbones.mit import mit_config
from keras_rr.networks.segmenters import presets


def segformer_mit(num_classes, variant="b0", image_size=512, preset=None, backbone_preset=None,
                  projection_filters=None):
    """KerasHub SegFormer with a Mix Transformer (MiT) encoder.

    As `deeplab_v3_plus_resnet`: from an explicit config (random weights, `variant`), a
    MiT backbone preset under the SegFormer head (`backbone_preset`, e.g.
    `"mit_b0_ade20k_512"`) or a whole SegFormer task preset (`preset`, e.g.
    `"segformer_b0_ade20k_512"`).

    Args:
        num_classes: int. Number of classes.
        variant: str. MiT size of the explicit config: `"b0"`, `"b1"` or `"b2"`.
            Defaults to `"b0"`.
        image_size: int or None. Square input size (None with a preset: the preset's).
            Defaults to `512`.
        preset: str or None. A whole SegFormer task preset. Defaults to `None`.
        backbone_preset: str or None. A MiT backbone preset. Defaults to `None`.
        projection_filters: int or None. Decoder width; None: SegFormer's (256 for
            B0/B1, 768 for larger encoders). Unused with `preset`. Defaults to `None`.

    Returns:
        A `keras_hub.models.SegFormerImageSegmenter` with random weights (explicit
        config), or with a preset a `keras_rr.models.NormalizedSegmenter` around one
        (`.inner`) taking 0-255 RGB images.

    Example:

    >>> segmenter = segformer_mit(150, "b0", image_size=512)
    >>> segmenter = segformer_mit(150, backbone_preset="mit_b0_ade20k_512", image_size=512)
    """
    import keras_hub

    presets.check_preset_arguments(preset, backbone_preset)
    if preset is not None:
        return presets.segmenter_from_preset(
            preset, num_classes, image_size, task_class=keras_hub.models.SegFormerImageSegmenter
        )
    if backbone_preset is None and variant not in MIT_VARIANTS:
        raise ValueError(f"`variant` must be one of {sorted(MIT_VARIANTS)}. Received: variant={variant!r}")
    encoder, normalization = presets.resolve_encoder(
        None, backbone_preset, lambda: keras_hub.models.MiTBackbone(**mit_config(variant, image_size)),
        image_size, ("P1", "P2", "P3", "P4"),
    )
    # SegFormer's decoder width: 256 for B0/B1 (8 blocks), 768 for larger encoders.
    projection = 256 if sum(encoder.get_config().get("layerwise_depths") or [0]) <= 8 else 768
    backbone = keras_hub.models.SegFormerBackbone(
        image_encoder=encoder, projection_filters=projection_filters or projection
    )
    segmenter = keras_hub.models.SegFormerImageSegmenter(backbone=backbone, num_classes=num_classes)
    return presets.with_normalization(segmenter, normalization)
