"""`TorchAdaptiveAveragePooling2D`: torch's `AdaptiveAvgPool2d` bins, as pooling matrices."""

import keras
import numpy as np
from keras import ops

from keras_rr import validation


def adaptive_pooling_matrix(size, bins):
    """`(bins, size)` matrix averaging torch's `AdaptiveAvgPool` bins of a length-`size` axis.

    Bin `i` spans `floor(i * size / bins)` to `ceil((i + 1) * size / bins)` (exclusive):
    neighbouring bins overlap when `bins` does not divide `size`, and repeat pixels when
    `bins > size`.

    Example:

    >>> adaptive_pooling_matrix(4, 3)  # bins [0, 2), [1, 3), [2, 4)
    """
    matrix = np.zeros((bins, size), "float32")
    for i in range(bins):
        start, end = (i * size) // bins, -((-(i + 1) * size) // bins)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


@keras.saving.register_keras_serializable(package="keras_rr")
class TorchAdaptiveAveragePooling2D(keras.layers.Layer):
    """Adaptive average pooling to `output_size` bins with torch's bin edges, on every backend.

    mmseg's PPM uses `nn.AdaptiveAvgPool2d`. `keras.layers.AdaptiveAveragePooling2D`
    (Keras 3.15) fails inside a TensorFlow graph (`fit`, compiled `predict`) where a
    bin count divides the map ("Negative dimension size caused by subtracting 9 from
    8" for 1 bin on an 8x8 map). This layer multiplies by two constant averaging
    matrices (`adaptive_pooling_matrix`) instead: the same numbers as torch, jit-safe,
    for static spatial sizes.

    Args:
        output_size: int or tuple of 2 ints. Bins along height and width.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.
        **kwargs: `keras.layers.Layer` arguments such as `name`.

    Call arguments:
        inputs: a 4-D map with static height and width.

    Returns:
        `(B, bins_h, bins_w, C)` (channels_last).

    Example:

    >>> pooled = TorchAdaptiveAveragePooling2D(6)(features)
    """

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        sizes = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
        self.output_size = tuple(validation.check_int(s, "output_size", minimum=1) for s in sizes)
        self.data_format = validation.check_data_format(data_format)

    def _spatial_axes(self):
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def build(self, input_shape):
        sizes = [input_shape[axis] for axis in self._spatial_axes()]
        if any(s is None for s in sizes):
            raise ValueError(
                f"`TorchAdaptiveAveragePooling2D` needs static spatial sizes. Received: input_shape={input_shape}"
            )
        self.height_matrix = adaptive_pooling_matrix(sizes[0], self.output_size[0])
        self.width_matrix = adaptive_pooling_matrix(sizes[1], self.output_size[1])

    def call(self, inputs):
        height = ops.convert_to_tensor(self.height_matrix, dtype=inputs.dtype)
        width = ops.convert_to_tensor(self.width_matrix, dtype=inputs.dtype)
        equation = "ih,jw,bhwc->bijc" if self.data_format == "channels_last" else "ih,jw,bchw->bcij"
        return ops.einsum(equation, height, width, inputs)

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        for axis, size in zip(self._spatial_axes(), self.output_size):
            output_shape[axis] = size
        return tuple(output_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"output_size": list(self.output_size), "data_format": self.data_format})
        return config
