"""Balanced softmax cross-entropy: cross-entropy on logits shifted by a log class prior.

`log_class_prior` is the prior; with pixel counts it gives the paper's "pixel balanced
softmax" ablation, with region counts F(k) on region logits the Region Rebalance loss
(`keras_rr.region_rebalance.region_rebalance_loss`).
"""

import keras
import numpy as np
from keras import ops

from keras_rr import validation


def log_class_prior(class_counts, num_classes=None, name="class_counts", epsilon=None):
    """Returns `log(max(count, 1))` as a float32 NumPy vector, validating the counts.

    The prior of balanced softmax: with region counts F(k) it is the Region Rebalance
    prior (paper eq. 8); the pixel balanced-softmax ablations use it with pixel counts.
    Counts of 0 are clamped to 1 so an absent class gets the smallest prior instead of
    `-inf` (which would turn into NaN in the softmax). Counts need not be normalised:
    a constant shift of all logits leaves the softmax unchanged.

    Args:
        class_counts: array-like `(K,)` of non-negative counts (pixels, regions or
            images per class).
        num_classes: int or None. If given, the expected length.
        name: str. Argument name used in error messages.
        epsilon: float or None. If given, the prior is `log(count / sum(counts) + epsilon)`
            instead (the authors' released code uses 1e-12): the same for present
            classes up to a constant shift, but an absent class gets about
            `log(epsilon)` and is effectively never predicted. Defaults to `None`.

    Returns:
        float32 NumPy array `(K,)`.

    Example:

    >>> keras_rr.losses.log_class_prior([100, 10, 0])  # [4.605, 2.303, 0.0]
    """
    counts = validation.check_counts(class_counts, name, num_classes)
    if epsilon is not None:
        epsilon = validation.check_number(epsilon, "epsilon", minimum=0.0, min_inclusive=False)
        return np.log(counts / max(float(np.sum(counts)), 1.0) + epsilon).astype("float32")
    return np.log(np.maximum(counts, 1.0)).astype("float32")


def balanced_softmax_cross_entropy(y_true, y_pred, class_counts, ignore_class=None, axis=-1):
    """Balanced softmax cross-entropy (Ren et al., 2020) with a class-count prior.

    Computes sparse categorical cross-entropy on `y_pred + log(max(class_counts, 1))`.
    With pixel counts this is the paper's "pixel balanced softmax"; with region counts
    (images containing each class) applied to region logits it is the Region Rebalance
    loss (`docs/method.md`, section 3).

    Args:
        y_true: integer tensor of class ids, shape `y_pred.shape[:-1]`.
        y_pred: float tensor of logits, classes on `axis`.
        class_counts: array-like `(K,)` of non-negative counts.
        ignore_class: int or None. Targets equal to it contribute 0 and are excluded
            from the mean by the `Loss` reduction. Defaults to `None`.
        axis: int. Class axis of `y_pred`. Defaults to `-1`.

    Returns:
        float32 tensor of per-element losses, shape `y_true.shape`.

    Example:

    >>> logits = np.array([[2.0, 0.0]], "float32")
    >>> keras_rr.losses.balanced_softmax_cross_entropy([1], logits, [1, 1])
    ... # == -log(softmax([2, 0])[1]) = 2.127
    """
    y_pred = ops.cast(ops.convert_to_tensor(y_pred), "float32")
    num_classes = y_pred.shape[axis]
    log_prior = log_class_prior(class_counts, num_classes)
    shape = [1] * len(y_pred.shape)
    shape[axis] = num_classes
    logits = y_pred + ops.reshape(ops.convert_to_tensor(log_prior), shape)
    return keras.losses.sparse_categorical_crossentropy(
        y_true, logits, from_logits=True, ignore_class=ignore_class, axis=axis
    )


@keras.saving.register_keras_serializable(package="keras_rr")
class BalancedSoftmaxCrossEntropy(keras.losses.Loss):
    """Sparse cross-entropy on logits shifted by `log(class prior)`, ignore-aware.

    Usable for pixels (`(B, H, W)` targets, `(B, H, W, K)` logits) and for regions.
    With `reduction="sum_over_batch_size"` the mean is over non-ignored elements, and a
    batch whose every element is ignored gives 0, not NaN.

    Args:
        class_counts: array-like `(K,)` of non-negative per-class counts; zeros are
            clamped to 1.
        ignore_class: int or None. Target value to ignore. Defaults to `None`.
        axis: int. Class axis. Defaults to `-1`.
        reduction: str. Keras reduction. Defaults to `"sum_over_batch_size"`.
        name: str. Defaults to `"balanced_softmax_cross_entropy"`.
        dtype: loss dtype. Defaults to `None` (float32).

    Example:

    >>> loss = keras_rr.losses.BalancedSoftmaxCrossEntropy(pixel_counts, ignore_class=255)
    >>> model.compile(optimizer="sgd", loss=loss)
    """

    def __init__(
        self, class_counts, ignore_class=None, axis=-1, reduction="sum_over_batch_size",
        name="balanced_softmax_cross_entropy", dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.class_counts = validation.check_counts(class_counts, "class_counts").tolist()
        self.ignore_class = validation.check_ignore_class(ignore_class)
        self.axis = axis

    def call(self, y_true, y_pred):
        return balanced_softmax_cross_entropy(
            y_true, y_pred, self.class_counts, ignore_class=self.ignore_class, axis=self.axis
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {"class_counts": self.class_counts, "ignore_class": self.ignore_class, "axis": self.axis}
        )
        return config
