"""Cross-entropy with per-class weights (the paper's "re-weighting" baseline).

The same per-pixel cross-entropy as `masked_cross_entropy`, with class weights. Why
re-weighting pixels is not enough is discussed in `docs/method.md`, section 1.
"""

import keras
import numpy as np
from keras import ops

from keras_rr import validation
from keras_rr.pixel_losses.masked_cross_entropy import pixel_cross_entropy


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
    counts = validation.check_counts(pixel_counts, "pixel_counts")
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
        self.class_weights = validation.check_counts(class_weights, "class_weights").tolist()
        self.ignore_class = validation.check_ignore_class(ignore_class)

    def call(self, y_true, y_pred):
        losses, valid = pixel_cross_entropy(
            y_true, y_pred, len(self.class_weights), self.ignore_class, self.class_weights,
            num_classes_name="len(class_weights)",
        )
        if self.reduction not in ("sum_over_batch_size", "mean"):
            return losses
        # Keras' mean divides by all elements; rescaling by total / labeled makes it
        # the sum over labeled pixels divided by their number.
        total = ops.cast(ops.size(valid), "float32")
        return losses * total / ops.maximum(ops.sum(valid), 1.0)

    def get_config(self):
        config = super().get_config()
        config.update({"class_weights": self.class_weights, "ignore_class": self.ignore_class})
        return config
