"""UPerNet (mmsegmentation's `UPerHead`) on KerasHub ResNet-c, Swin Transformer and MiT encoders.

The RR paper's UPerNet rows (ResNet-50/101, Swin-T, Swin-B) are mmsegmentation's
`upernet_r{50,101}` (ResNetV1c, undilated: output stride 32) and `upernet_swin_*`
configs. The head (`uper_head`) follows mmseg's `UPerHead` layer for layer:

- PPM on the last stage (adaptive average pooling to 1, 2, 3, 6 bins, 1x1
  `ConvModule`s, bilinear resizing back), concatenated with that stage and fused by a
  3x3 `ConvModule` (`psp_bottleneck`, mmseg's `bottleneck`);
- FPN: 1x1 lateral `ConvModule`s on the first three stages, a top-down path adding each
  level, bilinearly resized, to the one below (cumulatively, as mmseg updates
  `laterals` in place), 3x3 `fpn` `ConvModule`s on those three levels;
- the four levels resized to stride 4, concatenated and fused by a 3x3 `ConvModule`
  (`fpn_bottleneck`): the decoder features;
- `SpatialDropout2D(0.1)` (torch's `Dropout2d`), a 1x1 classifier with bias (layer
  `"classifier"`), a 4x bilinear upsampling to the input (layer `"logits_upsampling"`).

Every `ConvModule` is conv without bias -> BatchNorm (momentum 0.9, epsilon 1e-5) ->
ReLU with mmcv's Kaiming fan_out initialisation (`keras_rr.models.conv_module`); all
resizing is half-pixel bilinear (mmseg's `align_corners=False`); width 512.
The stage-3 map is named by the layer `"auxiliary_features"` (stride 16) for the
auxiliary FCN head of mmseg's configs (`keras_rr.models.auxiliary_head`), which is a
training-wrapper branch, not part of this model.

Encoders (`pyramid_encoder`): a KerasHub `ResNetBackbone` (the ResNet-c of
`keras_rr.models.resnet_c`, through `dilated_resnet(..., output_stride=32)`: P2..P5),
a `MiTBackbone` (P1..P4, `keras_rr.models.BackbonePyramid`) or a `SwinTransformerBackbone` (its four stages before patch
merging, `keras_rr.models.SwinTransformerPyramid`, as mmseg's Swin returns them).

Differences from mmsegmentation: BatchNorm is per replica unless synchronised (mmseg:
SyncBN); KerasHub's ResNet-vd is mmseg's ResNetV1d (average-pooling shortcuts, see
`keras_rr.models.resnet_c`); KerasHub's Swin pads a stage map that the window does not
divide *after* its cyclic shift where mmseg pads before (512-px crops with window 7:
128, 64, 32, 16 are padded), so shifted windows differ at the padded borders; the
output is 4 x (H / 4) pixels (the input size for the sizes divisible by 32 that the
encoders need).

KerasHub is imported inside the functions, so `import keras_rr` never needs it.

Reference:
    Xiao et al., "Unified Perceptual Parsing for Scene Understanding", ECCV 2018,
    https://arxiv.org/abs/1807.10221. Liu et al., "Swin Transformer: Hierarchical Vision
    Transformer using Shifted Windows", ICCV 2021, https://arxiv.org/abs/2103.14030.
"""

import keras

from keras_rr import validation
from keras_rr.models.auxiliary_head import mark_auxiliary_features
from keras_rr.models.conv_module import channel_axis
from keras_rr.models.conv_module import classifier
from keras_rr.models.conv_module import conv_module
from keras_rr.models.conv_module import pyramid_pooling_module
from keras_rr.models.resnet_c import RESNET_C_DEPTHS
from keras_rr.models.resnet_c import ResizeLike
from keras_rr.models.resnet_c import dilated_resnet
from keras_rr.models.resnet_c import resnet_c_config

POOL_SCALES = (1, 2, 3, 6)
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
# mmseg's UPerNet Swin configs train with stochastic depth 0.3.
SWIN_DROP_PATH_RATE = 0.3


def _image_shape(image_size):
    if keras.config.image_data_format() == "channels_last":
        return (image_size, image_size, 3)
    return (3, image_size, image_size)


def _rebuilt(backbone, **updates):
    """`backbone` rebuilt from its config with `updates` (same weights), if anything changes."""
    config = backbone.get_config()
    if all(_same(config.get(key), value) for key, value in updates.items()):
        return backbone
    config.update(updates)
    rebuilt = type(backbone).from_config(config)
    rebuilt.set_weights(backbone.get_weights())
    return rebuilt


