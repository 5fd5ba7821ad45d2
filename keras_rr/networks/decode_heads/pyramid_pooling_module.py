"""mmseg's pyramid pooling module (`PPM`), shared by the PSP and UPer heads."""

import keras

from keras_rr.networks.layers.conv_module import conv_module
from keras_rr.networks.layers.resize_like import ResizeLike
from keras_rr.networks.layers.torch_adaptive_average_pooling import TorchAdaptiveAveragePooling2D

POOL_SCALES = (1, 2, 3, 6)  # mmseg's PSPNet and UPerNet bins


def pyramid_pooling_module(x, pool_scales, channels, name, data_format=None):
    """mmseg's `PPM`: per scale s, adaptive average pooling to s x s bins, a 1x1
    `conv_module` to `channels`, bilinear resizing (half-pixel, torch
    `align_corners=False`) back to `x`'s size.

    The pooling is `keras_rr.layers.TorchAdaptiveAveragePooling2D`: torch's
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

    Example:

    >>> branches = pyramid_pooling_module(c5, (1, 2, 3, 6), 512, "psp")
    """
    data_format = data_format or keras.config.image_data_format()
    outputs = []
    for scale in pool_scales:
        pooled = TorchAdaptiveAveragePooling2D(scale, data_format=data_format, name=f"{name}_{scale}_pool")(x)
        pooled = conv_module(pooled, channels, 1, f"{name}_{scale}", data_format)
        outputs.append(ResizeLike(data_format=data_format, name=f"{name}_{scale}_resize")([pooled, x]))
    return outputs
