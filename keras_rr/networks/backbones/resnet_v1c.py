"""mmsegmentation's ResNetV1c, written out layer by layer, named by mmseg's module paths.

The RR paper's ResNet rows (DeepLabV3+ and PSPNet `*_r{50,101}-d8`, UPerNet
`upernet_r{50,101}`) start from mmseg's `ResNetV1c` with the open-mmlab ImageNet weights
(`open-mmlab://resnet{50,101}_v1c`). This is that network:

- deep stem: three 3x3 convolutions of `stem_channels // 2`, `stem_channels // 2` and
  `stem_channels` filters (32, 32, 64), the first with stride 2, each followed by
  BatchNorm and ReLU (mmseg's `stem.0` ... `stem.8`), then a 3x3 / 2 max-pool with
  padding 1;
- four stages (`layer1` ... `layer4`) of Bottleneck blocks in the "pytorch" style (the
  stride sits on the 3x3 conv `conv2`; 1x1 `conv1`, 3x3 `conv2`, 1x1 `conv3` to 4x the
  width, each with its `bn1` / `bn2` / `bn3`); a block whose shape changes adds a strided
  1x1 conv + BN shortcut (`downsample.0`, `downsample.1`; no average pooling: that is
  ResNetV1d, which KerasHub's `resnet_vd` presets are);
- output stride 8 (mmseg's `-d8`): stage strides 1, 2, 1, 1, dilations 1, 1, 2, 4; 16:
  strides 1, 2, 2, 1, dilations 1, 1, 1, 2; 32: undilated. With `contract_dilation`
  (mmseg's ResNetV1c configs) the first block of a dilated stage uses half the dilation.

Weight-holding layers carry mmseg's module paths relative to the backbone (`stem.0`
Conv2D, `stem.1` BatchNormalization, `layer3.5.conv2`, `layer1.0.downsample.0`), spelled
with "-" for "." (`stem-0`, `layer1-0-downsample-0`: Keras' torch backend refuses dots in
variable paths, `keras_rr.networks.layers.module_paths`), so a Keras variable path read
with `.` for `-` and `/` is the torch state-dict key (the torch-checkpoint importer,
`keras_rr.models.load_torch_weights`, relies on it). Convolutions have no
bias; BatchNorm uses torch's momentum / epsilon; random initialisation is mmseg's
(Kaiming normal fan_out for convs, BN gamma 1, and `zero_init_residual`: each block's
`bn3` gamma starts at 0).

Every stride-2 convolution and the max-pool pad explicitly by 1 on each side (torch's
`padding=1`; Keras' "same" pads only after on even sizes), so the maps equal torch's
bit for bit in layout.

Reference:
    He et al., "Deep Residual Learning for Image Recognition", CVPR 2016,
    https://arxiv.org/abs/1512.03385; the "C" stem from He et al., "Bag of Tricks for
    Image Classification with Convolutional Neural Networks", CVPR 2019,
    https://arxiv.org/abs/1812.01187.
"""

import keras

from keras_rr import validation
from keras_rr.networks.layers.conv_module import batch_norm
from keras_rr.networks.layers.conv_module import channel_axis
from keras_rr.networks.layers.conv_module import kaiming_fan_out
from keras_rr.networks.layers.module_paths import module_path_name

# depth: Bottleneck blocks per stage (mmseg's `ResNet.arch_settings`).
RESNET_V1C_DEPTHS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}
# output stride: (stage strides, stage dilations), as mmseg's configs set them.
RESNET_V1C_STRIDES = {
    8: ((1, 2, 1, 1), (1, 1, 2, 4)),
    16: ((1, 2, 2, 1), (1, 1, 1, 2)),
    32: ((1, 2, 2, 2), (1, 1, 1, 1)),
}
PYRAMID_LEVELS = ("P2", "P3", "P4", "P5")
_EXPANSION = 4  # Bottleneck output width / its `planes`


