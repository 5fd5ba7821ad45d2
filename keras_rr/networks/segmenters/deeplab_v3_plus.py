"""DeepLabV3+: the paper's (mmseg's, on a dilated ResNet-c) and KerasHub's own.

- `deeplab_v3_plus_resnet_c`: mmsegmentation's `deeplabv3plus_r{50,101}-d8`, the RR
  paper's network: `dilated_resnet` (output stride 8) under the
  `depthwise_separable_aspp_head`.
- `deeplab_v3_plus_resnet`: KerasHub's `DeepLabV3ImageSegmenter` (7x7-stem ResNet, ASPP
  at output stride 32), from an explicit config or a KerasHub preset.

KerasHub is imported inside the functions, so `import keras_rr` never needs it.

Reference:
    Chen et al., "Encoder-Decoder with Atrous Separable Convolution for Semantic Image
    Segmentation", ECCV 2018, https://arxiv.org/abs/1802.02611.
"""

import keras

from keras_rr import validation
from keras_rr.networks.decode_heads.auxiliary_fcn_head import mark_auxiliary_features
from keras_rr.networks.decode_heads.depthwise_separable_aspp_head import ASPP_DILATIONS
from keras_rr.networks.decode_heads.depthwise_separable_aspp_head import depthwise_separable_aspp_head
from keras_rr.networks.decode_heads.segmentation_classifier import segmentation_classifier
from keras_rr.networks.layers.pass_through import PassThrough
from keras_rr.networks.segmenters import presets

_RESNET_DEPTHS = {
    # depth: (KerasHub block type, blocks per stage) of KerasHub's ResNet (7x7 stem)
    18: ("basic_block", [2, 2, 2, 2]),
    34: ("basic_block", [3, 4, 6, 3]),
    50: ("bottleneck_block", [3, 4, 6, 3]),
    101: ("bottleneck_block", [3, 4, 23, 3]),
}


def deeplab_v3_plus_resnet_c(
    num_classes,
    depth=50,
    image_size=512,
    output_stride=8,
    encoder=None,
    backbone_preset=None,
    channels=512,
    low_level_channels=48,
    aspp_dilations=None,
    dropout=0.1,
    name="deeplab_v3_plus_resnet_c",
):
    """DeepLabV3+ on a dilated ResNet-c: mmsegmentation's `deeplabv3plus_r{50,101}-d8`.

    The encoder is `dilated_resnet(encoder, output_stride)` (ASPP on its stride-8 `P5`
    map); the head follows mmsegmentation's `DepthwiseSeparableASPPHead`:

    - ASPP on `P5`: image pooling (global average -> 1x1 conv -> broadcast), a 1x1 conv
      and three depthwise-separable 3x3 convs with dilations `aspp_dilations`
      ((12, 24, 36) at output stride 8, (6, 12, 18) at 16), concatenated and fused by a
      plain 3x3 conv (ASPPHead's `bottleneck`), all with `channels` filters;
    - decoder: the fused map bilinearly resized to `P2` (1/4), concatenated with a 1x1
      conv of `P2` to `low_level_channels`, then two depthwise-separable 3x3 convs;
    - `SpatialDropout2D(dropout)` (torch's `Dropout2d`) and a 1x1 classifier conv with
      bias (layer `"classifier"`, logits at 1/4), then a 4x bilinear upsampling to the
      input size (layer `"logits_upsampling"`).

    Every conv is conv -> BatchNorm (momentum 0.9, epsilon 1e-5: torch's defaults) ->
    ReLU, Kaiming-initialised as mmcv does. Differences from the paper's mmsegmentation
    model: the auxiliary FCN head on stage 3 (weight 0.4 in mmseg) is not part of this
    model; its input is the layer `"auxiliary_features"` (`P4`, stride `output_stride`),
    for a training wrapper (`keras_rr.models.AuxiliaryFCNHead`);
    BatchNorm is per replica unless you synchronise it (mmseg uses SyncBN); the default
    encoder is KerasHub's ResNet-vd (= mmseg's ResNetV1d, see the module docstring), so
    stage 2's shortcut average-pools (`encoder="resnet_v1c"`: mmseg's ResNetV1c itself).
    Compared with KerasHub's own `DeepLabV3ImageSegmenter` (`deeplab_v3_plus_resnet`):
    ASPP there runs on P5 at output stride 32 with 256 channels, plain (not separable) dilated convs, a 1x1
    projection after ASPP and a single 1x1 conv after the decoder concatenation, and no
    dropout; its encoder has a 7x7 stem.

    The output is `4 * ceil(H / 4)` pixels high (the input size for sizes divisible by 4,
    as the training crops are); any size divisible by 8 behaves exactly like mmseg's
    resize-to-input.

    Args:
        num_classes: int. Number of classes.
        depth: int. ResNet depth (18, 34, 50 or 101) of the randomly initialised encoder
            built when `encoder` is None. Defaults to `50`.
        image_size: int or None. Square input size (None: any size). Defaults to `512`.
        output_stride: int. 8 (the paper's d8) or 16. Defaults to `8`.
        encoder: the ResNet: a `keras_hub.models.ResNetBackbone` (e.g. from the
            `resnet_vd_50_imagenet` preset; its weights are copied), None or
            `"resnet_vd"` (random KerasHub ResNet-vd of `depth`), `"resnet_v1c"`
            (mmseg's ResNetV1c of `depth`, 50 or 101, dilated to `output_stride`:
            `keras_rr.models.resnet_v1c_backbone`, the paper's encoder) or a
            `resnet_v1c_backbone(..., output_stride=output_stride)` model. With a
            ResNetV1c the model takes 0-255 RGB images and normalises them as mmseg
            does (ImageNet mean / std; a `keras_rr.models.NormalizedSegmenter`), and
            `backbone_preset` must be None. Defaults to `None`.
        backbone_preset: str, path-like or None. A KerasHub ResNet backbone preset
            (e.g. `"resnet_vd_50_imagenet"` or a `save_to_preset` directory) to start
            from instead of `encoder`; the model then comes back as a
            `keras_rr.models.NormalizedSegmenter` taking 0-255 RGB images, with the
            preset's image converter normalisation inside
            (`keras_rr.networks.segmenters.presets.load_backbone_preset`). Defaults to `None`.
        channels: int. Head width (mmseg: 512). Defaults to `512`.
        low_level_channels: int. Width of the projected `P2` map (mmseg: 48). Defaults
            to `48`.
        aspp_dilations: tuple of 3 ints or None. None: mmseg's for `output_stride`.
        dropout: float. Channel dropout rate before the classifier (mmseg: 0.1).
            Defaults to `0.1`.
        name: str. Model name. Defaults to `"deeplab_v3_plus_resnet_c"`.

    Returns:
        A functional `keras.Model` from images `(B, H, W, 3)` to logits
        `(B, H, W, num_classes)`; the dilated encoder is its layer `"image_encoder"`,
        the stage-3 map its layer `"auxiliary_features"`.

    Example:

    >>> segmenter = deeplab_v3_plus_resnet_c(150, depth=50, image_size=512)
    >>> encoder = keras_hub.models.Backbone.from_preset("resnet_vd_50_imagenet")
    >>> segmenter = deeplab_v3_plus_resnet_c(150, image_size=512, encoder=encoder)
    >>> segmenter = deeplab_v3_plus_resnet_c(150, image_size=512, encoder="resnet_v1c")  # mmseg's
    """
    num_classes = validation.check_num_classes(num_classes)
    output_stride = validation.check_choice(output_stride, tuple(ASPP_DILATIONS), "output_stride")
    if image_size is not None:
        image_size = validation.check_int(image_size, "image_size", minimum=8)
    dropout = validation.check_number(dropout, "dropout", minimum=0.0, maximum=1.0, max_inclusive=False)
    images, features, normalization = presets.dilated_resnet_c_inputs(
        depth, encoder, backbone_preset, output_stride, image_size, ("P2", "P5")
    )
    data_format = keras.config.image_data_format()
    x = depthwise_separable_aspp_head(
        features["P5"], features["P2"], channels, low_level_channels,
        ASPP_DILATIONS[output_stride] if aspp_dilations is None else aspp_dilations, data_format,
    )
    # The stage-3 map for mmseg's auxiliary FCN head (a training-wrapper branch), kept in
    # the graph though the head does not read it (`keras_rr.models.AuxiliaryFCNHead`).
    x = PassThrough(name="keep_auxiliary_features")([x, mark_auxiliary_features(features["P4"])])
    x = segmentation_classifier(x, num_classes, dropout, data_format)
    logits = keras.layers.UpSampling2D(
        4, interpolation="bilinear", data_format=data_format, name="logits_upsampling"
    )(x)
    return presets.with_normalization(keras.Model(images, logits, name=name), normalization)