def _same(a, b):
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return tuple(a) == tuple(b)
    return a == b


def pyramid_encoder(backbone, image_size, name="image_encoder"):
    """A KerasHub backbone as a functional model from images to its four maps (strides 4..32).

    Args:
        backbone: a `keras_hub.models.ResNetBackbone` (post-activation; undilated,
            through `keras_rr.models.dilated_resnet(backbone, output_stride=32)`),
            `MiTBackbone` or `SwinTransformerBackbone` (its stages before patch
            merging, `keras_rr.models.SwinTransformerPyramid`). Weights are shared or
            copied, never re-initialised.
        image_size: int. Square input size (MiT and Swin are rebuilt for it when it
            differs from the backbone's `image_shape`).
        name: str. Model name. Defaults to `"image_encoder"`.

    Returns:
        A functional `keras.Model` from images to a list of four feature maps.

    Example:

    >>> c1, c2, c3, c4 = pyramid_encoder(keras_hub.models.ResNetBackbone(**resnet_c_config(50)), 512)(images)
    """
    import keras_hub

    from keras_rr.models.backbone_pyramid import BackbonePyramid
    from keras_rr.models.swin_transformer_pyramid import SwinTransformerPyramid

    image_shape = _image_shape(image_size)
    if isinstance(backbone, keras_hub.models.ResNetBackbone):
        encoder = dilated_resnet(backbone, output_stride=32, image_shape=image_shape)
        levels = [encoder.output[key] for key in ("P2", "P3", "P4", "P5")]
        return keras.Model(encoder.input, levels, name=name)
    if isinstance(backbone, keras_hub.models.MiTBackbone):
        backbone = _rebuilt(backbone, image_shape=image_shape)
        images = keras.Input(image_shape, name="images")
        levels = BackbonePyramid(backbone, ("P1", "P2", "P3", "P4"), name="mit_pyramid")(images)
        return keras.Model(images, levels, name=name)
    if isinstance(backbone, keras_hub.models.SwinTransformerBackbone):
        backbone = _rebuilt(backbone, image_shape=image_shape)
        images = keras.Input(image_shape, name="images")
        return keras.Model(images, SwinTransformerPyramid(backbone, name="swin_pyramid")(images), name=name)
    raise ValueError(
        "`encoder` must be a KerasHub ResNetBackbone, MiTBackbone or SwinTransformerBackbone. "
        f"Received: encoder={type(backbone).__name__}"
    )


def uper_head(features, num_classes, channels=512, pool_scales=POOL_SCALES, dropout=0.1, data_format=None):
    """mmseg's `UPerHead` on four feature maps (strides 4, 8, 16, 32), to logits at stride 4.

    Also names the stage-3 map `"auxiliary_features"` (see `keras_rr.models.auxiliary_head`).

    Args:
        features: list of four Keras tensors, finest first.
        num_classes: int.
        channels: int. Head width. Defaults to `512`.
        pool_scales: tuple of ints. PPM bins. Defaults to `(1, 2, 3, 6)`.
        dropout: float. Channel dropout before the classifier. Defaults to `0.1`.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.

    Returns:
        The logits Keras tensor at the finest map's resolution.
    """
    data_format = data_format or keras.config.image_data_format()
    axis = channel_axis(data_format)
    features = list(features)
    features[2] = mark_auxiliary_features(features[2])
    laterals = [conv_module(features[i], channels, 1, f"lateral_{i}", data_format) for i in range(3)]
    top = [features[3]] + pyramid_pooling_module(features[3], pool_scales, channels, "psp", data_format)
    top = keras.layers.Concatenate(axis=axis, name="psp_concat")(top)
    laterals.append(conv_module(top, channels, 3, "psp_bottleneck", data_format))
    for i in range(3, 0, -1):
        upper = ResizeLike(data_format=data_format, name=f"top_down_{i}_resize")([laterals[i], laterals[i - 1]])
        laterals[i - 1] = keras.layers.Add(name=f"top_down_{i - 1}_add")([laterals[i - 1], upper])
    outputs = [conv_module(laterals[i], channels, 3, f"fpn_{i}", data_format) for i in range(3)]
    outputs.append(laterals[3])
    for i in range(1, 4):
        outputs[i] = ResizeLike(data_format=data_format, name=f"fpn_{i}_resize")([outputs[i], outputs[0]])
    x = keras.layers.Concatenate(axis=axis, name="fpn_concat")(outputs)
    x = conv_module(x, channels, 3, "fpn_bottleneck", data_format)
    x = keras.layers.SpatialDropout2D(dropout, data_format=data_format, name="dropout")(x)
    return classifier(x, num_classes, data_format)


