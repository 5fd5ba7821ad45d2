"""`ResizeLike`: resizes a map to another map's spatial size (mmseg's `resize`)."""

import keras
from keras import ops

from keras_rr import validation


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
        **kwargs: `keras.layers.Layer` arguments such as `name`.

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
