"""Dice loss over softmax probabilities, ignore-aware (a paper Table 1 baseline)."""

import keras
import numpy as np
from keras import ops


def _labels_and_mask(y_true, y_pred, num_classes, ignore_class):
    """Integer labels shaped like `y_pred[..., 0]`, their validity mask and safe ids."""
    y_true = ops.convert_to_tensor(y_true)
    # Labels may carry a trailing channel axis, (B, H, W, 1), as Keras datasets often do.
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, axis=-1)
    if len(y_true.shape) != len(y_pred.shape) - 1:
        raise ValueError(
            "Labels must have the shape of the logits without the class axis. Received: "
            f"y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
        )
    if y_pred.shape[-1] is not None and y_pred.shape[-1] != num_classes:
        raise ValueError(
            f"The logits have {y_pred.shape[-1]} classes but the loss was built for {num_classes}. "
            f"Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    y_true = ops.cast(y_true, "int32")
    valid = ops.logical_and(y_true >= 0, y_true < num_classes)
    if ignore_class is not None:
        valid = ops.logical_and(valid, y_true != ignore_class)
    return ops.where(valid, y_true, 0), ops.cast(valid, "float32")


def dice_loss(y_true, y_pred, num_classes, ignore_class=255, smooth=1.0):
    """Soft multi-class Dice loss of a batch, `1 - mean_k (2 Σ p t + s) / (Σ p + Σ t + s)`.

    `p` are softmax probabilities of `y_pred`, `t` the one-hot targets; sums run over
    the labeled pixels of the whole batch, and every class counts equally (a class
    absent from the batch scores `s / (Σ p + s)`, which pushes its probability to 0).

    Args:
        y_true: int tensor `(B, H, W)` or `(B, H, W, 1)` of class ids.
        y_pred: float tensor `(B, H, W, K)` of logits.
        num_classes: int. `K`.
        ignore_class: int or None. Label excluded from the sums. Defaults to `255`.
        smooth: float. `s`. Defaults to `1.0`.

    Returns:
        float32 scalar tensor.

    Example:

    >>> logits = np.zeros((1, 1, 2, 2), "float32")    # p = 0.5 everywhere
    >>> dice_loss(np.array([[[0, 1]]]), logits, 2)    # 1 - (2*0.5 + 1) / (1 + 1 + 1)
    0.3333
    """
    y_pred = ops.cast(ops.convert_to_tensor(y_pred), "float32")
    labels, valid = _labels_and_mask(y_true, y_pred, num_classes, ignore_class)
    valid = ops.expand_dims(valid, -1)
    probs = ops.softmax(y_pred, axis=-1) * valid
    targets = ops.one_hot(labels, num_classes) * valid
    axes = tuple(range(len(probs.shape) - 1))
    intersection = ops.sum(probs * targets, axis=axes)
    denominator = ops.sum(probs, axis=axes) + ops.sum(targets, axis=axes)
    dice = (2.0 * intersection + smooth) / (denominator + smooth)
    return 1.0 - ops.mean(dice)


def masked_cross_entropy(y_true, y_pred, num_classes, ignore_class=255):
    """Sparse cross-entropy from logits, averaged over labeled pixels (0 if none).

    Args:
        y_true: int tensor `(B, H, W)` or `(B, H, W, 1)`.
        y_pred: float tensor `(B, H, W, K)` of logits.
        num_classes: int.
        ignore_class: int or None. Defaults to `255`.

    Returns:
        float32 scalar tensor.
    """
    y_pred = ops.cast(ops.convert_to_tensor(y_pred), "float32")
    labels, valid = _labels_and_mask(y_true, y_pred, num_classes, ignore_class)
    log_probs = y_pred - ops.logsumexp(y_pred, axis=-1, keepdims=True)
    picked = ops.take_along_axis(log_probs, ops.expand_dims(labels, -1), axis=-1)[..., 0]
    return -ops.sum(picked * valid) / ops.maximum(ops.sum(valid), 1.0)


@keras.saving.register_keras_serializable(package="keras_rr")
class DiceLoss(keras.losses.Loss):
    """Soft multi-class Dice loss, `1 - mean_k (2 Σ p t + s) / (Σ p + Σ t + s)`.

    Sums run over the labeled pixels of the batch; classes are averaged with equal
    weight (so rare classes count as much as frequent ones, which is why Dice alone
    trains poorly: paper Table 1, 1.14 mIoU). `y_pred` are logits. The loss is one
    value per batch (per replica under a distribution strategy); sample weights only
    scale it by their mean.

    Args:
        num_classes: int. Number of classes.
        ignore_class: int or None. Defaults to `255`.
        smooth: float. Smoothing term `s`. Defaults to `1.0`.
        reduction: str. Accepted for Keras compatibility; the loss is already one
            value per batch. Defaults to `"sum_over_batch_size"`.
        name: str. Defaults to `"dice_loss"`.
        dtype: loss dtype. Defaults to `None`.

    Example:

    >>> loss = keras_rr.losses.DiceLoss(num_classes=150)
    >>> segmenter.compile(optimizer="sgd", loss=loss)
    """

    def __init__(
        self, num_classes, ignore_class=255, smooth=1.0, reduction="sum_over_batch_size", name="dice_loss", dtype=None
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 2:
            raise ValueError(f"`num_classes` must be an int >= 2. Received: num_classes={num_classes!r}")
        if not smooth >= 0:
            raise ValueError(f"`smooth` must be >= 0. Received: smooth={smooth!r}")
        self.num_classes = int(num_classes)
        self.ignore_class = ignore_class
        self.smooth = float(smooth)

    def call(self, y_true, y_pred):
        loss = dice_loss(y_true, y_pred, self.num_classes, self.ignore_class, self.smooth)
        return ops.reshape(loss, (1,))

    def get_config(self):
        config = super().get_config()
        config.update({"num_classes": self.num_classes, "ignore_class": self.ignore_class, "smooth": self.smooth})
        return config


@keras.saving.register_keras_serializable(package="keras_rr")
class DiceCrossEntropy(keras.losses.Loss):
    """Dice loss plus sparse cross-entropy from logits (paper Table 1, "Dice + CE").

    `CE + dice_weight * Dice`, where CE is averaged over the labeled pixels (0 when
    every pixel is ignored) and Dice is `DiceLoss` on the same batch.

    Args:
        num_classes: int. Number of classes.
        ignore_class: int or None. Defaults to `255`.
        dice_weight: float. Weight of the Dice term. Defaults to `1.0`.
        smooth: float. Dice smoothing term. Defaults to `1.0`.
        reduction: str. Accepted for Keras compatibility; the loss is one value per
            batch. Defaults to `"sum_over_batch_size"`.
        name: str. Defaults to `"dice_cross_entropy"`.
        dtype: loss dtype. Defaults to `None`.

    Example:

    >>> loss = keras_rr.losses.DiceCrossEntropy(num_classes=150)
    """

    def __init__(
        self,
        num_classes,
        ignore_class=255,
        dice_weight=1.0,
        smooth=1.0,
        reduction="sum_over_batch_size",
        name="dice_cross_entropy",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 2:
            raise ValueError(f"`num_classes` must be an int >= 2. Received: num_classes={num_classes!r}")
        if not dice_weight >= 0:
            raise ValueError(f"`dice_weight` must be >= 0. Received: dice_weight={dice_weight!r}")
        if not smooth >= 0:
            raise ValueError(f"`smooth` must be >= 0. Received: smooth={smooth!r}")
        self.num_classes = int(num_classes)
        self.ignore_class = ignore_class
        self.dice_weight = float(dice_weight)
        self.smooth = float(smooth)

    def call(self, y_true, y_pred):
        # Pure functions, not nested Loss objects: each Loss call would divide by the
        # number of replicas again under a distribution strategy.
        ce = masked_cross_entropy(y_true, y_pred, self.num_classes, self.ignore_class)
        dice = dice_loss(y_true, y_pred, self.num_classes, self.ignore_class, self.smooth)
        return ops.reshape(ce + self.dice_weight * dice, (1,))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "ignore_class": self.ignore_class,
                "dice_weight": self.dice_weight,
                "smooth": self.smooth,
            }
        )
        return config
