"""The pixel cross-entropy: from logits, ignoring unlabeled pixels, over the global batch.

`pixel_cross_entropy` is the per-pixel term every cross-entropy here shares (class
weights optional); `masked_cross_entropy` averages it over the labeled pixels, of the
*global* batch with `across_replicas=True`. It is the pixel loss of
`RegionRebalanceSegmenter` (`loss="auto"`) and of the auxiliary FCN head, and the CE term
of `DiceCrossEntropy`.
"""

import numpy as np
from keras import ops

from keras_rr import replica_context
from keras_rr import validation


def pixel_cross_entropy(y_true, y_pred, num_classes, ignore_class, class_weights=None, num_classes_name="num_classes"):
    """Per-pixel `-w[y] log softmax(y_pred)[y]` (0 at unlabeled pixels) and the valid mask.

    Args:
        y_true: int tensor `(B, H, W)` or `(B, H, W, 1)`.
        y_pred: float tensor `(B, H, W, K)` of logits.
        num_classes: int. `K`.
        ignore_class: int or None. Label of unlabeled pixels; ids outside `[0, K)` are
            unlabeled too.
        class_weights: array-like `(K,)` or None. Defaults to `None`.
        num_classes_name: str. What `num_classes` is called in errors.

    Returns:
        `(losses, valid)`: float32 tensors of shape `(B, H, W)`.

    Example:

    >>> losses, valid = pixel_cross_entropy(labels, logits, 150, 255)
    """
    logits = ops.cast(ops.convert_to_tensor(y_pred), "float32")
    labels, valid = validation.sparse_label_targets(y_true, logits, num_classes, ignore_class, num_classes_name)
    log_probs = logits - ops.logsumexp(logits, axis=-1, keepdims=True)
    losses = -ops.take_along_axis(log_probs, ops.expand_dims(labels, -1), axis=-1)[..., 0] * valid
    if class_weights is not None:
        losses = losses * ops.take(ops.convert_to_tensor(np.asarray(class_weights, "float32")), labels)
    return losses, valid


def masked_cross_entropy(y_true, y_pred, num_classes, ignore_class=255, sample_weight=None, across_replicas=False):
    """Sparse cross-entropy from logits, averaged over labeled pixels (0 if none, never NaN).

    Args:
        y_true: int tensor `(B, H, W)` or `(B, H, W, 1)`.
        y_pred: float tensor `(B, H, W, K)` of logits.
        num_classes: int.
        ignore_class: int or None. Defaults to `255`.
        sample_weight: None, per-image `(B,)` or per-pixel `(B, H, W)` weights: each
            pixel's loss is multiplied by its weight; the divisor stays the number of
            labeled pixels (as Keras divides by the element count). Defaults to `None`.
        across_replicas: bool. Under `tf.distribute`, return this replica's share of
            the global-batch mean: local sum / labeled pixels of all replicas, so the
            shares add up to the mean of one device whatever number of ignored pixels
            each replica holds (Keras' own reduction averages per replica). The same as
            `False` without a strategy. Defaults to `False` (the local mean, for use
            inside a `keras.losses.Loss`, which Keras scales itself).

    Returns:
        float32 scalar tensor.

    Example:

    >>> logits = np.zeros((1, 1, 2, 2), "float32")
    >>> masked_cross_entropy(np.array([[[0, 255]]]), logits, 2)  # log 2 over 1 pixel
    0.6931
    """
    losses, valid = pixel_cross_entropy(y_true, y_pred, num_classes, ignore_class)
    if sample_weight is not None:
        losses = losses * validation.pixel_weight_map(sample_weight, validation.squeeze_label_channel(y_true))
    count = ops.sum(valid)
    if across_replicas:
        count = replica_context.cross_replica_sum(count)
    return ops.sum(losses) / ops.maximum(count, 1.0)
