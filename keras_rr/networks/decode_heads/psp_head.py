"""mmseg's `PSPHead`: the pyramid pooling module on the last map, fused by a 3x3 conv."""

import keras

from keras_rr.networks.decode_heads.pyramid_pooling_module import POOL_SCALES
from keras_rr.networks.decode_heads.pyramid_pooling_module import pyramid_pooling_module
from keras_rr.networks.layers.conv_module import channel_axis
from keras_rr.networks.layers.conv_module import conv_module


def psp_head(x, channels=512, pool_scales=POOL_SCALES, data_format=None):
    """The decoder features of mmseg's `PSPHead` (what its `cls_seg` reads).

    `x` concatenated with its `pyramid_pooling_module` branches (layer `"psp_concat"`),
    then a 3x3 `conv_module` (`"psp_bottleneck"`).

    Args:
        x: a 4-D Keras tensor with static spatial sizes (the encoder's last map).
        channels: int. Head width (mmseg: 512). Defaults to `512`.
        pool_scales: tuple of ints. PPM bins. Defaults to `(1, 2, 3, 6)`.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.

    Returns:
        The decoder features, `channels` wide, at `x`'s resolution.

    Example:

    >>> logits = segmentation_classifier(psp_head(features["P5"], 512), 150)
    """
    data_format = data_format or keras.config.image_data_format()
    branches = [x] + pyramid_pooling_module(x, pool_scales, channels, "psp", data_format)
    x = keras.layers.Concatenate(axis=channel_axis(data_format), name="psp_concat")(branches)
    return conv_module(x, channels, 3, "psp_bottleneck", data_format)
