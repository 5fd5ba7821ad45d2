"""`NormalizedSegmenter`: a segmenter that takes raw RGB images and normalises them itself."""

import keras

from keras_rr.networks.layers.image_normalization import ImageNormalization


def _image_converter(segmenter):
    """The image converter of a KerasHub task's preprocessor, or None."""
    preprocessor = getattr(segmenter, "preprocessor", None)
    return getattr(preprocessor, "image_converter", None)


@keras.saving.register_keras_serializable(package="keras_rr")
class NormalizedSegmenter(keras.Model):
    """`images (0-255 RGB) -> ImageNormalization -> segmenter`, as one functional model.

    A pretrained backbone expects normalised inputs (KerasHub image converters: `1/255`
    or ImageNet mean/std). With the normalisation inside the model, training (the
    `tf.data` pipelines yield float32 images in [0, 255]), evaluation, `predict` and
    every export apply it identically, and a deployed model cannot be fed the wrong
    scale. `keras_rr.models.RegionRebalanceSegmenter` wraps a KerasHub task that has a
    preprocessor in one of these automatically, and finds the decoder features through
    it.

    Only the converter's value transform moves into the model, not its resizing: images
    must arrive at the model's input size (the training pipeline crops to it).

    Args:
        segmenter: a functional `keras.Model` mapping normalised images to per-pixel
            class scores (e.g. a KerasHub `ImageSegmenter`).
        scale: float, per-channel floats, or None. See `keras_rr.layers.ImageNormalization`.
        offset: float, per-channel floats, or None.
        **kwargs: `keras.Model` arguments such as `name`.

    Attributes:
        inner: the wrapped model, fed normalised images. (Not called `segmenter`: code
            that unwraps a `RegionRebalanceSegmenter` by its `segmenter` attribute must
            not strip the normalisation off this model.)
        normalization: the `ImageNormalization` layer.

    Example:

    ```python
    task = keras_hub.models.ImageSegmenter.from_preset("deeplab_v3_plus_resnet50_pascalvoc")
    segmenter = keras_rr.models.NormalizedSegmenter.from_task(task)
    scores = segmenter.predict(images_0_255)   # == task.predict(images_0_255)
    ```
    """

    def __init__(self, segmenter, scale=None, offset=None, **kwargs):
        if not isinstance(segmenter, keras.Model) or not getattr(segmenter, "inputs", None):
            raise ValueError(
                "`segmenter` must be a functional keras.Model. Received: "
                f"{type(segmenter).__name__}"
            )
        if len(segmenter.inputs) != 1:
            raise ValueError(
                f"`segmenter` must take one image input. Received: {len(segmenter.inputs)} inputs"
            )
        normalization = ImageNormalization(scale, offset, name="image_normalization")
        images = keras.Input(tuple(segmenter.inputs[0].shape[1:]), name="images")
        outputs = segmenter(normalization(images))
        kwargs.setdefault("name", f"{segmenter.name}_normalized")
        super().__init__(inputs=images, outputs=outputs, **kwargs)
        self.inner = segmenter
        self.normalization = normalization

    @classmethod
    def from_task(cls, task, **kwargs):
        """Moves a KerasHub task's preprocessor normalisation into the model.

        Args:
            task: a KerasHub `ImageSegmenter` with a `preprocessor` that has an
                `image_converter`.
            **kwargs: `keras.Model` arguments such as `name`.

        Returns:
            A `NormalizedSegmenter` whose `predict` equals `task.predict` on images of
            the task's input size.
        """
        converter = _image_converter(task)
        if converter is None:
            raise ValueError(
                f"{type(task).__name__} '{task.name}' has no preprocessor with an image "
                "converter: nothing to move into the model. Use it directly, or build a "
                "NormalizedSegmenter(segmenter, scale=..., offset=...)."
            )
        return cls(task, scale=converter.scale, offset=converter.offset, **kwargs)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "segmenter": keras.saving.serialize_keras_object(self.inner),
            "scale": self.normalization.scale,
            "offset": self.normalization.offset,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["segmenter"] = keras.saving.deserialize_keras_object(config["segmenter"])
        return cls(**config)