def resnet_v1c_backbone(
    depth=50,
    output_stride=8,
    image_size=None,
    stage_blocks=None,
    stem_channels=64,
    base_channels=64,
    contract_dilation=True,
    data_format=None,
    name="resnet_v1c",
):
    """mmsegmentation's `ResNetV1c` (see the module docstring) as a functional Keras model.

    Args:
        depth: int. 50 or 101. Defaults to `50`.
        output_stride: int. 8 (mmseg's `-d8` DeepLabV3+ / PSPNet), 16 or 32 (undilated:
            UPerNet). Defaults to `8`.
        image_size: int, `(height, width)` or None. Input size (None: any size).
            Defaults to `None`.
        stage_blocks: tuple of 4 ints or None. Blocks per stage; None: `depth`'s
            ((3, 4, 6, 3) for 50, (3, 4, 23, 3) for 101). Tests use `(1, 1, 1, 1)`.
            Defaults to `None`.
        stem_channels: int. Width of the stem's last conv (the first two have half).
            Defaults to `64` (mmseg's).
        base_channels: int. `planes` of `layer1` (doubling per stage; outputs are 4x:
            256, 512, 1024, 2048 at the default). Defaults to `64` (mmseg's).
        contract_dilation: bool. The first block of a dilated stage uses half the
            dilation (mmseg's ResNetV1c configs). Defaults to `True`.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.
        name: str. Model name. Defaults to `"resnet_v1c"`.

    Returns:
        A functional `keras.Model` from images `(B, H, W, 3)` to a dict of the four
        stage outputs `{"P2", "P3", "P4", "P5"}` (strides 4, 8, 8, 8 at output stride
        8; channels `4 * base_channels * (1, 2, 4, 8)`).

    Example:

    >>> encoder = keras_rr.models.resnet_v1c_backbone(depth=50, output_stride=8, image_size=512)
    >>> features = encoder(images)  # features["P5"]: (B, 64, 64, 2048)
    """
    depth = validation.check_choice(depth, tuple(RESNET_V1C_DEPTHS), "depth")
    output_stride = validation.check_choice(output_stride, tuple(RESNET_V1C_STRIDES), "output_stride")
    if stage_blocks is None:
        stage_blocks = RESNET_V1C_DEPTHS[depth]
    if not isinstance(stage_blocks, (list, tuple)) or len(stage_blocks) != 4:
        raise ValueError(
            f"`stage_blocks` must be 4 ints (blocks per stage) or None. Received: stage_blocks={stage_blocks!r}"
        )
    stage_blocks = tuple(validation.check_int(b, "stage_blocks", minimum=1) for b in stage_blocks)
    stem_channels = validation.check_int(stem_channels, "stem_channels", minimum=2)
    if stem_channels % 2:
        raise ValueError(
            "`stem_channels` must be even (the first two stem convs have half). "
            f"Received: stem_channels={stem_channels}"
        )
    base_channels = validation.check_int(base_channels, "base_channels", minimum=1)
    data_format = validation.check_data_format(data_format or keras.config.image_data_format())
    if image_size is None:
        height = width = None
    elif isinstance(image_size, (list, tuple)) and len(image_size) == 2:
        height, width = (validation.check_int(s, "image_size", minimum=1) for s in image_size)
    else:
        height = width = validation.check_int(image_size, "image_size", minimum=1)
    shape = (height, width, 3) if data_format == "channels_last" else (3, height, width)

    images = keras.Input(shape, name="images")
    axis = channel_axis(data_format)
    x = images
    # Deep stem: (conv, bn, relu) x 3 at mmseg's Sequential indices 0..8.
    for index, (filters, stride) in enumerate(((stem_channels // 2, 2), (stem_channels // 2, 1), (stem_channels, 1))):
        x = _conv(x, filters, 3, stride, 1, f"stem.{3 * index}", data_format)
        x = batch_norm(module_path_name(f"stem.{3 * index + 1}"), axis)(x)
        x = keras.layers.ReLU(name=module_path_name(f"stem.{3 * index + 2}"))(x)
    # torch pads the max-pool with -inf; after the ReLU every value is >= 0, so zeros
    # give the same maxima.
    x = keras.layers.ZeroPadding2D(1, data_format=data_format, name="maxpool_pad")(x)
    x = keras.layers.MaxPooling2D(3, 2, data_format=data_format, name="maxpool")(x)

    strides, dilations = RESNET_V1C_STRIDES[output_stride]
    outputs = {}
    for stage, (blocks, stride, dilation, level) in enumerate(zip(stage_blocks, strides, dilations, PYRAMID_LEVELS)):
        planes = base_channels * 2**stage
        for block in range(blocks):
            first = block == 0
            rate = dilation // 2 if (first and contract_dilation and dilation > 1) else dilation
            x = _bottleneck(x, planes, stride if first else 1, rate, f"layer{stage + 1}.{block}", data_format)
        outputs[level] = x
    return keras.Model(images, outputs, name=name)


def _conv(x, filters, kernel_size, stride, dilation, name, data_format):
    """torch `Conv2d(bias=False, padding=dilation * (k - 1) // 2)`, mmseg-initialised."""
    padding = dilation * (kernel_size - 1) // 2
    if stride > 1 and padding:
        x = keras.layers.ZeroPadding2D(padding, data_format=data_format, name=module_path_name(f"{name}_pad"))(x)
        mode = "valid"
    else:
        mode = "same"  # stride 1: symmetric, as torch's
    return keras.layers.Conv2D(
        filters, kernel_size, strides=stride, padding=mode, dilation_rate=dilation, use_bias=False,
        kernel_initializer=kaiming_fan_out(), data_format=data_format, name=module_path_name(name),
    )(x)


def _bottleneck(x, planes, stride, dilation, name, data_format):
    """mmseg's Bottleneck, "pytorch" style: stride and dilation on the 3x3 `conv2`."""
    axis = channel_axis(data_format)
    in_channels = x.shape[axis]
    shortcut = x
    y = _conv(x, planes, 1, 1, 1, f"{name}.conv1", data_format)
    y = batch_norm(module_path_name(f"{name}.bn1"), axis)(y)
    y = keras.layers.ReLU(name=module_path_name(f"{name}.relu1"))(y)
    y = _conv(y, planes, 3, stride, dilation, f"{name}.conv2", data_format)
    y = batch_norm(module_path_name(f"{name}.bn2"), axis)(y)
    y = keras.layers.ReLU(name=module_path_name(f"{name}.relu2"))(y)
    y = _conv(y, planes * _EXPANSION, 1, 1, 1, f"{name}.conv3", data_format)
    # mmseg's `zero_init_residual=True`: a new block starts as the identity of its shortcut.
    y = keras.layers.BatchNormalization(
        axis=axis, momentum=0.9, epsilon=1e-5, gamma_initializer="zeros",
        name=module_path_name(f"{name}.bn3"),
    )(y)
    if stride != 1 or in_channels != planes * _EXPANSION:
        shortcut = _conv(x, planes * _EXPANSION, 1, stride, 1, f"{name}.downsample.0", data_format)
        shortcut = batch_norm(module_path_name(f"{name}.downsample.1"), axis)(shortcut)
    y = keras.layers.Add(name=module_path_name(f"{name}.add"))([y, shortcut])
    return keras.layers.ReLU(name=module_path_name(f"{name}.relu"))(y)


# The ResNet encoders the `*_resnet_c` segmenters take by name (`model.encoder`):
# KerasHub's ResNet-vd (their default, from `keras_rr.networks.backbones.resnet_c`) or
# mmseg's ResNetV1c (this module).
RESNET_ENCODERS = ("resnet_vd", "resnet_v1c")


def is_pyramid_model(encoder):
    """Whether `encoder` is a functional model from images to a dict with `"P2"`..`"P5"`.

    Args:
        encoder: anything.

    Returns:
        bool: True for a `resnet_v1c_backbone` (or `dilated_resnet`) model.
    """
    outputs = getattr(encoder, "output", None) if isinstance(encoder, keras.Model) else None
    return isinstance(outputs, dict) and all(level in outputs for level in PYRAMID_LEVELS)


def resnet_v1c_encoder(encoder, depth, output_stride, image_size, name="image_encoder"):
    """A segmenter's ResNetV1c encoder, or None when `encoder` does not ask for one.

    Args:
        encoder: `"resnet_v1c"` (a random ResNetV1c of `depth` is built),
            a `resnet_v1c_backbone` model (used as it is; its output stride must be
            `output_stride` and its input size fit `image_size`), or anything else
            (None, `"resnet_vd"`, a KerasHub `ResNetBackbone`: the caller's KerasHub
            path; None is returned).
        depth: int. 50 or 101, for `"resnet_v1c"`.
        output_stride: int. 8, 16 or 32.
        image_size: int or None. Square input size.
        name: str. Name of the returned model. Defaults to `"image_encoder"`.

    Returns:
        A functional `keras.Model` from images to the dict of `"P2"`..`"P5"`, named
        `name`, or None.

    Example:

    >>> encoder = resnet_v1c_encoder("resnet_v1c", 50, 8, 512)  # mmseg's ResNetV1c-d8
    """
    if isinstance(encoder, str):
        if validation.check_choice(encoder, RESNET_ENCODERS, "encoder") == "resnet_vd":
            return None
        return resnet_v1c_backbone(depth, output_stride, image_size, name=name)
    if not is_pyramid_model(encoder):
        return None
    channels_last = keras.config.image_data_format() == "channels_last"
    in_shape = tuple(encoder.input.shape[1:3] if channels_last else encoder.input.shape[2:4])
    if image_size is not None and None not in in_shape and in_shape != (image_size, image_size):
        raise ValueError(
            f"`encoder` takes {in_shape} images, the segmenter {image_size}: build it with "
            f"`image_size={image_size}` or None. Received: image_size={image_size}"
        )
    probe = 64 * 32
    shape = (1, probe, probe, 3) if channels_last else (1, 3, probe, probe)
    if None in in_shape:
        p5 = encoder.compute_output_spec(keras.KerasTensor(shape))["P5"].shape
        stride = probe // (p5[1] if channels_last else p5[2])
    else:
        p5 = encoder.output["P5"].shape
        stride = in_shape[0] // (p5[1] if channels_last else p5[2])
    if stride != output_stride:
        raise ValueError(
            f"`encoder` has output stride {stride}; this segmenter needs {output_stride} "
            f"(`resnet_v1c_backbone(output_stride={output_stride})`). Received: an encoder of output stride {stride}"
        )
    return keras.Model(encoder.input, dict(encoder.output), name=name)
