"""Segmenters built from explicit configs or KerasHub presets.

- `deeplab_v3_plus_resnet`, `segformer_mit`, `small_fcn`: one builder per model family;
  `keras_rr.models.resnet_c.deeplab_v3_plus_resnet_c` is the paper's DeepLabV3+ (dilated
  ResNet-c, output stride 8), `deeplab_v3_plus_resnet` KerasHub's own (7x7 stem, output
  stride 32). The KerasHub families also build from a backbone preset under our head
  (`backbone_preset=`) or from a whole-task preset (`preset=`,
  `keras_rr.models.presets.segmenter_from_preset`); these come back as a
  `keras_rr.models.NormalizedSegmenter` taking 0-255 RGB images, the preset's image
  converter normalisation inside.
- `uper_net_resnet_c`, `uper_net_swin`, `uper_net_mit` (`keras_rr.models.uper_net`) and
  `psp_net_resnet_c` (`keras_rr.models.psp_net`): the paper's UPerNet and PSPNet.
- `build_segmenter(model_config, num_classes)`: the builder named by a config's `model`
  section (`MODEL_NAMES`), with its presets and the optional encoder / whole-model
  weights loaded.

KerasHub is imported inside the functions, so `import keras_rr` never needs it.
"""

from keras_rr import validation
from keras_rr.models.psp_net import psp_net_resnet_c
from keras_rr.models.resnet_c import deeplab_v3_plus_resnet_c
from keras_rr.models.uper_net import uper_net_mit
from keras_rr.models.uper_net import uper_net_resnet_c
from keras_rr.models.uper_net import uper_net_swin

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


def deeplab_v3_plus_resnet(num_classes, depth=50, image_size=512, activation=None, preset=None,
                           backbone_preset=None):
    """KerasHub's own DeepLabV3+ (`DeepLabV3ImageSegmenter` with the P2 decoder) on a ResNet.

    This is KerasHub's network, not the paper's: a ResNet with a single 7x7 stem
    convolution and no dilation, ASPP (dilations 6, 12, 18) on `P5` at output stride 32,
    the 1/4 `P2` low-level decoder. The paper's mmsegmentation DeepLabV3+ (ResNet-c,
    dilated to output stride 8) is `keras_rr.models.resnet_c.deeplab_v3_plus_resnet_c`
    (config name `"deeplab_v3_plus_resnet_c"`).

    From an explicit config (random weights, `depth`), from a KerasHub ResNet backbone
    preset under this head (`backbone_preset`: ASPP on P5, low-level features from P2)
    or from a whole KerasHub DeepLabV3 task preset (`preset`, re-headed to
    `num_classes` when its count differs). Presets are names, `kaggle://` / `hf://`
    handles or local directories (`keras_rr.models.presets.resolve_preset`: offline, a
    remote handle fails within seconds).

    Args:
        num_classes: int. Number of classes.
        depth: int. ResNet depth of the explicit config: 18, 34, 50 or 101. Defaults to
            `50`.
        image_size: int or None. Square input size (None with a preset: the preset's).
            Defaults to `512`.
        activation: str or None. Output activation of the segmenter. Defaults to `None`
            (logits).
        preset: str or None. A whole DeepLabV3 task preset, e.g.
            `"deeplab_v3_plus_resnet50_pascalvoc"`. Defaults to `None`.
        backbone_preset: str or None. A ResNet backbone preset, e.g.
            `"resnet_50_imagenet"`. Defaults to `None`.

    Returns:
        A `keras_hub.models.DeepLabV3ImageSegmenter` with random weights (explicit
        config, fed the images as given), or with a preset a
        `keras_rr.models.NormalizedSegmenter` around one (`.inner`) that takes 0-255
        RGB images and normalises them as the preset's image converter does.

    Example:

    >>> segmenter = deeplab_v3_plus_resnet(150, depth=50, image_size=512)
    >>> segmenter = deeplab_v3_plus_resnet(150, backbone_preset="resnet_50_imagenet")
    """
    import keras_hub

    from keras_rr.models import presets

    presets.check_preset_arguments(preset, backbone_preset)
    if preset is not None:
        kwargs = {} if activation is None else {"activation": activation}
        return presets.segmenter_from_preset(
            preset, num_classes, image_size, task_class=keras_hub.models.DeepLabV3ImageSegmenter, **kwargs
        )
    normalization = None
    if backbone_preset is not None:
        encoder, normalization = presets.load_backbone_preset(backbone_preset, image_size, ("P2", "P5"))
    elif depth not in _RESNET_DEPTHS:
        raise ValueError(f"`depth` must be one of {sorted(_RESNET_DEPTHS)}. Received: depth={depth}")
    else:
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
        image_shape=tuple(encoder.inputs[0].shape[1:]),
    )
    segmenter = keras_hub.models.DeepLabV3ImageSegmenter(
        backbone=backbone, num_classes=num_classes, activation=activation
    )
    return presets.with_normalization(segmenter, normalization)


