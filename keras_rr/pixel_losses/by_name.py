"""Pixel losses by name: the baseline and the pixel-rebalancing ablations (paper Table 1).

The ablations and what each one shows are described in `docs/method.md`, section 4.
"""

import keras

from keras_rr import validation
from keras_rr.pixel_losses.balanced_softmax_cross_entropy import BalancedSoftmaxCrossEntropy
from keras_rr.pixel_losses.blv_cross_entropy import BLVCrossEntropy
from keras_rr.pixel_losses.class_weighted_cross_entropy import ClassWeightedCrossEntropy
from keras_rr.pixel_losses.class_weighted_cross_entropy import inverse_frequency_weights
from keras_rr.pixel_losses.dice_loss import DiceCrossEntropy
from keras_rr.pixel_losses.dice_loss import DiceLoss

PIXEL_LOSSES = (
    "cross_entropy",
    "reweighting",
    "pixel_balanced_softmax",
    "region_balanced_softmax",
    "dice",
    "dice_cross_entropy",
    "blv",
)


def make_pixel_loss(name, num_classes, statistics=None, ignore_class=255):
    """Builds a pixel loss (on logits) by name.

    Args:
        name: one of `PIXEL_LOSSES`:
            `"cross_entropy"` (baseline), `"reweighting"` (CE with inverse pixel
            frequency class weights), `"pixel_balanced_softmax"` (logits + log pixel
            prior), `"region_balanced_softmax"` (logits + log region prior, the paper's
            "pixel balanced softmax*"), `"dice"`, `"dice_cross_entropy"`.
        num_classes: int. Number of classes.
        statistics: object with `pixel_counts` and `region_counts` (a
            `keras_rr.data.ClassStatistics`); needed by the rebalancing losses.
        ignore_class: int or None. Defaults to `255`.

    Returns:
        A `keras.losses.Loss` taking `(labels, logits)`.

    Example:

    >>> loss = make_pixel_loss("reweighting", 150, statistics=stats)
    """
    validation.check_choice(name, PIXEL_LOSSES, "name")
    num_classes = validation.check_num_classes(num_classes, minimum=2)
    if name in ("reweighting", "pixel_balanced_softmax", "region_balanced_softmax", "blv"):
        if statistics is None:
            raise ValueError(
                f"The pixel loss {name!r} needs class `statistics` (pixel and region counts). "
                "Received: statistics=None"
            )
        for field in ("pixel_counts", "region_counts"):
            validation.check_counts(getattr(statistics, field, None), f"statistics.{field}", num_classes)
    if name == "cross_entropy":
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=ignore_class)
    if name == "reweighting":
        return ClassWeightedCrossEntropy(inverse_frequency_weights(statistics.pixel_counts), ignore_class)
    if name == "pixel_balanced_softmax":
        return BalancedSoftmaxCrossEntropy(statistics.pixel_counts, ignore_class=ignore_class)
    if name == "region_balanced_softmax":
        return BalancedSoftmaxCrossEntropy(statistics.region_counts, ignore_class=ignore_class)
    if name == "blv":
        return BLVCrossEntropy(statistics.pixel_counts, ignore_class=ignore_class)
    if name == "dice":
        return DiceLoss(num_classes, ignore_class)
    return DiceCrossEntropy(num_classes, ignore_class)