def uper_net_segmenter(num_classes, encoder, image_size=512, channels=512, pool_scales=POOL_SCALES, dropout=0.1,
             normalization=None, name="uper_net"):
    """UPerNet (mmseg's `UPerHead`, see the module docstring) on a KerasHub encoder.

    Args:
        num_classes: int. Number of classes.
        encoder: a KerasHub `ResNetBackbone`, `MiTBackbone` or `SwinTransformerBackbone`
            (random or from a preset; see `pyramid_encoder`).
        image_size: int. Square input size, a multiple of 32. Defaults to `512`.
        channels: int. Head width (mmseg: 512). Defaults to `512`.
        pool_scales: tuple of ints. PPM bins (mmseg: 1, 2, 3, 6).
        dropout: float. Channel dropout before the classifier (mmseg: 0.1).
        normalization: dict or None. `{"scale", "offset"}` of a preset's image
            converter: the model then comes back as a `keras_rr.models.NormalizedSegmenter`
            taking 0-255 RGB images. Defaults to `None`.
        name: str. Model name. Defaults to `"uper_net"`.

    Returns:
        A functional `keras.Model` from images `(B, H, W, 3)` to logits
        `(B, H, W, num_classes)`; the encoder is its layer `"image_encoder"`, the
        stage-3 map its layer `"auxiliary_features"` (stride 16).

    Example:

    >>> encoder = keras_hub.models.Backbone.from_preset("swin_tiny_patch4_window7_224")
    >>> segmenter = uper_net_segmenter(150, encoder, image_size=512)
    """
    num_classes = validation.check_num_classes(num_classes)
    image_size = validation.check_int(image_size, "image_size", minimum=32)
    if image_size % 32:
        raise ValueError(f"`image_size` must be a multiple of 32. Received: image_size={image_size}")
    channels = validation.check_int(channels, "channels", minimum=1)
    pool_scales = tuple(validation.check_int(s, "pool_scales", minimum=1) for s in pool_scales)
    dropout = validation.check_number(dropout, "dropout", minimum=0.0, maximum=1.0, max_inclusive=False)
    image_encoder = pyramid_encoder(encoder, image_size)
    data_format = keras.config.image_data_format()
    images = keras.Input(_image_shape(image_size), name="images")
    x = uper_head(image_encoder(images), num_classes, channels, pool_scales, dropout, data_format)
    logits = keras.layers.UpSampling2D(
        4, interpolation="bilinear", data_format=data_format, name="logits_upsampling"
    )(x)
    segmenter = keras.Model(images, logits, name=name)
    from keras_rr.models import presets

    return presets.with_normalization(segmenter, normalization)


def _preset_encoder(encoder, backbone_preset, image_size, pyramid_levels):
    """`(encoder, normalization)`: the preset's backbone, or `encoder` with no normalisation."""
    if backbone_preset is None:
        return encoder, None
    if encoder is not None:
        raise ValueError(
            f"Pass `encoder` or `backbone_preset`, not both. Received: backbone_preset={backbone_preset!r} "
            "and an encoder"
        )
    from keras_rr.models import presets

    return presets.load_backbone_preset(backbone_preset, image_size, pyramid_levels)


def uper_net_resnet_c(num_classes, depth=50, image_size=512, encoder=None, backbone_preset=None, channels=512,
                      pool_scales=POOL_SCALES, dropout=0.1, name="uper_net_resnet_c"):
    """UPerNet on an undilated ResNet-c: mmsegmentation's `upernet_r{50,101}` (RR paper Table 3/4).

    Args:
        num_classes: int. Number of classes.
        depth: int. Depth of the random ResNet-c built when neither `encoder` nor
            `backbone_preset` is given: 18, 34, 50 or 101. Defaults to `50`.
        image_size: int. Square input size, a multiple of 32. Defaults to `512`.
        encoder: a `keras_hub.models.ResNetBackbone` or None. Defaults to `None`.
        backbone_preset: str, path-like or None. A KerasHub ResNet backbone preset (e.g.
            `"resnet_vd_50_imagenet"` or a `save_to_preset` directory); the model then
            takes 0-255 RGB images (`keras_rr.models.NormalizedSegmenter`). Defaults to
            `None`.
        channels, pool_scales, dropout, name: see `uper_net_segmenter`.

    Returns:
        See `uper_net_segmenter`.

    Example:

    >>> segmenter = uper_net_resnet_c(150, backbone_preset="resnet_vd_50_imagenet")
    """
    import keras_hub

    depth = validation.check_choice(depth, tuple(RESNET_C_DEPTHS), "depth")
    encoder, normalization = _preset_encoder(encoder, backbone_preset, None, ("P2", "P3", "P4", "P5"))
    if encoder is None:
        encoder = keras_hub.models.ResNetBackbone(**resnet_c_config(depth))
    return uper_net_segmenter(num_classes, encoder, image_size, channels, pool_scales, dropout, normalization, name)


