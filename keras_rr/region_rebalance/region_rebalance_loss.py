"""The Region Rebalance loss: balanced softmax over region logits with the region prior.

`region_rebalance_loss` is the one function that computes the region loss (paper eq. 8,
docs/method.md section 3): `RegionRebalanceHead` (and so the training wrapper) and the
Keras `RegionRebalanceLoss` both call it, so what `fit` optimises and what the public loss
computes cannot drift apart.
"""

import keras
from keras import ops

from keras_rr import validation
from keras_rr.pixel_losses.balanced_softmax_cross_entropy import log_class_prior

REDUCTIONS = ("sum_over_batch_size", "mean", "sum", "none")


def region_cross_entropy(region_logits, log_prior=None, label_smoothing=0.0, region_labels=None):
    """Per-region cross-entropy of region logits, with an optional log prior (balanced softmax).

    By default the logits are `(B, K, K)` and region `(b, k)` has target class `k`
    (the layout `region_mean` produces); `region_labels` gives explicit targets instead.
    Label smoothing uses targets `(1 - eps) * one_hot + eps / K`.

    Args:
        region_logits: float tensor `(..., K)`; `(B, K, K)` when `region_labels` is None.
        log_prior: float `(K,)` or None. Added to the logits; None means plain CE.
        label_smoothing: float in [0, 1). Defaults to `0.0`.
        region_labels: int tensor `region_logits.shape[:-1]` of class ids in `[0, K)`, or
            None for the `(B, K, K)` layout. Defaults to `None`.

    Returns:
        float32 tensor `region_logits.shape[:-1]` (callers mask invalid regions).

    Example:

    >>> logits = np.zeros((1, 2, 2), "float32")
    >>> keras_rr.losses.region_cross_entropy(logits)  # log 2 for both regions
    """
    logits = ops.cast(region_logits, "float32")
    num_classes = logits.shape[-1]
    if log_prior is not None:
        logits = logits + ops.cast(log_prior, "float32")
    log_probs = logits - ops.logsumexp(logits, axis=-1, keepdims=True)
    if region_labels is None:
        # Region (b, k) has target k: its log-probability is the diagonal of (K, K).
        target_log_probs = ops.diagonal(log_probs, axis1=-2, axis2=-1)
    else:
        labels = ops.expand_dims(ops.cast(region_labels, "int32"), -1)
        target_log_probs = ops.take_along_axis(log_probs, labels, axis=-1)[..., 0]
    if not label_smoothing:
        return -target_log_probs
    # Smoothed targets (1 - eps) * one_hot(k) + eps / K, without building them.
    smoothed = (1.0 - label_smoothing) * target_log_probs
    return -(smoothed + (label_smoothing / num_classes) * ops.sum(log_probs, axis=-1))


