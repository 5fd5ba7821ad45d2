"""mmcv's conv building blocks, as functional Keras layers.

The decode heads (`keras_rr.networks.decode_heads`: DeepLabV3+, UPerNet, PSPNet, the
auxiliary FCN head) are written with these, so that every conv of every head is
initialised and normalised the way mmsegmentation's are:

- `batch_norm`: torch's `BatchNorm2d` defaults (mmseg's SyncBN): momentum 0.1 (Keras
  0.9), epsilon 1e-5.
- `kaiming_fan_out`: mmcv `ConvModule`'s initialisation (Kaiming normal, fan_out, ReLU
  gain).
- `conv_module`: mmcv `ConvModule`: conv without bias -> BatchNorm -> ReLU.
- `separable_conv_module`: mmcv `DepthwiseSeparableConvModule`: a depthwise 3x3
  `ConvModule` and a pointwise 1x1 one.
"""

import keras


def channel_axis(data_format=None):
    """The channel axis (-1 or 1) of `data_format` (default: Keras's image data format)."""
    data_format = data_format or keras.config.image_data_format()
    return -1 if data_format == "channels_last" else 1


def batch_norm(name, axis=-1):
    """A `BatchNormalization` with torch's defaults: momentum 0.9 (torch 0.1), epsilon 1e-5.

    Args:
        name: str. Layer name.
        axis: int. Channel axis. Defaults to `-1`.

    Returns:
        A `keras.layers.BatchNormalization`.
    """
    return keras.layers.BatchNormalization(axis=axis, momentum=0.9, epsilon=1e-5, name=name)


def kaiming_fan_out():
    """mmcv `ConvModule`'s kernel initialiser: Kaiming normal, mode fan_out, ReLU gain.

    (Keras counts a depthwise kernel's fans the other way round, so for a
    `DepthwiseConv2D` torch's fan_out is Keras's `"fan_in"`.)
    """
    return keras.initializers.VarianceScaling(2.0, mode="fan_out", distribution="untruncated_normal")


def conv_module(x, filters, kernel_size, name, data_format=None, dilation_rate=1, separator="_"):
    """mmcv `ConvModule` (conv without bias -> BN -> ReLU) applied to `x`.

    "same" padding is torch's `padding=dilation * (kernel_size - 1) // 2` for the odd
    kernel sizes and stride 1 the heads use. Layers are named `{name}_conv`,
    `{name}_bn`, `{name}_relu`; with `separator="."` (for parts whose layer names are
    mmseg module paths, read by the torch-checkpoint importer) they are mmcv's own
    children, `{name}.conv`, `{name}.bn`, `{name}.activate`; `separator="-"` is the same
    for networks that must build on Keras' torch backend, which refuses `.` in layer
    names (its `torch.nn.ParameterDict` keys); the importer reads `-` as `.`.

    Args:
        x: a 4-D Keras tensor.
        filters: int. Output channels.
        kernel_size: int.
        name: str. Prefix of the layer names.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.
        dilation_rate: int. Defaults to `1`.
        separator: `"_"`, `"."` or `"-"`. How the children's names join `name`. Defaults to `"_"`.

    Returns:
        The output Keras tensor.

    Example:

    >>> x = conv_module(features, 512, 3, "fpn_bottleneck")
    >>> x = conv_module(features, 512, 3, "decode_head.1.bottleneck", separator=".")
    """
    data_format = data_format or keras.config.image_data_format()
    if separator not in ("_", ".", "-"):
        raise ValueError(f"separator must be '_', '.' or '-', got {separator!r}.")
    names = {"conv": "conv", "bn": "bn", "relu": "relu"} if separator == "_" else {
        "conv": "conv", "bn": "bn", "relu": "activate"}
    x = keras.layers.Conv2D(
        filters,
        kernel_size,
        padding="same",
        dilation_rate=dilation_rate,
        use_bias=False,
        kernel_initializer=kaiming_fan_out(),
        data_format=data_format,
        name=f"{name}{separator}{names['conv']}",
    )(x)
    x = batch_norm(f"{name}{separator}{names['bn']}", channel_axis(data_format))(x)
    return keras.layers.ReLU(name=f"{name}{separator}{names['relu']}")(x)


def separable_conv_module(x, filters, name, data_format=None, dilation_rate=1):
    """mmcv `DepthwiseSeparableConvModule`: 3x3 depthwise -> BN -> ReLU -> 1x1 -> BN -> ReLU.

    Layers are named `{name}_depthwise`, `{name}_depthwise_bn`, `{name}_depthwise_relu`
    and `{name}_pointwise_{conv,bn,relu}`.

    Args:
        x: a 4-D Keras tensor.
        filters: int. Output channels of the pointwise conv.
        name: str. Prefix of the layer names.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.
        dilation_rate: int. Dilation of the depthwise conv. Defaults to `1`.

    Returns:
        The output Keras tensor.

    Example:

    >>> x = separable_conv_module(features, 512, "aspp_1", dilation_rate=12)
    """
    data_format = data_format or keras.config.image_data_format()
    x = keras.layers.DepthwiseConv2D(
        3,
        padding="same",
        dilation_rate=dilation_rate,
        use_bias=False,
        # torch's fan_out of a depthwise kernel is Keras' fan_in (see `kaiming_fan_out`).
        depthwise_initializer=keras.initializers.VarianceScaling(2.0, mode="fan_in", distribution="untruncated_normal"),
        data_format=data_format,
        name=f"{name}_depthwise",
    )(x)
    x = batch_norm(f"{name}_depthwise_bn", channel_axis(data_format))(x)
    x = keras.layers.ReLU(name=f"{name}_depthwise_relu")(x)
    return conv_module(x, filters, 1, f"{name}_pointwise", data_format)
