"""The paper's network: ResNet-c (deep 3x3 stem) dilated to output stride 8, DeepLabV3+ on it.

The RR paper trains mmsegmentation's `deeplabv3plus_r50-d8` / `r101-d8`: a ResNetV1c
encoder (three 3x3 stem convolutions instead of one 7x7) whose last two stages trade
their stride for dilation (strides 1, 2, 1, 1; dilations 1, 1, 2, 4: output stride 8),
and a `DepthwiseSeparableASPPHead` (ASPP on the stride-8 map, a 1/4-resolution low-level
decoder). This module builds that network from KerasHub parts:

- `resnet_c_config(depth)`: the `keras_hub.models.ResNetBackbone` arguments of KerasHub's
  `resnet_vd_{18,34,50,101}_imagenet` presets (deep stem, "vd" blocks).
- `dilated_resnet(encoder, output_stride=8)`: a functional copy of a KerasHub
  `ResNetBackbone` (random, or from a preset) with its late stages dilated, the same
  variables (names, shapes, order) and the weights copied over, returning the pyramid
  maps `P2`..`P5` by name.
- `deeplab_v3_plus_resnet_c(num_classes, depth=50, ...)`: mmsegmentation's DeepLabV3+
  head on it, a plain functional `keras.Model` (logits out) that
  `keras_rr.models.RegionRebalanceSegmenter` taps automatically.

KerasHub's "vd" network versus mmsegmentation's ResNetV1c (what differs, and why it does
not matter much): KerasHub's `resnet_vd_*` presets are ResNet-vd ("ResNet with bag of
tricks", their description), which is mmsegmentation's ResNetV1**d**: the same deep stem
as V1c (3x3 convs of 32, 32, 64 filters, the first with stride 2, then a 3x3 max-pool)
and, in addition, the stride-2 shortcut of each stage's first block average-pools (2x2,
stride 2) before its 1x1 convolution instead of using a strided 1x1 convolution. After
dilation the stages 3 and 4 have stride 1 and their shortcuts are plain 1x1 convolutions
in both networks, so the only structural difference left is stage 2's shortcut (average
pool + 1x1 vs. 1x1 stride 2). The ImageNet weights differ too (KerasHub's ImageNet-1k
ResNet-vd training vs. mmcv's `open-mmlab://resnet50_v1c`).

KerasHub is imported inside the functions, so `import keras_rr` never needs it.

Reference:
    Chen et al., "Encoder-Decoder with Atrous Separable Convolution for Semantic Image
    Segmentation", ECCV 2018, https://arxiv.org/abs/1802.02611. He et al., "Bag of
    Tricks for Image Classification with Convolutional Neural Networks", CVPR 2019,
    https://arxiv.org/abs/1812.01187.
"""

import keras
from keras import ops

from keras_rr import validation
from keras_rr.models.auxiliary_head import mark_auxiliary_features
from keras_rr.models.conv_module import batch_norm
from keras_rr.models.conv_module import classifier
from keras_rr.models.conv_module import conv_module
from keras_rr.models.pass_through import PassThrough

# depth: (KerasHub block type, blocks per stage), as in KerasHub's resnet_vd presets.
RESNET_C_DEPTHS = {
    18: ("basic_block_vd", [2, 2, 2, 2]),
    34: ("basic_block_vd", [3, 4, 6, 3]),
    50: ("bottleneck_block_vd", [3, 4, 6, 3]),
    101: ("bottleneck_block_vd", [3, 4, 23, 3]),
}
# ASPP dilations of mmsegmentation's DeepLabV3+ configs: d8 models use (12, 24, 36), d16
# models (6, 12, 18) (the 1x1 branch is mmseg's dilation 1).
ASPP_DILATIONS = {8: (12, 24, 36), 16: (6, 12, 18)}
_OUTPUT_STRIDES = (8, 16, 32)
_STEM_STRIDE = 4  # KerasHub ResNet: stride-2 first stem conv, then a stride-2 max-pool


