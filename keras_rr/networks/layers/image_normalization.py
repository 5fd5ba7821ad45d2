"""`ImageNormalization`: a backbone's expected input scaling, as a layer inside the model."""

import keras
import numpy as np
from keras import ops

from keras_rr import validation


def _as_values(value, name):
    """None, a float, or a per-channel tuple of floats (validated)."""
    if value is None:
        return None
    if isinstance(value, (list, tuple, np.ndarray)):
        values = tuple(validation.check_number(float(v), name) for v in np.asarray(value, "float64").ravel())
        if not values:
            raise ValueError(f"`{name}` must not be empty. Received: {name}={value!r}")
        return values
    return validation.check_number(value, name)


@keras.saving.register_keras_serializable(package="keras_rr")
class ImageNormalization(keras.layers.Layer):
    """Computes `images * scale + offset` per channel: what a pretrained backbone expects.

    Pretrained backbones expect their inputs scaled the way they were trained (KerasHub
    image converters: `scale=1/255`, or ImageNet mean/std as per-channel `scale` and
    `offset`). Putting that step inside the model, instead of in a data pipeline, makes
    training, evaluation, inference and every exported artifact see the same values: the
    model takes raw RGB images with values in [0, 255].

    Args:
        scale: float, per-channel sequence of floats, or None (no scaling).
        offset: float, per-channel sequence of floats, or None (no offset).
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `keras.config.image_data_format()`.
        **kwargs: `keras.layers.Layer` arguments such as `name` and `dtype`.

    Example:

    ```python
    # ImageNet mean/std for [0, 255] inputs, as KerasHub's ResNet converters hold them.
    normalize = keras_rr.layers.ImageNormalization(
        scale=[1 / (0.229 * 255), 1 / (0.224 * 255), 1 / (0.225 * 255)],
        offset=[-0.485 / 0.229, -0.456 / 0.224, -0.406 / 0.225])
    normalize = keras_rr.layers.ImageNormalization.from_image_converter(task.preprocessor.image_converter)
    ```
    """

    def __init__(self, scale=None, offset=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.scale = _as_values(scale, "scale")
        self.offset = _as_values(offset, "offset")
        self.data_format = validation.check_data_format(data_format)

    @classmethod
    def from_image_converter(cls, image_converter, **kwargs):
        """The normalisation of a KerasHub `ImageConverter` (its `scale` and `offset`).

        Only the value transform is taken: the converter's resizing is not (images reach
        the model at its input size, e.g. through the training crop).

        Args:
            image_converter: a `keras_hub.layers.ImageConverter` (or any object with
                `scale` and `offset` attributes).
            **kwargs: layer arguments, e.g. `name`.

        Returns:
            An `ImageNormalization`.
        """
        if not hasattr(image_converter, "scale") or not hasattr(image_converter, "offset"):
            raise ValueError(
                "`image_converter` must have `scale` and `offset` attributes (a KerasHub "
                f"ImageConverter). Received: {type(image_converter).__name__}"
            )
        kwargs.setdefault("data_format", getattr(image_converter, "data_format", None))
        return cls(scale=image_converter.scale, offset=image_converter.offset, **kwargs)

    def _per_channel(self, values, inputs):
        if not isinstance(values, tuple) or len(values) == 1:
            return float(values[0] if isinstance(values, tuple) else values)
        channel_axis = -1 if self.data_format == "channels_last" else 1
        channels = inputs.shape[channel_axis]
        if channels is not None and channels != len(values):
            raise ValueError(
                f"{len(values)} per-channel values for images with {channels} channels. "
                f"Received: images.shape={tuple(inputs.shape)}"
            )
        shape = [1] * len(inputs.shape)
        shape[channel_axis] = len(values)
        return ops.reshape(ops.convert_to_tensor(np.asarray(values, "float32"), dtype=self.compute_dtype), shape)

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        if self.scale is not None:
            x = x * self._per_channel(self.scale, x)
        if self.offset is not None:
            x = x + self._per_channel(self.offset, x)
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"scale": self.scale, "offset": self.offset, "data_format": self.data_format})
        return config
