"""Dice loss and Dice + cross-entropy (paper Table 1) against NumPy."""

import numpy as np
import pytest

from keras_rr.losses import DiceCrossEntropy
from keras_rr.losses import DiceLoss
from keras_rr.losses import dice_loss
from tests.harness import random_labels
from tests.harness import run_serialization_test
from tests.harness import to_numpy
from tests.references import np_dice_loss
from tests.references import np_sparse_cross_entropy

K = 5


def batch(seed=0, ignore_fraction=0.25):
    logits = np.random.default_rng(seed).normal(size=(2, 3, 4, K)).astype("float32") * 2
    return random_labels((2, 3, 4), K, ignore_fraction=ignore_fraction, seed=seed), logits


def test_dice_hand_computed():
    # Two classes, p = 0.5 everywhere; labels [0, 1]. Per class: Σpt = 0.5, Σp = 1, Σt = 1
    # -> (2*0.5 + 1) / (1 + 1 + 1) = 2/3, so the loss is 1 - 2/3 = 1/3.
    logits = np.zeros((1, 1, 2, 2), "float32")
    labels = np.array([[[0, 1]]], "int32")
    np.testing.assert_allclose(to_numpy(DiceLoss(2)(labels, logits)), 1 / 3, rtol=1e-5)
    np.testing.assert_allclose(to_numpy(dice_loss(labels, logits, 2)), 1 / 3, rtol=1e-5)
    # An ignored pixel drops out of every sum: labels [0, 255] -> class 0: (1 + 1)/(0.5 + 1 + 1) = 0.8,
    # class 1: (0 + 1)/(0.5 + 0 + 1) = 2/3; loss = 1 - (0.8 + 2/3)/2 = 4/15.
    labels = np.array([[[0, 255]]], "int32")
    np.testing.assert_allclose(to_numpy(DiceLoss(2)(labels, logits)), 4 / 15, rtol=1e-5)
    # A label outside [0, K) drops out the same way.
    np.testing.assert_allclose(to_numpy(DiceLoss(2, ignore_class=None)(np.array([[[0, 7]]]), logits)), 4 / 15, rtol=1e-5)


def test_dice_matches_numpy_with_ignore_and_channel_axis():
    labels, logits = batch(3)
    expected = np_dice_loss(labels, logits, K)
    np.testing.assert_allclose(to_numpy(DiceLoss(K)(labels, logits)), expected, rtol=1e-5)
    np.testing.assert_allclose(to_numpy(DiceLoss(K)(labels[..., None], logits)), expected, rtol=1e-5)
    np.testing.assert_allclose(
        to_numpy(DiceLoss(K, smooth=0.5)(labels, logits)), np_dice_loss(labels, logits, K, smooth=0.5), rtol=1e-5
    )


def test_dice_all_ignored_is_zero_and_perfect_prediction_is_near_zero():
    labels, logits = batch(4)
    ignored = np.full_like(labels, 255)
    value = to_numpy(DiceLoss(K)(ignored, logits))
    assert np.isfinite(value) and abs(value) < 1e-6
    # Every class present and predicted with probability ~1: Dice ~1 per class.
    full = np.tile(np.arange(K, dtype="int32"), 4).reshape(1, 4, K)
    perfect = np.eye(K, dtype="float32")[full] * 50.0
    assert to_numpy(DiceLoss(K, smooth=0.0)(full, perfect)) < 1e-5


def test_dice_cross_entropy_is_ce_plus_weighted_dice():
    labels, logits = batch(5)
    _, ce = np_sparse_cross_entropy(labels, logits, class_weights=[1.0] * K)
    dice = np_dice_loss(labels, logits, K)
    np.testing.assert_allclose(to_numpy(DiceCrossEntropy(K)(labels, logits)), ce + dice, rtol=1e-5)
    np.testing.assert_allclose(
        to_numpy(DiceCrossEntropy(K, dice_weight=0.5)(labels[..., None], logits)), ce + 0.5 * dice, rtol=1e-5
    )
    ignored = np.full_like(labels, 255)
    value = to_numpy(DiceCrossEntropy(K)(ignored, logits))
    assert np.isfinite(value) and abs(value) < 1e-6


@pytest.mark.parametrize(
    "loss",
    [DiceLoss(K, ignore_class=None, smooth=0.5), DiceCrossEntropy(K, dice_weight=0.3, smooth=2.0)],
    ids=lambda loss: type(loss).__name__,
)
def test_dice_losses_round_trip_through_config(loss):
    restored = run_serialization_test(loss)
    labels, logits = batch(6, ignore_fraction=0.0)
    np.testing.assert_allclose(to_numpy(restored(labels, logits)), to_numpy(loss(labels, logits)), rtol=1e-6)


@pytest.mark.parametrize("cls", [DiceLoss, DiceCrossEntropy])
def test_bad_dice_arguments(cls):
    with pytest.raises(ValueError, match="num_classes"):
        cls(1)
    with pytest.raises(ValueError, match="num_classes"):
        cls(3.0)
    with pytest.raises(ValueError, match="smooth"):
        cls(3, smooth=-1.0)
    with pytest.raises(ValueError, match="ignore_class"):
        cls(3, ignore_class=0.5)
    labels, logits = batch()
    with pytest.raises(ValueError, match="6 classes|5 classes"):
        cls(K + 1)(labels, logits)
    with pytest.raises(ValueError, match="without the class axis"):
        cls(K)(labels[0], logits)


def test_bad_dice_weight():
    with pytest.raises(ValueError, match="dice_weight"):
        DiceCrossEntropy(3, dice_weight=-1.0)
    with pytest.raises(ValueError, match="dice_weight"):
        DiceCrossEntropy(3, dice_weight=float("nan"))
