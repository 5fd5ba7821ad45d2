"""The Region Rebalance loss: balanced softmax over region logits with the region prior."""

import keras
import numpy as np
from keras import ops

from keras_rr.losses.balanced_softmax_cross_entropy import balanced_softmax_cross_entropy
from keras_rr.losses.balanced_softmax_cross_entropy import log_class_prior


def region_cross_entropy(region_logits, log_prior=None, label_smoothing=0.0):
    """Per-region cross-entropy of `(B, K, K)` region logits against their own class.

    Region `(b, k)` has target class `k`. The prior, when given, is added to the logits
    (balanced softmax). Returns float32 `(B, K)`; callers mask invalid regions.

    Args:
        region_logits: float tensor `(B, K, K)`.
        log_prior: float `(K,)` or None. `log(max(F, 1))`; None means plain CE.
        label_smoothing: float in [0, 1). Smooths the one-hot targets (the authors'
            released head uses it). Defaults to `0.0`.

    Returns:
        float32 tensor `(B, K)`.
    """
    logits = ops.cast(region_logits, "float32")
    num_classes = logits.shape[-1]
    if log_prior is not None:
        logits = logits + ops.cast(log_prior, "float32")
    log_probs = logits - ops.logsumexp(logits, axis=-1, keepdims=True)
    # Region (b, k) has target k: its log-probability is the diagonal of (K, K).
    target_log_probs = ops.diagonal(log_probs, axis1=-2, axis2=-1)
    if not label_smoothing:
        return -target_log_probs
    # Smoothed targets (1 - eps) * one_hot(k) + eps / K, without building them.
    smoothed = (1.0 - label_smoothing) * target_log_probs
    return -(smoothed + (label_smoothing / num_classes) * ops.sum(log_probs, axis=-1))


def region_rebalance_loss(region_logits, region_mask, region_frequency=None, label_smoothing=0.0):
    """Mean balanced-softmax cross-entropy over valid regions (method.md §3, eq. 8).

    `L_reg = mean over valid regions r of -log softmax(z_r + log F)[y_r]` where region
    `(b, k)` has label `k`. A batch with no valid region returns 0, never NaN.

    Args:
        region_logits: float tensor `(B, K, K)`: logits of region `(b, k)`.
        region_mask: bool tensor `(B, K)`: which regions exist (from `region_mean`).
        region_frequency: array-like `(K,)` or None. Number of training images that
            contain each class, F(k); zeros are clamped to 1. None gives plain CE (the
            paper's "component I" ablation).
        label_smoothing: float. Defaults to `0.0`.

    Returns:
        float32 scalar.

    Example:

    >>> region_features, region_mask = keras_rr.ops.region_mean(features, labels, K)
    >>> logits = region_classifier(region_features)
    >>> loss = keras_rr.region_rebalance.region_rebalance_loss(logits, region_mask, freq)
    """
    region_logits = ops.convert_to_tensor(region_logits)
    num_classes = region_logits.shape[-1]
    log_prior = None
    if region_frequency is not None:
        log_prior = ops.convert_to_tensor(log_class_prior(region_frequency, num_classes, "region_frequency"))
    per_region = region_cross_entropy(region_logits, log_prior, label_smoothing)
    mask = ops.cast(region_mask, "float32")
    return ops.sum(per_region * mask) / ops.maximum(ops.sum(mask), 1.0)


@keras.saving.register_keras_serializable(package="keras_rr")
class RegionRebalanceLoss(keras.losses.Loss):
    """Region classification loss with the region-frequency prior, as a Keras `Loss`.

    `y_true` holds the class of each region, with `ignore_class` for regions that do
    not exist; `y_pred` the region logits. For the output of `region_mean`, build
    `y_true = where(region_mask, arange(K), ignore_class)`. The default reduction
    averages over existing regions; if none exists the loss is 0.

    Args:
        region_frequency: array-like `(K,)` or None. F(k), number of training images
            containing class k. None (or `rebalance=False`) gives plain CE.
        rebalance: bool. Add `log F` to the logits. Defaults to `True`.
        ignore_class: int. Marks non-existent regions in `y_true`. Defaults to `-1`.
        reduction: str. Defaults to `"sum_over_batch_size"`.
        name: str. Defaults to `"region_rebalance_loss"`.
        dtype: loss dtype. Defaults to `None`.

    Example:

    >>> loss_fn = keras_rr.losses.RegionRebalanceLoss(region_frequency=[500, 20, 3])
    >>> loss_fn(np.array([[0, -1, 2]]), region_logits)  # mean over regions 0 and 2
    """

    def __init__(
        self,
        region_frequency=None,
        rebalance=True,
        ignore_class=-1,
        reduction="sum_over_batch_size",
        name="region_rebalance_loss",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if rebalance and region_frequency is None:
            raise ValueError(
                "`region_frequency` is required when `rebalance=True`. Received: region_frequency=None"
            )
        if region_frequency is not None:
            log_class_prior(region_frequency, name="region_frequency")
            region_frequency = [float(c) for c in np.asarray(region_frequency).ravel()]
        self.region_frequency = region_frequency
        self.rebalance = rebalance
        self.ignore_class = ignore_class

    def call(self, y_true, y_pred):
        num_classes = y_pred.shape[-1]
        counts = self.region_frequency if self.rebalance else np.ones(num_classes)
        return balanced_softmax_cross_entropy(y_true, y_pred, counts, ignore_class=self.ignore_class)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "region_frequency": self.region_frequency,
                "rebalance": self.rebalance,
                "ignore_class": self.ignore_class,
            }
        )
        return config