def region_rebalance_loss(
    region_logits,
    region_mask,
    region_frequency=None,
    label_smoothing=0.0,
    region_labels=None,
    reduction="sum_over_batch_size",
    region_weights=None,
    prior_epsilon=None,
):
    """Balanced-softmax cross-entropy of the valid regions (paper eq. 8).

    `L_reg = mean over valid regions r of -log softmax(z_r + log F)[y_r]`, where region
    `(b, k)` has label `k` (or `region_labels`). F(k) = 0 is clamped to 1, never `log 0`.
    A batch with no valid region gives 0, never NaN.

    Args:
        region_logits: float tensor `(B, K, K)`: logits of region `(b, k)` (or
            `(..., K)` with `region_labels`).
        region_mask: bool tensor `region_logits.shape[:-1]`: which regions exist (from
            `keras_rr.ops.region_mean`).
        region_frequency: array-like `(K,)` or None. Number of training images that
            contain each class, F(k). None gives plain CE (the paper's "component I").
        label_smoothing: float in [0, 1). Defaults to `0.0`.
        region_labels: int tensor of target ids, or None for the `(B, K, K)` layout.
            Defaults to `None`.
        reduction: `"sum_over_batch_size"` / `"mean"` (mean over valid regions),
            `"sum"` (sum over valid regions) or `"none"` (per-region losses, 0 where
            the mask is False). Defaults to `"sum_over_batch_size"`.
        region_weights: float tensor of `region_mask`'s shape, or None. Multiplies each
            region's loss (the mean sample weight of its pixels); the mean still
            divides by the number of valid regions, as Keras' losses divide by the
            number of elements. Defaults to `None` (weight 1).
        prior_epsilon: float or None. See `log_class_prior`'s `epsilon` (the authors'
            prior: 1e-12). Defaults to `None`.

    Returns:
        float32 scalar (or a tensor of `region_mask`'s shape for `reduction="none"`).

    Example:

    >>> region_features, region_mask = keras_rr.ops.region_mean(features, labels, K)
    >>> logits = region_classifier(region_features)
    >>> loss = keras_rr.losses.region_rebalance_loss(logits, region_mask, freq)
    """
    validation.check_choice(reduction, REDUCTIONS, "reduction")
    validation.check_number(label_smoothing, "label_smoothing", 0.0, 1.0, max_inclusive=False)
    region_logits = ops.convert_to_tensor(region_logits)
    log_prior = None
    if region_frequency is not None:
        num_classes = region_logits.shape[-1]
        log_prior = ops.convert_to_tensor(
            log_class_prior(region_frequency, num_classes, "region_frequency", epsilon=prior_epsilon)
        )
    per_region = region_cross_entropy(region_logits, log_prior, label_smoothing, region_labels)
    mask = ops.cast(region_mask, "float32")
    if region_weights is not None:
        per_region = per_region * ops.cast(region_weights, "float32")
    # `where`, not a product: a non-existent region's logits may be anything.
    per_region = ops.where(mask > 0, per_region, 0.0)
    if reduction == "none":
        return per_region
    total = ops.sum(per_region)
    if reduction == "sum":
        return total
    return total / ops.maximum(ops.sum(mask), 1.0)


@keras.saving.register_keras_serializable(package="keras_rr")
class RegionRebalanceLoss(keras.losses.Loss):
    """The region loss as a Keras `Loss`: `y_true` region classes, `y_pred` region logits.

    Calls `region_rebalance_loss` (the function the training wrapper uses). `y_true` holds
    the class of each region and `ignore_class` for regions that do not exist; for the
    output of `region_mean`, `y_true = where(region_mask, arange(K), ignore_class)`. The
    default reduction averages over the existing regions; if none exists the loss is 0.

    Args:
        region_frequency: array-like `(K,)` or None. F(k), number of training images
            containing class k. None (or `rebalance=False`) gives plain CE.
        rebalance: bool. Add `log F` to the logits. Defaults to `True`.
        label_smoothing: float in [0, 1). Defaults to `0.0`.
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
        label_smoothing=0.0,
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
            region_frequency = [float(c) for c in validation.check_counts(region_frequency, "region_frequency")]
        self.region_frequency = region_frequency
        self.rebalance = bool(rebalance)
        self.label_smoothing = validation.check_number(
            label_smoothing, "label_smoothing", 0.0, 1.0, max_inclusive=False
        )
        self.ignore_class = validation.check_ignore_class(ignore_class)

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        num_classes = y_pred.shape[-1]
        y_true = ops.cast(ops.convert_to_tensor(y_true), "int32")
        mask = validation.valid_label_mask(y_true, num_classes, self.ignore_class)
        losses = region_rebalance_loss(
            y_pred,
            mask,
            self.region_frequency if self.rebalance else None,
            self.label_smoothing,
            region_labels=ops.where(mask, y_true, 0),
            reduction="none",
        )
        if self.reduction not in ("sum_over_batch_size", "mean"):
            return losses
        # Keras divides the summed values by their number; rescaling by all / valid makes
        # that the mean over existing regions (what Keras does for masked values).
        size = ops.cast(ops.size(losses), "float32")
        return losses * size / ops.maximum(ops.sum(ops.cast(mask, "float32")), 1.0)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "region_frequency": self.region_frequency,
                "rebalance": self.rebalance,
                "label_smoothing": self.label_smoothing,
                "ignore_class": self.ignore_class,
            }
        )
        return config