def mit_config(variant="b0", image_size=512):
    """The `keras_hub.models.MiTBackbone` arguments of a SegFormer MiT encoder.

    Args:
        variant: str. `"b0"`, `"b1"` or `"b2"` (the SegFormer paper's depths and widths;
            heads 1, 2, 5, 8; reduction ratios 8, 4, 2, 1; stochastic depth 0.1).
            Defaults to `"b0"`.
        image_size: int or None. Square input size. Defaults to `512`.

    Returns:
        A dict: `keras_hub.models.MiTBackbone(**mit_config("b0", 512))` is a random MiT-B0.
    """
    variant = validation.check_choice(variant, tuple(_MIT_VARIANTS), "variant")
    depths, dims, _ = _MIT_VARIANTS[variant]
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

    from keras_rr.models import presets

    presets.check_preset_arguments(preset, backbone_preset)
    if preset is not None:
        return presets.segmenter_from_preset(
            preset, num_classes, image_size, task_class=keras_hub.models.SegFormerImageSegmenter
        )
    normalization = None
    if backbone_preset is not None:
        encoder, normalization = presets.load_backbone_preset(backbone_preset, image_size, ("P1", "P2", "P3", "P4"))
        # SegFormer's decoder width: 256 for B0/B1 (8 blocks), 768 for larger encoders.
        projection = 256 if sum(encoder.get_config().get("layerwise_depths") or [0]) <= 8 else 768
    elif variant not in _MIT_VARIANTS:
        raise ValueError(f"`variant` must be one of {sorted(_MIT_VARIANTS)}. Received: variant={variant!r}")
    else:
        projection = _MIT_VARIANTS[variant][2]
        encoder = keras_hub.models.MiTBackbone(**mit_config(variant, image_size))
    backbone = keras_hub.models.SegFormerBackbone(
        image_encoder=encoder, projection_filters=projection_filters or projection
    )
    segmenter = keras_hub.models.SegFormerImageSegmenter(backbone=backbone, num_classes=num_classes)
    return presets.with_normalization(segmenter, normalization)


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
    "deeplab_v3_plus_resnet": (  # KerasHub's, output stride 32
        deeplab_v3_plus_resnet, ("depth", "image_size", "preset", "backbone_preset")
    ),
    "deeplab_v3_plus_resnet_c": (  # the paper's, output stride 8
        deeplab_v3_plus_resnet_c, ("depth", "image_size", "backbone_preset", "channels")
    ),
    "psp_net_resnet_c": (psp_net_resnet_c, ("depth", "image_size", "backbone_preset", "channels")),  # the paper's
    "uper_net_resnet_c": (uper_net_resnet_c, ("depth", "image_size", "backbone_preset", "channels")),  # the paper's
    "uper_net_swin": (uper_net_swin, ("variant", "image_size", "backbone_preset", "channels")),
    "uper_net_mit": (uper_net_mit, ("variant", "image_size", "backbone_preset", "channels")),
    "segformer_mit": (segformer_mit, ("variant", "image_size", "preset", "backbone_preset")),
    "small_fcn": (small_fcn, ("image_size", "width")),
}
MODEL_NAMES = tuple(SEGMENTER_BUILDERS)
# `model` fields naming KerasHub presets; a builder takes them when it lists them.
PRESET_FIELDS = ("preset", "backbone_preset")