def resnet_c_config(depth=50, image_shape=(None, None, 3)):
    """The `keras_hub.models.ResNetBackbone` arguments of a ResNet-c (KerasHub "vd") encoder.

    These are meant to be the arguments of KerasHub's `resnet_vd_{depth}_imagenet` presets
    (not checked against a download here; a preset's own `config.json` decides, and
    `dilated_resnet` takes the preset's backbone as it is): a deep stem of three 3x3
    convolutions with 32, 32 and 64 filters, stages of 64/128/256/512 base filters with
    strides 1, 2, 2, 2, and `"bottleneck_block_vd"` blocks (`"basic_block_vd"` for depths
    18 and 34).

    Args:
        depth: int. 18, 34, 50 or 101. Defaults to `50`.
        image_shape: tuple. Input shape without the batch size. Defaults to
            `(None, None, 3)`.

    Returns:
        A dict: `keras_hub.models.ResNetBackbone(**resnet_c_config(50))` is a randomly
        initialised ResNet-50-vd.

    Example:

    >>> encoder = keras_hub.models.ResNetBackbone(**resnet_c_config(101))
    """
    depth = validation.check_choice(depth, tuple(RESNET_C_DEPTHS), "depth")
    block_type, blocks = RESNET_C_DEPTHS[depth]
    return {
        "input_conv_filters": [32, 32, 64],
        "input_conv_kernel_sizes": [3, 3, 3],
        "stackwise_num_filters": [64, 128, 256, 512],
        "stackwise_num_blocks": list(blocks),
        "stackwise_num_strides": [1, 2, 2, 2],
        "block_type": block_type,
        "use_pre_activation": False,
        "image_shape": tuple(image_shape),
    }


def _stage_plan(strides, output_stride, contract_dilation):
    """Per stage: `(stride, [dilation of each block])` after trading stride for dilation.

    mmsegmentation's rule: once the network reaches `output_stride`, a stage keeps stride
    1 and multiplies the dilation by the stride it gave up; with `contract_dilation` the
    first block of a dilated stage uses half that dilation (ResLayer's
    `first_dilation = dilation // 2`), which is exactly the "a trous" equivalent of the
    strided network on the subsampled grid.
    """
    current, dilation, plan = _STEM_STRIDE, 1, []
    for stride in strides:
        if current * stride > output_stride:
            dilation *= stride
            stride = 1
        else:
            current *= stride
        first = dilation // 2 if (contract_dilation and dilation > 1) else dilation
        plan.append((stride, first, dilation))
    return plan


