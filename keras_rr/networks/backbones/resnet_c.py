"""ResNet-c (deep 3x3 stem) from KerasHub parts, dilated to output stride 8 or 16.

The RR paper's mmsegmentation networks (DeepLabV3+, PSPNet: `*_r{50,101}-d8`; UPerNet:
undilated) use a ResNetV1c encoder: three 3x3 stem convolutions instead of one 7x7, and
for the d8 models the last two stages trade their stride for dilation (strides 1, 2, 1,
1; dilations 1, 1, 2, 4: output stride 8).

- `resnet_c_config(depth)`: the `keras_hub.models.ResNetBackbone` arguments of KerasHub's
  `resnet_vd_{18,34,50,101}_imagenet` presets (deep stem, "vd" blocks).
- `dilated_resnet(encoder, output_stride=8)`: a functional copy of a KerasHub
  `ResNetBackbone` (random, or from a preset) with its late stages dilated, the same
  variables (names, shapes, order) and the weights copied over, returning the pyramid
  maps `P2`..`P5` by name.

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
    He et al., "Bag of Tricks for Image Classification with Convolutional Neural
    Networks", CVPR 2019, https://arxiv.org/abs/1812.01187.
"""

import keras

from keras_rr import validation

# depth: (KerasHub block type, blocks per stage), as in KerasHub's resnet_vd presets.
RESNET_C_DEPTHS = {
    18: ("basic_block_vd", [2, 2, 2, 2]),
    34: ("basic_block_vd", [3, 4, 6, 3]),
    50: ("bottleneck_block_vd", [3, 4, 6, 3]),
    101: ("bottleneck_block_vd", [3, 4, 23, 3]),
}
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
