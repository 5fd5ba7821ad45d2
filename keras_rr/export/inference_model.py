"""The model an export writes: the plain segmenter, optionally with labels in the graph."""

import keras

from keras_rr import validation
from keras_rr.export.segmentation_labels import SegmentationLabels

EXPORT_OUTPUTS = ("logits", "labels")


def plain_segmenter(model):
    """The inference segmenter of `model`: `model.segmenter` for the wrapper, else `model`.

    Duck-typed, so the export package does not import the training wrapper.

    Args:
        model: a `keras_rr.models.RegionRebalanceSegmenter` or a plain `keras.Model`.

    Returns:
        The `keras.Model` that inference runs (no region branch).
    """
    return getattr(model, "segmenter", model)


def inference_model(model, outputs="logits"):
    """The Keras model an export writes: the plain segmenter, or segmenter + labels.

    `outputs="logits"` returns the plain segmenter itself (`model.segmenter` for the
    wrapper): same weights, same outputs, none of the region branch. `outputs="labels"`
    returns a functional model that calls the segmenter and then
    `keras_rr.export.SegmentationLabels`: a dict of per-pixel `labels` (int32 argmax
    over classes) and `scores` (the maximum of the segmenter's output), computed inside
    the graph, so a deployment receives one small map per image instead of `K` floats.

    Args:
        model: a `keras_rr.models.RegionRebalanceSegmenter` or a plain `keras.Model`
            with one image input and one `(B, H, W, K)` output.
        outputs: `"logits"` or `"labels"`. Defaults to `"logits"`.

    Returns:
        A `keras.Model`.

    Example:

    >>> deployed = keras_rr.export.inference_model(rr_model, outputs="labels")
    >>> deployed.predict(images)["labels"].shape
    (2, 512, 512)
    """
    validation.check_choice(outputs, EXPORT_OUTPUTS, "outputs")
    segmenter = plain_segmenter(model)
    if outputs == "logits":
        return segmenter
    images = keras.Input(shape=tuple(segmenter.inputs[0].shape[1:]), name="images")
    axis = -1 if keras.config.image_data_format() == "channels_last" else 1
    labels = SegmentationLabels(axis=axis, name="segmentation_labels")(segmenter(images))
    return keras.Model(images, labels, name=f"{segmenter.name}_labels")