def deeplab_v3_plus_resnet(num_classes, depth=50, image_size=512, activation=None, preset=None,
                           backbone_preset=None):
    """KerasHub's own DeepLabV3+ (`DeepLabV3ImageSegmenter` with the P2 decoder) on a ResNet.

    This is KerasHub's network, not the paper's: a ResNet with a single 7x7 stem
    convolution and no dilation, ASPP (dilations 6, 12, 18) on `P5` at output stride 32,
    the 1/4 `P2` low-level decoder. The paper's mmsegmentation DeepLabV3+ (ResNet-c,
    dilated to output stride 8) is `deeplab_v3_plus_resnet_c`
    (config name `"deeplab_v3_plus_resnet_c"`).

    From an explicit config (random weights, `depth`), from a KerasHub ResNet backbone
    preset under this head (`backbone_preset`: ASPP on P5, low-level features from P2)
    or from a whole KerasHub DeepLabV3 task preset (`preset`, re-headed to
    `num_classes` when its count differs). Presets are names, `kaggle://` / `hf://`
    handles or local directories (`keras_rr.networks.segmenters.presets.resolve_preset`: offline, a
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

    presets.check_preset_arguments(preset, backbone_preset)
    if preset is not None:
        kwargs = {} if activation is None else {"activation": activation}
        return presets.segmenter_from_preset(
            preset, num_classes, image_size, task_class=keras_hub.models.DeepLabV3ImageSegmenter, **kwargs
        )
    if backbone_preset is None and depth not in _RESNET_DEPTHS:
        raise ValueError(f"`depth` must be one of {sorted(_RESNET_DEPTHS)}. Received: depth={depth}")

    def random_resnet():
        block_type, blocks = _RESNET_DEPTHS[depth]
        return keras_hub.models.ResNetBackbone(
            input_conv_filters=[64],
            input_conv_kernel_sizes=[7],
            stackwise_num_filters=[64, 128, 256, 512],
            stackwise_num_blocks=blocks,
            stackwise_num_strides=[1, 2, 2, 2],
            block_type=block_type,
            image_shape=(image_size, image_size, 3),
        )

    encoder, normalization = presets.resolve_encoder(None, backbone_preset, random_resnet, image_size, ("P2", "P5"))
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
