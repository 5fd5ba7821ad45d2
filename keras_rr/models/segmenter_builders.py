"""Segmenters built from explicit configs (presets would fetch configs from the network).

- `deeplab_v3_plus_resnet`, `segformer_mit`, `small_fcn`: one builder per model family;
  `keras_rr.models.resnet_c.deeplab_v3_plus_resnet_c` is the paper's DeepLabV3+ (dilated
  ResNet-c, output stride 8), `deeplab_v3_plus_resnet` KerasHub's own (7x7 stem, output
  stride 32).
- `build_segmenter(model_config, num_classes)`: the builder named by a config's `model`
  section (`MODEL_NAMES`), with the optional encoder / whole-model weights loaded.

KerasHub is imported inside the functions, so `import keras_rr` never needs it.
"""

from keras_rr import validation
from keras_rr.models.resnet_c import deeplab_v3_plus_resnet_c

_RESNET_DEPTHS = {
    # depth: (block type, blocks per stage)
    18: ("basic_block", [2, 2, 2, 2]),
    34: ("basic_block", [3, 4, 6, 3]),
    50: ("bottleneck_block", [3, 4, 6, 3]),
    101: ("bottleneck_block", [3, 4, 23, 3]),
}

_MIT_VARIANTS = {
    # variant: (depths, hidden dims, projection filters), from the SegFormer paper.
    "b0": ([2, 2, 2, 2], [32, 64, 160, 256], 256),
    "b1": ([2, 2, 2, 2], [64, 128, 320, 512], 256),
    "b2": ([3, 4, 6, 3], [64, 128, 320, 512], 768),
}


def deeplab_v3_plus_resnet(num_classes, depth=50, image_size=512, activation=None):
    """KerasHub's own DeepLabV3+ (`DeepLabV3ImageSegmenter` with the P2 decoder) on a ResNet.

    This is KerasHub's network, not the paper's: a ResNet with a single 7x7 stem
    convolution and no dilation, ASPP (dilations 6, 12, 18) on `P5` at output stride 32,
    the 1/4 `P2` low-level decoder. The paper's mmsegmentation DeepLabV3+ (ResNet-c,
    dilated to output stride 8) is `keras_rr.models.resnet_c.deeplab_v3_plus_resnet_c`
    (config name `"deeplab_v3_plus_resnet_c"`).

    Args:
        num_classes: int. Number of classes.
        depth: int. ResNet depth: 18, 34, 50 or 101. Defaults to `50`.
        image_size: int. Square input size. Defaults to `512`.
        activation: str or None. Output activation of the segmenter. Defaults to `None`
            (logits).

    Returns:
        A `keras_hub.models.DeepLabV3ImageSegmenter` with random weights.

    Example:

    >>> segmenter = deeplab_v3_plus_resnet(150, depth=50, image_size=512)
    """
    import keras_hub

    if depth not in _RESNET_DEPTHS:
        raise ValueError(f"`depth` must be one of {sorted(_RESNET_DEPTHS)}. Received: depth={depth}")
    block_type, blocks = _RESNET_DEPTHS[depth]
    encoder = keras_hub.models.ResNetBackbone(
        input_conv_filters=[64],
        input_conv_kernel_sizes=[7],
        stackwise_num_filters=[64, 128, 256, 512],
        stackwise_num_blocks=blocks,
        stackwise_num_strides=[1, 2, 2, 2],
        block_type=block_type,
        image_shape=(image_size, image_size, 3),
    )
    backbone = keras_hub.models.DeepLabV3Backbone(
        image_encoder=encoder,
        low_level_feature_key="P2",
        spatial_pyramid_pooling_key="P5",
        upsampling_size=8,
        dilation_rates=[6, 12, 18],
        image_shape=(image_size, image_size, 3),
    )
    return keras_hub.models.DeepLabV3ImageSegmenter(
        backbone=backbone, num_classes=num_classes, activation=activation
    )


def segformer_mit(num_classes, variant="b0", image_size=512):
    """KerasHub SegFormer with a Mix Transformer encoder of the given size.

    Args:
        num_classes: int. Number of classes.
        variant: str. `"b0"`, `"b1"` or `"b2"`. Defaults to `"b0"`.
        image_size: int. Square input size. Defaults to `512`.

    Returns:
        A `keras_hub.models.SegFormerImageSegmenter` with random weights.

    Example:

    >>> segmenter = segformer_mit(150, "b0", image_size=512)
    """
    import keras_hub

    if variant not in _MIT_VARIANTS:
        raise ValueError(f"`variant` must be one of {sorted(_MIT_VARIANTS)}. Received: variant={variant!r}")
    depths, dims, projection = _MIT_VARIANTS[variant]
    encoder = keras_hub.models.MiTBackbone(
        layerwise_depths=depths,
        num_layers=4,
        layerwise_num_heads=[1, 2, 5, 8],
        layerwise_sr_ratios=[8, 4, 2, 1],
        max_drop_path_rate=0.1,
        layerwise_patch_sizes=[7, 3, 3, 3],
        layerwise_strides=[4, 2, 2, 2],
        hidden_dims=dims,
        image_shape=(image_size, image_size, 3),
    )
    backbone = keras_hub.models.SegFormerBackbone(image_encoder=encoder, projection_filters=projection)
    return keras_hub.models.SegFormerImageSegmenter(backbone=backbone, num_classes=num_classes)


