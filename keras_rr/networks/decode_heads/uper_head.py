"""mmseg's `UPerHead`: a feature pyramid (FPN) with the pyramid pooling module on top."""

import keras

from keras_rr.networks.decode_heads.pyramid_pooling_module import POOL_SCALES
from keras_rr.networks.decode_heads.pyramid_pooling_module import pyramid_pooling_module
from keras_rr.networks.layers.conv_module import channel_axis
from keras_rr.networks.layers.conv_module import conv_module
from keras_rr.networks.layers.resize_like import ResizeLike


def uper_head(features, channels=512, pool_scales=POOL_SCALES, data_format=None):
    """The decoder features of mmseg's `UPerHead` on four maps (strides 4, 8, 16, 32).

    1x1 laterals of the three finer maps, the PSP module on the coarsest, a top-down
    pathway (bilinear resize + add), 3x3 FPN convs, every level resized to the finest and
    concatenated, fused by a 3x3 conv (`"fpn_bottleneck"`).

    Args:
        features: list of four Keras tensors, finest first.
        channels: int. Head width. Defaults to `512`.
        pool_scales: tuple of ints. PPM bins. Defaults to `(1, 2, 3, 6)`.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.

    Returns:
        The decoder features, `channels` wide, at the finest map's resolution.

    Example:

    >>> logits = segmentation_classifier(uper_head([c2, c3, c4, c5], 512), 150)
    """
    data_format = data_format or keras.config.image_data_format()
    axis = channel_axis(data_format)
    features = list(features)
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
    return conv_module(x, channels, 3, "fpn_bottleneck", data_format)
