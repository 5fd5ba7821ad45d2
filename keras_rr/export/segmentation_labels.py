"""Per-pixel class ids and scores computed inside the exported graph."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_rr")
class SegmentationLabels(keras.layers.Layer):
    """Turns per-pixel class scores into a label map and the winning score.

    Deployments rarely want `K` float maps per image: this layer, appended to a
    segmenter by `keras_rr.export.inference_model(model, outputs="labels")`, returns
    the per-pixel argmax (int32 class ids) and the maximum of the segmenter's output
    at that pixel (a logit for a logits model, a probability for a model ending in a
    softmax). Ties go to the lowest class id, as in `numpy.argmax`.

    Args:
        axis: int. The class axis of the input. Defaults to `-1` (channels last).
        **kwargs: base layer keyword arguments (`name`, `dtype`, ...).

    Input shape:
        `(B, H, W, K)` scores (class axis `axis`).

    Output:
        dict with `labels` `(B, H, W)` int32 and `scores` `(B, H, W)` in the input dtype.

    Example:

    >>> layer = keras_rr.export.SegmentationLabels()
    >>> out = layer(np.array([[[[0.1, 2.0, -1.0]]]], "float32"))
    >>> out["labels"].tolist(), out["scores"].tolist()
    ([[[1]]], [[[2.0]]])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, scores):
        # argmax as "the smallest class id whose score equals the maximum": max, equal,
        # where and min only. `keras.ops.argmax` on TensorFlow adds a Bitcast/BitwiseAnd
        # (for -0.0) that neither tf2onnx nor the builtin LiteRT ops support.
        best = ops.max(scores, axis=self.axis, keepdims=True)
        num_classes = scores.shape[self.axis]  # static: a segmenter has K outputs
        shape = [1] * len(scores.shape)
        shape[self.axis] = num_classes
        class_ids = ops.reshape(ops.arange(num_classes, dtype="int32"), shape)
        candidates = ops.where(ops.equal(scores, best), class_ids, num_classes)
        return {
            "labels": ops.cast(ops.min(candidates, axis=self.axis), "int32"),
            "scores": ops.squeeze(best, axis=self.axis),
        }

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        del shape[self.axis]
        return {"labels": tuple(shape), "scores": tuple(shape)}

    def compute_output_spec(self, scores):
        shape = self.compute_output_shape(scores.shape)
        return {
            "labels": keras.KerasTensor(shape["labels"], dtype="int32"),
            "scores": keras.KerasTensor(shape["scores"], dtype=scores.dtype),
        }

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis})
        return config
