"""Cross-entropy with per-class weights (the paper's "re-weighting" baseline)."""

import keras
import numpy as np
from keras import ops


def inverse_frequency_weights(pixel_counts):
    """Class weights proportional to 1 / pixel frequency, with mean 1 over present classes.

    Absent classes (count 0) get weight 0: they never appear as targets anyway.

    Args:
        pixel_counts: array-like `(K,)` labeled pixels per class.

    Returns:
        float32 NumPy array `(K,)`.

    Example:

    >>> inverse_frequency_weights([300, 100, 0])  # [0.5, 1.5, 0.0]
    """
    counts = np.asarray(pixel_counts, dtype="float64")
    if counts.ndim != 1 or np.any(counts < 0) or not np.all(np.isfinite(counts)):
        raise ValueError(
            "`pixel_counts` must be a 1-D vector of non-negative counts. "
            f"Received: pixel_counts={counts.tolist()[:20]}"
        )
    present = counts > 0
    if not present.any():
        raise ValueError(
            f"`pixel_counts` has no positive count: nothing to weight. Received: pixel_counts={counts.tolist()[:20]}"
        )
    weights = np.zeros_like(counts)
    weights[present] = 1.0 / counts[present]
    weights[present] /= weights[present].mean()
    return weights.astype("float32")


@keras.saving.register_keras_serializable(package="keras_rr")
class ClassWeightedCrossEntropy(keras.losses.Loss):
    """Sparse cross-entropy from logits where each target pixel is weighted by its class.

    With the default reduction the loss is the weighted sum divided by the number of
    labeled pixels (mmseg's `avg_non_ignore` convention); ignored pixels contribute
    nothing, and a batch with no labeled pixel gives 0. With `reduction="none"` it
    returns the per-pixel weighted losses (0 at ignored pixels), with `"sum"` their sum.
    Labels may be `(B, H, W)` or `(B, H, W, 1)`.

    Args:
        class_weights: array-like `(K,)` of non-negative weights (see
            `inverse_frequency_weights`).
        ignore_class: int or None. Defaults to `255`.
        reduction: str. Defaults to `"sum_over_batch_size"`.
        name: str. Defaults to `"class_weighted_cross_entropy"`.
        dtype: loss dtype. Defaults to `None`.

    Example:

    >>> weights = keras_rr.losses.inverse_frequency_weights(stats.pixel_counts)
    >>> segmenter.compile(optimizer="sgd", loss=ClassWeightedCrossEntropy(weights))
    """

    def __init__(
        self, class_weights, ignore_class=255, reduction="sum_over_batch_size",
        name="class_weighted_cross_entropy", dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.class_weights = [float(w) for w in np.asarray(class_weights, "float64").ravel()]
        if any(w < 0 or not np.isfinite(w) for w in self.class_weights):
            raise ValueError(f"`class_weights` must be finite and >= 0. Received: {self.class_weights[:10]}")
        self.ignore_class = ignore_class

    def call(self, y_true, y_pred):
        logits = ops.cast(y_pred, "float32")
        num_classes = len(self.class_weights)
        if logits.shape[-1] is not None and logits.shape[-1] != num_classes:
            raise ValueError(
                f"The logits have {logits.shape[-1]} classes but `class_weights` has {num_classes} entries. "
                f"Received: y_pred.shape={tuple(logits.shape)}"
            )
        y_true = ops.convert_to_tensor(y_true)
        # Labels with a trailing channel axis, (B, H, W, 1), index like (B, H, W).
        if len(y_true.shape) == len(logits.shape) and y_true.shape[-1] == 1:
            y_true = ops.squeeze(y_true, axis=-1)
        y_true = ops.cast(y_true, "int32")
        valid = ops.logical_and(y_true >= 0, y_true < num_classes)
        if self.ignore_class is not None:
            valid = ops.logical_and(valid, y_true != self.ignore_class)
        safe = ops.where(valid, y_true, 0)
        log_probs = logits - ops.logsumexp(logits, axis=-1, keepdims=True)
        picked = ops.take_along_axis(log_probs, ops.expand_dims(safe, -1), axis=-1)[..., 0]
        weights = ops.take(ops.convert_to_tensor(np.asarray(self.class_weights, "float32")), safe)
        valid = ops.cast(valid, "float32")
        per_pixel = -picked * weights * valid
        if self.reduction not in ("sum_over_batch_size", "mean"):
            return per_pixel
        # Keras' mean divides by all elements; rescaling by total / labeled makes it
        # the sum over labeled pixels divided by their number.
        total = ops.cast(ops.size(valid), "float32")
        return per_pixel * total / ops.maximum(ops.sum(valid), 1.0)

    def get_config(self):
        config = super().get_config()
        config.update({"class_weights": self.class_weights, "ignore_class": self.ignore_class})
        return config