def dilated_resnet(encoder, output_stride=8, contract_dilation=True, image_shape=None, name=None):
    """A KerasHub ResNet with its late stages dilated: mmsegmentation's ResNet-d8 / d16.

    Rebuilds `encoder` with `keras.models.clone_model`: in every stage past
    `output_stride` the strided 3x3 convolution gets stride 1 and
    `dilation_rate=d` with `d` zeros of padding on each side (torch's `padding=dilation`),
    the other 3x3 convolutions of the stage get `dilation_rate=d` (3x3 convolutions only,
    as mmsegmentation: the middle one of a bottleneck block, the first one of a basic
    block), and the stage's downsampling shortcut stops downsampling (a strided 1x1
    convolution gets stride 1; the "vd" blocks' 2x2 average pool becomes an `Identity`).
    For `output_stride=8` the stages have strides 1, 2, 1, 1 and dilations 1, 1, 2, 4
    (first blocks 1, 1, 1, 2 with `contract_dilation`), mmsegmentation's DeepLabV3+/PSPNet
    setting. Every layer keeps its name and its variables' shapes, so the weights of
    `encoder` (e.g. `keras_hub.models.Backbone.from_preset("resnet_vd_50_imagenet")`) are
    copied over unchanged and a `.weights.h5` of the encoder loads into the result.

    Args:
        encoder: a `keras_hub.models.ResNetBackbone` (its weights are copied), or a dict
            of its arguments (e.g. `resnet_c_config(50)`: random weights). Pre-activation
            (ResNetV2) encoders are not supported.
        output_stride: int. 8, 16 or 32 (32: the encoder unchanged). Defaults to `8`.
        contract_dilation: bool. Halve the dilation of each dilated stage's first block,
            as mmsegmentation's ResNetV1c configs do. Defaults to `True`.
        image_shape: tuple or None. Input shape without the batch size; None keeps the
            encoder's. Defaults to `None`.
        name: str or None. Model name; None: `"{encoder.name}_os{output_stride}"`.

    Returns:
        A functional `keras.Model` mapping images to a dict of pyramid maps `"P2"`..`"P5"`
        (strides 4, 8, 8, 8 for `output_stride=8`).

    Example:

    >>> encoder = keras_hub.models.Backbone.from_preset("resnet_vd_50_imagenet")
    >>> features = dilated_resnet(encoder, output_stride=8)(images)  # features["P5"]: 1/8
    """
    import keras_hub

    if isinstance(encoder, dict):
        encoder = keras_hub.models.ResNetBackbone(**encoder)
    if not isinstance(encoder, keras_hub.models.ResNetBackbone):
        raise ValueError(
            "`encoder` must be a `keras_hub.models.ResNetBackbone` or a dict of its arguments. "
            f"Received: encoder={type(encoder).__name__}"
        )
    if encoder.use_pre_activation:
        raise ValueError(
            "`encoder` must be a post-activation ResNet (ResNet-c / vd), not ResNetV2. "
            "Received: encoder.use_pre_activation=True"
        )
    output_stride = validation.check_choice(output_stride, _OUTPUT_STRIDES, "output_stride")
    bottleneck = encoder.block_type.startswith("bottleneck")
    vd = encoder.block_type.endswith("_vd")
    conv3x3 = "2" if bottleneck else "1"  # the 3x3 conv mmseg dilates (and strides)
    plan = _stage_plan(encoder.stackwise_num_strides, output_stride, contract_dilation)
    changes = {}  # layer name -> function building its replacement from the layer
    for stage, ((stride, first, dilation), old_stride, blocks) in enumerate(
        zip(plan, encoder.stackwise_num_strides, encoder.stackwise_num_blocks)
    ):
        if stride == old_stride and dilation == 1:
            continue
        for block in range(blocks):
            prefix = f"stack{stage}_block{block}"
            rate = first if block == 0 else dilation
            if block == 0 and old_stride > 1:
                # The block that downsampled: explicit padding `rate` + valid conv, stride 1.
                changes[f"{prefix}_{conv3x3}_pad"] = _padding(rate)
                changes[f"{prefix}_{conv3x3}_conv"] = _conv(strides=1, dilation_rate=rate, padding="valid")
                if not vd:
                    changes[f"{prefix}_0_conv"] = _conv(strides=1)
            else:
                changes[f"{prefix}_{conv3x3}_conv"] = _conv(dilation_rate=rate)
    # The vd shortcut's average pool has an automatic name: find it by what it feeds.
    pools = {}
    if vd:
        for stage, ((stride, _, _), old_stride) in enumerate(zip(plan, encoder.stackwise_num_strides)):
            if stride == 1 and old_stride > 1:
                shortcut_conv = encoder.get_layer(f"stack{stage}_block0_0_conv")
                for layer in encoder.layers:
                    if isinstance(layer, keras.layers.AveragePooling2D) and layer.output is shortcut_conv.input:
                        pools[id(layer)] = f"stack{stage}_block0_0_pool"

    def clone_layer(layer):
        if id(layer) in pools:
            return keras.layers.Identity(name=pools[id(layer)], dtype=layer.dtype_policy.name)
        config = layer.get_config()
        if layer.name in changes:
            config.update(changes[layer.name])
        return layer.__class__.from_config(config)

    # A plain dict: KerasHub's `pyramid_outputs` is a tracked dict, which `jax.jit` rejects.
    pyramid = keras.Model(encoder.input, dict(encoder.pyramid_outputs), name=encoder.name)
    input_tensors = None if image_shape is None else keras.Input(tuple(image_shape), name="images")
    dilated = keras.models.clone_model(pyramid, input_tensors=input_tensors, clone_function=clone_layer)
    model = keras.Model(dilated.input, dilated.output, name=name or f"{encoder.name}_os{output_stride}")
    for layer in encoder.layers:
        if layer.weights:
            model.get_layer(layer.name).set_weights(layer.get_weights())
    return model