def check_model_config(model_config):
    """Checks `model.name` and the preset fields of a config's `model` section (no loading).

    Args:
        model_config: `ml_collections.ConfigDict` or dict.

    Returns:
        str: the model name.

    Raises:
        ValueError: an unknown name, a preset field that is not a non-empty string or
            that the named builder does not take (e.g. `small_fcn`), or both set.

    Example:

    >>> check_model_config({"name": "segformer_mit", "preset": "segformer_b0_ade20k_512"})
    'segformer_mit'
    """
    name = validation.check_choice(model_config["name"], tuple(SEGMENTER_BUILDERS), "model.name")
    values = {field: model_config.get(field) for field in PRESET_FIELDS}
    for field, value in values.items():
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise ValueError(
                f"`model.{field}` must be a KerasHub preset name, a kaggle:// or hf:// handle or a "
                f"directory. Received: model.{field}={value!r}"
            )
        if field not in SEGMENTER_BUILDERS[name][1]:
            takers = [n for n, (_, fields) in SEGMENTER_BUILDERS.items() if field in fields]
            raise ValueError(
                f"`model.{field}` is not supported by model.name={name!r} (models taking it: {takers}). "
                f"Received: model.{field}={value!r}"
            )
    from keras_rr.models import presets

    presets.check_preset_arguments(*values.values())
    return name


def build_segmenter(model_config, num_classes):
    """Builds the segmenter named by a config's `model` section (logits out).

    Fields the builder takes but the section leaves out (or sets to None) keep the
    builder's default.

    Args:
        model_config: the config's `model` section, an `ml_collections.ConfigDict` or a
            dict: `name` (one of `MODEL_NAMES`), `image_size`, `depth` (ResNet),
            `variant` (MiT, Swin), `width` (small FCN), `channels` (head width of the
            mmseg heads; unset: their 512); optionally `preset` (a whole KerasHub
            task preset of the named family, re-headed to `num_classes`) or
            `backbone_preset` (a KerasHub backbone preset under the named model's head),
            by name, handle or directory (`keras_rr.models.presets.resolve_preset`); and
            `encoder_weights` (a `.weights.h5` file of the encoder:
            `backbone.image_encoder` of a KerasHub task, or the layer `"image_encoder"` of
            `deeplab_v3_plus_resnet_c`, which loads a KerasHub `ResNetBackbone`'s file,
            e.g. ImageNet-pretrained, as the paper uses) and `init_weights` (a
            `.weights.h5` file of the whole segmenter, as `segmenter.save_weights` writes
            it), loaded in that order.
        num_classes: int. Number of classes.

    Returns:
        A `keras.Model` with random weights unless a preset or weights are named; with a
        preset, a `keras_rr.models.NormalizedSegmenter` taking 0-255 RGB images.

    Example:

    >>> segmenter = build_segmenter({"name": "small_fcn", "image_size": 64}, num_classes=12)
    >>> segmenter = build_segmenter(config.model, num_classes=150)  # a config's section
    >>> segmenter = build_segmenter({"name": "segformer_mit", "image_size": 512,
    ...                              "preset": "segformer_b0_ade20k_512"}, num_classes=150)
    """
    name = check_model_config(model_config)
    num_classes = validation.check_num_classes(num_classes)
    builder, fields = SEGMENTER_BUILDERS[name]
    kwargs = {field: model_config.get(field) for field in fields if model_config.get(field) is not None}
    segmenter = builder(num_classes, **kwargs)
    if model_config.get("encoder_weights"):
        task = getattr(segmenter, "inner", segmenter)  # the model inside a NormalizedSegmenter
        encoder = getattr(getattr(task, "backbone", None), "image_encoder", None)
        if encoder is None and any(layer.name == "image_encoder" for layer in task.layers):
            encoder = task.get_layer("image_encoder")  # deeplab_v3_plus_resnet_c
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
