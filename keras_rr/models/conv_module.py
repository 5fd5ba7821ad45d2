"""mmcv's building blocks for segmentation heads, as functional Keras layers.

The heads of `keras_rr.models` (DeepLabV3+, UPerNet, PSPNet, the auxiliary FCN head)
are written with these, so that every conv of every head is initialised and normalised
the way mmsegmentation's are:

- `batch_norm`: torch's `BatchNorm2d` defaults (mmseg's SyncBN): momentum 0.1 (Keras
  0.9), epsilon 1e-5.
- `kaiming_fan_out`: mmcv `ConvModule`'s initialisation (Kaiming normal, fan_out, ReLU
  gain).
- `conv_module`: mmcv `ConvModule`: conv without bias -> BatchNorm -> ReLU.
- `pyramid_pooling_module`: mmseg's `PPM` (PSPNet, UPerNet): adaptive average pooling
  to each of `pool_scales` bins, a 1x1 `conv_module`, bilinear resizing back.
- `classifier`: mmseg's `conv_seg`: a 1x1 conv with bias, weights N(0, 0.01), bias 0.
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


def conv_module(x, filters, kernel_size, name, data_format=None, dilation_rate=1):
    """mmcv `ConvModule` (conv without bias -> BN -> ReLU) applied to `x`.

    "same" padding is torch's `padding=dilation * (kernel_size - 1) // 2` for the odd
    kernel sizes and stride 1 the heads use. Layers are named `{name}_conv`,
    `{name}_bn`, `{name}_relu`.

    Args:
        x: a 4-D Keras tensor.
        filters: int. Output channels.
        kernel_size: int.
        name: str. Prefix of the layer names.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.
        dilation_rate: int. Defaults to `1`.

    Returns:
        The output Keras tensor.

    Example:

    >>> x = conv_module(features, 512, 3, "fpn_bottleneck")
    """
    data_format = data_format or keras.config.image_data_format()
    x = keras.layers.Conv2D(
        filters,
        kernel_size,
        padding="same",
        dilation_rate=dilation_rate,
        use_bias=False,
        kernel_initializer=kaiming_fan_out(),
        data_format=data_format,
        name=f"{name}_conv",
    )(x)
    x = batch_norm(f"{name}_bn", channel_axis(data_format))(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def pyramid_pooling_module(x, pool_scales, channels, name, data_format=None):
    """mmseg's `PPM`: per scale s, adaptive average pooling to s x s bins, a 1x1
    `conv_module` to `channels`, bilinear resizing (half-pixel, torch
    `align_corners=False`) back to `x`'s size.

    The pooling is `keras_rr.models.TorchAdaptiveAveragePooling2D`: torch's
    `AdaptiveAvgPool2d` bins (bin i spans `floor(i * H / s)` to `ceil((i + 1) * H / s)`,
    overlapping when `s` does not divide `H`), which needs static spatial sizes
    (`keras.layers.AdaptiveAveragePooling2D` fails in TF graphs, see that layer).

    Args:
        x: a 4-D Keras tensor with static spatial sizes.
        pool_scales: sequence of ints. E.g. `(1, 2, 3, 6)`.
        channels: int. Output channels of each branch.
        name: str. Layer names are `{name}_{s}_pool`, `{name}_{s}_conv`, ...,
            `{name}_{s}_resize`.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.

    Returns:
        list of Keras tensors, one per scale, each of `x`'s spatial size.
    """
    from keras_rr.models.resnet_c import ResizeLike  # resnet_c builds on this module
    from keras_rr.models.torch_adaptive_average_pooling import TorchAdaptiveAveragePooling2D

    data_format = data_format or keras.config.image_data_format()
    outputs = []
    for scale in pool_scales:
        pooled = TorchAdaptiveAveragePooling2D(scale, data_format=data_format, name=f"{name}_{scale}_pool")(x)
        pooled = conv_module(pooled, channels, 1, f"{name}_{scale}", data_format)
        outputs.append(ResizeLike(data_format=data_format, name=f"{name}_{scale}_resize")([pooled, x]))
    return outputs


def classifier(x, num_classes, data_format=None, name="classifier"):
    """mmseg's `conv_seg`: a 1x1 conv with bias, kernel N(0, 0.01) (mmseg's `normal_init`),
    bias 0.

    Args:
        x: a 4-D Keras tensor.
        num_classes: int.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.
        name: str. Defaults to `"classifier"` (the layer the Region Rebalance wrapper's
            tap reads the input of).

    Returns:
        The logits Keras tensor.
    """
    return keras.layers.Conv2D(
        num_classes,
        1,
        kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
        data_format=data_format or keras.config.image_data_format(),
        name=name,
    )(x)