def _padding(rate):
    return {"padding": ((rate, rate), (rate, rate))}


def _conv(**updates):
    if "dilation_rate" in updates:
        updates["dilation_rate"] = (updates["dilation_rate"],) * 2
    if "strides" in updates:
        updates["strides"] = (updates["strides"],) * 2
    return updates


@keras.saving.register_keras_serializable(package="keras_rr")
class ResizeLike(keras.layers.Layer):
    """Resizes a feature map to the spatial size of a reference map.

    mmsegmentation's `resize(x, size=reference.shape[2:], mode="bilinear",
    align_corners=False)`: half-pixel bilinear interpolation, for any input size. From a
    1x1 map (ASPP's image pooling branch) it broadcasts.

    Args:
        interpolation: str. `keras.ops.image.resize` interpolation. Defaults to
            `"bilinear"`.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.

    Call arguments:
        inputs: `[x, reference]`; the output has `x`'s channels and `reference`'s height
            and width.

    Example:

    >>> upsampled = ResizeLike()([aspp_features, low_level_features])
    """

    def __init__(self, interpolation="bilinear", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.interpolation = interpolation
        self.data_format = validation.check_data_format(data_format)

    def _spatial_axes(self):
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def call(self, inputs):
        x, reference = inputs
        shape = ops.shape(reference)
        size = tuple(shape[axis] for axis in self._spatial_axes())
        if not all(isinstance(s, int) for s in size) and keras.backend.backend() == "tensorflow":
            # Dynamic sizes inside a TF graph (e.g. an export with unknown image size):
            # `ops.image.resize` wants Python ints there.
            import tensorflow as tf

            if self.data_format == "channels_first":
                x = tf.transpose(x, (0, 2, 3, 1))
            x = tf.cast(tf.image.resize(x, tf.stack(size), method=self.interpolation), self.compute_dtype)
            return tf.transpose(x, (0, 3, 1, 2)) if self.data_format == "channels_first" else x
        return ops.image.resize(x, size, interpolation=self.interpolation, data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        x_shape, reference_shape = input_shape
        output_shape = list(x_shape)
        for axis in self._spatial_axes():
            output_shape[axis] = reference_shape[axis]
        return tuple(output_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"interpolation": self.interpolation, "data_format": self.data_format})
        return config


def _separable_conv_module(x, filters, name, axis, data_format, dilation=1):
    """mmcv `DepthwiseSeparableConvModule`: 3x3 depthwise -> BN -> ReLU -> 1x1 -> BN -> ReLU."""
    x = keras.layers.DepthwiseConv2D(
        3,
        padding="same",
        dilation_rate=dilation,
        use_bias=False,
        depthwise_initializer=keras.initializers.VarianceScaling(2.0, mode="fan_in", distribution="untruncated_normal"),
        data_format=data_format,
        name=f"{name}_depthwise",
    )(x)
    x = batch_norm(f"{name}_depthwise_bn", axis)(x)
    x = keras.layers.ReLU(name=f"{name}_depthwise_relu")(x)
    return conv_module(x, filters, 1, f"{name}_pointwise", data_format)


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
    for a training wrapper (`keras_rr.models.auxiliary_head`);
    BatchNorm is per replica unless you synchronise it (mmseg uses SyncBN); the encoder is
    KerasHub's ResNet-vd (= mmseg's ResNetV1d, see the module docstring), so stage 2's
    shortcut average-pools. Compared with KerasHub's own `DeepLabV3ImageSegmenter`
    (`keras_rr.models.segmenter_builders.deeplab_v3_plus_resnet`): ASPP there runs on P5
    at output stride 32 with 256 channels, plain (not separable) dilated convs, a 1x1
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
        encoder: a `keras_hub.models.ResNetBackbone` (e.g. from the
            `resnet_vd_50_imagenet` preset; its weights are copied) or None (random
            ResNet-c of `depth`). Defaults to `None`.
        backbone_preset: str, path-like or None. A KerasHub ResNet backbone preset
            (e.g. `"resnet_vd_50_imagenet"` or a `save_to_preset` directory) to start
            from instead of `encoder`; the model then comes back as a
            `keras_rr.models.NormalizedSegmenter` taking 0-255 RGB images, with the
            preset's image converter normalisation inside
            (`keras_rr.models.presets.load_backbone_preset`). Defaults to `None`.
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
    """
    import keras_hub

    num_classes = validation.check_num_classes(num_classes)
    output_stride = validation.check_choice(output_stride, tuple(ASPP_DILATIONS), "output_stride")
    if image_size is not None:
        image_size = validation.check_int(image_size, "image_size", minimum=8)
    channels = validation.check_int(channels, "channels", minimum=1)
    low_level_channels = validation.check_int(low_level_channels, "low_level_channels", minimum=1)
    dropout = validation.check_number(dropout, "dropout", minimum=0.0, maximum=1.0, max_inclusive=False)
    if aspp_dilations is None:
        aspp_dilations = ASPP_DILATIONS[output_stride]
    aspp_dilations = tuple(validation.check_int(d, "aspp_dilations", minimum=1) for d in aspp_dilations)
    normalization = None
    if backbone_preset is not None:
        if encoder is not None:
            raise ValueError(
                "Pass `encoder` or `backbone_preset`, not both. Received: "
                f"backbone_preset={backbone_preset!r} and an encoder"
            )
        from keras_rr.models import presets

        encoder, normalization = presets.load_backbone_preset(backbone_preset, pyramid_levels=("P2", "P5"))
    if encoder is None:
        encoder = keras_hub.models.ResNetBackbone(**resnet_c_config(depth))
    data_format = keras.config.image_data_format()
    axis = -1 if data_format == "channels_last" else 1
    image_shape = (image_size, image_size, 3) if data_format == "channels_last" else (3, image_size, image_size)
    image_encoder = dilated_resnet(encoder, output_stride, image_shape=image_shape, name="image_encoder")

    images = keras.Input(image_shape, name="images")
    features = image_encoder(images)
    x, low_level = features["P5"], features["P2"]

    pooled = keras.layers.GlobalAveragePooling2D(data_format=data_format, keepdims=True, name="aspp_pool")(x)
    pooled = conv_module(pooled, channels, 1, "aspp_pool", data_format)
    branches = [ResizeLike(data_format=data_format, name="aspp_pool_resize")([pooled, x])]
    branches.append(conv_module(x, channels, 1, "aspp_0", data_format))
    for i, rate in enumerate(aspp_dilations):
        branches.append(_separable_conv_module(x, channels, f"aspp_{i + 1}", axis, data_format, dilation=rate))
    x = keras.layers.Concatenate(axis=axis, name="aspp_concat")(branches)
    x = conv_module(x, channels, 3, "aspp_bottleneck", data_format)  # not separable in mmseg

    low_level = conv_module(low_level, low_level_channels, 1, "low_level", data_format)
    x = ResizeLike(data_format=data_format, name="aspp_resize")([x, low_level])
    x = keras.layers.Concatenate(axis=axis, name="decoder_concat")([x, low_level])
    x = _separable_conv_module(x, channels, "decoder_0", axis, data_format)
    x = _separable_conv_module(x, channels, "decoder_1", axis, data_format)
    # The stage-3 map for mmseg's auxiliary FCN head (a training-wrapper branch), kept in
    # the graph though the head does not read it (`keras_rr.models.auxiliary_head`).
    x = PassThrough(name="keep_auxiliary_features")([x, mark_auxiliary_features(features["P4"])])
    x = keras.layers.SpatialDropout2D(dropout, data_format=data_format, name="dropout")(x)
    x = classifier(x, num_classes, data_format)
    logits = keras.layers.UpSampling2D(
        4, interpolation="bilinear", data_format=data_format, name="logits_upsampling"
    )(x)
    segmenter = keras.Model(images, logits, name=name)
    if normalization is None:
        return segmenter
    from keras_rr.models import presets

    return presets.with_normalization(segmenter, normalization)