def small_fcn(num_classes, image_size=64, width=32, name="small_fcn"):
    """A small BatchNorm-free encoder-decoder CNN for CPU demos and tests.

    Two strided conv stages, a context conv and a decoder conv at 1/4 resolution,
    a 1x1 classifier and a bilinear upsampling back to the input size.

    Args:
        num_classes: int. Number of classes.
        image_size: int or None. Square input size (None for any size). Defaults to `64`.
        width: int. Channels of the decoder features. Defaults to `32`.
        name: str. Model name. Defaults to `"small_fcn"`.

    Returns:
        A functional `keras.Model` whose decoder features are the layer `"decoder"`.

    Example:

    >>> segmenter = small_fcn(12, image_size=64)
    """
    import keras

    inputs = keras.Input((image_size, image_size, 3), name="images")
    x = keras.layers.Rescaling(1.0 / 255.0, name="rescale")(inputs)
    x = keras.layers.Conv2D(width // 2, 3, strides=2, padding="same", activation="relu", name="stem")(x)
    x = keras.layers.Conv2D(width, 3, strides=2, padding="same", activation="relu", name="stage2")(x)
    x = keras.layers.Conv2D(width, 3, padding="same", dilation_rate=2, activation="relu", name="context")(x)
    x = keras.layers.Conv2D(width, 3, padding="same", activation="relu", name="decoder")(x)
    x = keras.layers.Conv2D(num_classes, 1, name="classifier")(x)
    outputs = keras.layers.UpSampling2D(4, interpolation="bilinear", name="upsample")(x)
    return keras.Model(inputs, outputs, name=name)


# `model.name` in a config -> (builder, the `model` fields it takes).
SEGMENTER_BUILDERS = {
    "deeplab_v3_plus_resnet": (deeplab_v3_plus_resnet, ("depth", "image_size")),  # KerasHub's, OS 32
    "deeplab_v3_plus_resnet_c": (deeplab_v3_plus_resnet_c, ("depth", "image_size")),  # the paper's, OS 8
    "segformer_mit": (segformer_mit, ("variant", "image_size")),
    "small_fcn": (small_fcn, ("image_size", "width")),
}
MODEL_NAMES = tuple(SEGMENTER_BUILDERS)


def build_segmenter(model_config, num_classes):
    """Builds the segmenter named by a config's `model` section (logits out).

    Fields the builder takes but the section leaves out (or sets to None) keep the
    builder's default.

    Args:
        model_config: the config's `model` section, an `ml_collections.ConfigDict` or a
            dict: `name` (one of `MODEL_NAMES`), `image_size`, `depth` (ResNet),
            `variant` (MiT), `width` (small FCN), and optionally `encoder_weights` (a
            `.weights.h5` file of the encoder, `segmenter.backbone.image_encoder` of a
            KerasHub segmenter or the layer `"image_encoder"` of
            `deeplab_v3_plus_resnet_c`, which loads a KerasHub `ResNetBackbone`'s file,
            e.g. ImageNet-pretrained, as the paper uses) and `init_weights` (a
            `.weights.h5` file of the whole segmenter), loaded in that order.
        num_classes: int. Number of classes.

    Returns:
        A `keras.Model` with random weights unless weights are named.

    Example:

    >>> segmenter = build_segmenter({"name": "small_fcn", "image_size": 64}, num_classes=12)
    >>> segmenter = build_segmenter(config.model, num_classes=150)  # a config's section
    """
    name = validation.check_choice(model_config["name"], tuple(SEGMENTER_BUILDERS), "model.name")
    num_classes = validation.check_num_classes(num_classes)
    builder, fields = SEGMENTER_BUILDERS[name]
    kwargs = {field: model_config.get(field) for field in fields if model_config.get(field) is not None}
    segmenter = builder(num_classes, **kwargs)
    if model_config.get("encoder_weights"):
        encoder = getattr(getattr(segmenter, "backbone", None), "image_encoder", None)
        if encoder is None and any(layer.name == "image_encoder" for layer in segmenter.layers):
            encoder = segmenter.get_layer("image_encoder")  # deeplab_v3_plus_resnet_c
        if encoder is None:
            raise ValueError(
                "`model.encoder_weights` needs a segmenter with an image encoder (a KerasHub "
                "segmenter's `backbone.image_encoder` or a layer named 'image_encoder'). "
                f"Received: model.name={name!r}"
            )
        encoder.load_weights(model_config["encoder_weights"])
    if model_config.get("init_weights"):
        segmenter.load_weights(model_config["init_weights"])
    return segmenter
