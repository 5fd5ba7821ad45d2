"""mmseg's `DepthwiseSeparableASPPHead`: the DeepLabV3+ decode head."""

import keras

from keras_rr import validation
from keras_rr.networks.layers.conv_module import channel_axis
from keras_rr.networks.layers.conv_module import conv_module
from keras_rr.networks.layers.conv_module import separable_conv_module
from keras_rr.networks.layers.resize_like import ResizeLike

# ASPP dilations of mmsegmentation's DeepLabV3+ configs: d8 models use (12, 24, 36), d16
# models (6, 12, 18) (the 1x1 branch is mmseg's dilation 1).
ASPP_DILATIONS = {8: (12, 24, 36), 16: (6, 12, 18)}


def depthwise_separable_aspp_head(x, low_level, channels=512, low_level_channels=48, aspp_dilations=(12, 24, 36),
                                  data_format=None):
    """The decoder features of mmseg's `DepthwiseSeparableASPPHead` (what `cls_seg` reads).

    - ASPP on `x`: image pooling (global average -> 1x1 conv -> broadcast), a 1x1 conv
      and three depthwise-separable 3x3 convs with dilations `aspp_dilations`,
      concatenated and fused by a plain 3x3 conv (ASPPHead's `bottleneck`), all with
      `channels` filters;
    - decoder: the fused map bilinearly resized to `low_level` (1/4), concatenated with
      a 1x1 conv of `low_level` to `low_level_channels`, then two depthwise-separable
      3x3 convs.

    Every conv is mmcv's `ConvModule` (`keras_rr.networks.layers.conv_module`).

    Args:
        x: a 4-D Keras tensor: the encoder's last map (stride 8 for the d8 models).
        low_level: a 4-D Keras tensor: the stride-4 map (`P2`).
        channels: int. Head width (mmseg: 512). Defaults to `512`.
        low_level_channels: int. Width of the projected low-level map (mmseg: 48).
            Defaults to `48`.
        aspp_dilations: tuple of 3 ints. `ASPP_DILATIONS[output_stride]` in mmseg.
            Defaults to `(12, 24, 36)`.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.

    Returns:
        The decoder features, `channels` wide, at `low_level`'s resolution.

    Example:

    >>> x = depthwise_separable_aspp_head(features["P5"], features["P2"])
    >>> logits = segmentation_classifier(x, 150)
    """
    data_format = data_format or keras.config.image_data_format()
    channels = validation.check_int(channels, "channels", minimum=1)
    low_level_channels = validation.check_int(low_level_channels, "low_level_channels", minimum=1)
    aspp_dilations = tuple(validation.check_int(d, "aspp_dilations", minimum=1) for d in aspp_dilations)
    axis = channel_axis(data_format)
    pooled = keras.layers.GlobalAveragePooling2D(data_format=data_format, keepdims=True, name="aspp_pool")(x)
    pooled = conv_module(pooled, channels, 1, "aspp_pool", data_format)
    branches = [ResizeLike(data_format=data_format, name="aspp_pool_resize")([pooled, x])]
    branches.append(conv_module(x, channels, 1, "aspp_0", data_format))
    for i, rate in enumerate(aspp_dilations):
        branches.append(separable_conv_module(x, channels, f"aspp_{i + 1}", data_format, dilation_rate=rate))
    x = keras.layers.Concatenate(axis=axis, name="aspp_concat")(branches)
    x = conv_module(x, channels, 3, "aspp_bottleneck", data_format)  # not separable in mmseg

    low_level = conv_module(low_level, low_level_channels, 1, "low_level", data_format)
    x = ResizeLike(data_format=data_format, name="aspp_resize")([x, low_level])
    x = keras.layers.Concatenate(axis=axis, name="decoder_concat")([x, low_level])
    x = separable_conv_module(x, channels, "decoder_0", data_format)
    return separable_conv_module(x, channels, "decoder_1", data_format)
