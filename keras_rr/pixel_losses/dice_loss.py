"""Dice loss over softmax probabilities, ignore-aware (a paper Table 1 baseline).

`DiceCrossEntropy` adds `masked_cross_entropy` (`keras_rr.pixel_losses.masked_cross_entropy`). Why pixel-level rebalancing such as
Dice falls short is discussed in `docs/method.md`, section 1.
"""

import keras
from keras import ops

from keras_rr import validation
from keras_rr.pixel_losses.masked_cross_entropy import masked_cross_entropy

def _check_dice_arguments(num_classes, ignore_class, smooth):
    """The arguments `DiceLoss` and `DiceCrossEntropy` share, validated."""
    return (
        validation.check_num_classes(num_classes, minimum=2),
        validation.check_ignore_class(ignore_class),
        validation.check_number(smooth, "smooth", minimum=0.0),
    )


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
    labels, valid = validation.sparse_label_targets(y_true, y_pred, num_classes, ignore_class)
    valid = ops.expand_dims(valid, -1)
    probs = ops.softmax(y_pred, axis=-1) * valid
    targets = ops.one_hot(labels, num_classes) * valid
    axes = tuple(range(len(probs.shape) - 1))
    intersection = ops.sum(probs * targets, axis=axes)
    denominator = ops.sum(probs, axis=axes) + ops.sum(targets, axis=axes)
    dice = (2.0 * intersection + smooth) / (denominator + smooth)
    return 1.0 - ops.mean(dice)


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
        self.num_classes, self.ignore_class, self.smooth = _check_dice_arguments(num_classes, ignore_class, smooth)

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
        self, num_classes, ignore_class=255, dice_weight=1.0, smooth=1.0, reduction="sum_over_batch_size",
        name="dice_cross_entropy", dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.num_classes, self.ignore_class, self.smooth = _check_dice_arguments(num_classes, ignore_class, smooth)
        self.dice_weight = validation.check_number(dice_weight, "dice_weight", minimum=0.0)

    def call(self, y_true, y_pred):
        # Pure functions, not nested Loss objects: each Loss call would divide by the
        # number of replicas again under a distribution strategy.
        ce = masked_cross_entropy(y_true, y_pred, self.num_classes, self.ignore_class)
        dice = dice_loss(y_true, y_pred, self.num_classes, self.ignore_class, self.smooth)
        return ops.reshape(ce + self.dice_weight * dice, (1,))

    def get_config(self):
        config = super().get_config()
        config.update(
            {"num_classes": self.num_classes, "ignore_class": self.ignore_class, "dice_weight": self.dice_weight,
             "smooth": self.smooth}
        )
        return config