def uper_net_swin(num_classes, variant="tiny", image_size=512, encoder=None, backbone_preset=None,
                  drop_path_rate=SWIN_DROP_PATH_RATE, channels=512, pool_scales=POOL_SCALES, dropout=0.1,
                  name="uper_net_swin"):
    """UPerNet on a Swin Transformer: mmsegmentation's `upernet_swin_{tiny,small,base}` (RR paper).

    Args:
        num_classes: int. Number of classes.
        variant: str. `"tiny"`, `"small"`, `"base"` (window 7), `"base_window12"` or
            `"micro"` (`SWIN_VARIANTS`) for the random encoder built when neither
            `encoder` nor `backbone_preset` is given. Defaults to `"tiny"`.
        image_size: int. Square input size, a multiple of 32. Defaults to `512`.
        encoder: a `keras_hub.models.SwinTransformerBackbone` or None.
        backbone_preset: str, path-like or None. A KerasHub Swin backbone preset (e.g.
            `"swin_tiny_patch4_window7_224"`, rebuilt for `image_size`); the model then
            takes 0-255 RGB images. Defaults to `None`.
        drop_path_rate: float or None. Stochastic depth of the encoder (mmseg's Swin
            UPerNet configs: 0.3; None keeps the encoder's). Defaults to `0.3`.
        channels, pool_scales, dropout, name: see `uper_net_segmenter`.

    Returns:
        See `uper_net_segmenter`.

    Example:

    >>> segmenter = uper_net_swin(150, backbone_preset="swin_tiny_patch4_window7_224")
    """
    import keras_hub

    variant = validation.check_choice(variant, tuple(SWIN_VARIANTS), "variant")
    encoder, normalization = _preset_encoder(encoder, backbone_preset, image_size, None)
    if encoder is None:
        embed_dim, depths, num_heads, window_size = SWIN_VARIANTS[variant]
        encoder = keras_hub.models.SwinTransformerBackbone(
            image_shape=(image_size, image_size, 3), embed_dim=embed_dim, depths=depths, num_heads=num_heads,
            window_size=window_size,
        )
    if not isinstance(encoder, keras_hub.models.SwinTransformerBackbone):
        raise ValueError(
            "`encoder` / `backbone_preset` must hold a SwinTransformerBackbone. "
            f"Received: {type(encoder).__name__}"
        )
    if drop_path_rate is not None:
        rate = validation.check_number(drop_path_rate, "drop_path_rate", minimum=0.0, maximum=1.0, max_inclusive=False)
        encoder = _rebuilt(encoder, drop_path=rate)
    return uper_net_segmenter(num_classes, encoder, image_size, channels, pool_scales, dropout, normalization, name)


def uper_net_mit(num_classes, variant="b0", image_size=512, encoder=None, backbone_preset=None, channels=512,
                 pool_scales=POOL_SCALES, dropout=0.1, name="uper_net_mit"):
    """UPerNet on a Mix Transformer (MiT, SegFormer's encoder). Not a configuration of the RR paper.

    Args:
        num_classes: int. Number of classes.
        variant: str. MiT size of the random encoder (`keras_rr.models.segmenter_builders.mit_config`):
            `"b0"`, `"b1"` or `"b2"`. Defaults to `"b0"`.
        image_size: int. Square input size, a multiple of 32. Defaults to `512`.
        encoder: a `keras_hub.models.MiTBackbone` or None.
        backbone_preset: str, path-like or None. A KerasHub MiT backbone preset (e.g.
            `"mit_b0_ade20k_512"`). Defaults to `None`.
        channels, pool_scales, dropout, name: see `uper_net_segmenter`.

    Returns:
        See `uper_net_segmenter`.

    Example:

    >>> segmenter = uper_net_mit(150, backbone_preset="mit_b0_ade20k_512")
    """
    import keras_hub

    from keras_rr.models.segmenter_builders import mit_config

    encoder, normalization = _preset_encoder(encoder, backbone_preset, image_size, ("P1", "P2", "P3", "P4"))
    if encoder is None:
        encoder = keras_hub.models.MiTBackbone(**mit_config(variant, image_size))
    return uper_net_segmenter(num_classes, encoder, image_size, channels, pool_scales, dropout, normalization, name)
