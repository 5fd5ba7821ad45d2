"""Pixel-loss baselines of paper Table 1 against NumPy: re-weighting, Dice, Dice + CE."""

import keras
import numpy as np
import pytest

from keras_rr.data import ClassStatistics
from keras_rr.losses import BalancedSoftmaxCrossEntropy
from keras_rr.losses import ClassWeightedCrossEntropy
from keras_rr.losses import DiceCrossEntropy
from keras_rr.losses import DiceLoss
from keras_rr.losses import inverse_frequency_weights
from keras_rr.losses import make_pixel_loss
from tests import tiny_models
from tests.harness import to_numpy
from tests.references import np_dice_loss
from tests.references import np_sparse_cross_entropy

K = 5


def batch(seed=0, ignore_fraction=0.25):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(2, 3, 4, K)).astype("float32") * 2
    labels = rng.integers(0, K, size=(2, 3, 4)).astype("int32")
    labels[rng.random(labels.shape) < ignore_fraction] = 255
    return labels, logits


# ----------------------------------------------------------------------------- re-weighting
def test_inverse_frequency_weights_mean_one_over_present_classes():
    weights = inverse_frequency_weights([300, 100, 0, 50])
    # 1/n = [1/300, 1/100, -, 1/50] -> divided by their mean (0.01 + 0.00333 + 0.02) / 3.
    inv = np.array([1 / 300, 1 / 100, 1 / 50])
    np.testing.assert_allclose(weights[[0, 1, 3]], inv / inv.mean(), rtol=1e-6)
    assert weights[2] == 0.0
    np.testing.assert_allclose(weights[[0, 1, 3]].mean(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(inverse_frequency_weights([300, 100, 0]), [0.5, 1.5, 0.0], rtol=1e-6)
    assert weights.dtype == np.float32


@pytest.mark.parametrize("counts", [[1, -2], [[1, 2]], [0, 0], [1, np.nan]])
def test_inverse_frequency_weights_rejects_bad_counts(counts):
    with pytest.raises(ValueError, match="Received"):
        inverse_frequency_weights(counts)


def test_class_weighted_ce_matches_numpy_and_ignores_pixels():
    labels, logits = batch()
    weights = [0.5, 2.0, 1.0, 3.0, 0.25]
    per_pixel, expected = np_sparse_cross_entropy(labels, logits, class_weights=weights)
    loss = ClassWeightedCrossEntropy(weights, ignore_class=255)
    np.testing.assert_allclose(to_numpy(loss(labels, logits)), expected, rtol=1e-5)
    # A trailing label channel gives the same value.
    np.testing.assert_allclose(to_numpy(loss(labels[..., None], logits)), expected, rtol=1e-5)
    # Changing logits at ignored pixels changes nothing.
    other = logits.copy()
    other[labels == 255] += 10.0
    np.testing.assert_allclose(to_numpy(loss(labels, other)), expected, rtol=1e-5)
    # reduction="none": per-pixel weighted losses, 0 at ignored pixels; "sum": their sum.
    none = to_numpy(ClassWeightedCrossEntropy(weights, reduction="none")(labels, logits))
    np.testing.assert_allclose(none, per_pixel, rtol=1e-5, atol=1e-6)
    total = to_numpy(ClassWeightedCrossEntropy(weights, reduction="sum")(labels, logits))
    np.testing.assert_allclose(total, per_pixel.sum(), rtol=1e-5)


def test_class_weighted_ce_uniform_weights_is_plain_ce_and_all_ignored_is_zero():
    labels, logits = batch(1)
    ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255)
    np.testing.assert_allclose(
        to_numpy(ClassWeightedCrossEntropy([1.0] * K)(labels, logits)), to_numpy(ce(labels, logits)), rtol=1e-5
    )
    ignored = np.full_like(labels, 255)
    value = to_numpy(ClassWeightedCrossEntropy([1.0] * K)(ignored, logits))
    assert np.isfinite(value) and value == 0.0


def test_class_weighted_ce_checks_class_count():
    labels, logits = batch()
    with pytest.raises(ValueError, match="classes"):
        ClassWeightedCrossEntropy([1.0, 1.0])(labels, logits)
    with pytest.raises(ValueError, match="finite"):
        ClassWeightedCrossEntropy([1.0, -1.0])


def test_make_pixel_loss_reweighting_uses_inverse_pixel_frequency():
    labels, logits = batch(2)
    stats = ClassStatistics.from_counts([400, 100, 50, 0, 10], [9, 5, 4, 0, 1], num_images=10)
    loss = make_pixel_loss("reweighting", K, stats)
    assert isinstance(loss, ClassWeightedCrossEntropy)
    _, expected = np_sparse_cross_entropy(labels, logits, class_weights=inverse_frequency_weights(stats.pixel_counts))
    np.testing.assert_allclose(to_numpy(loss(labels, logits)), expected, rtol=1e-5)
    region = make_pixel_loss("region_balanced_softmax", K, stats)
    assert isinstance(region, BalancedSoftmaxCrossEntropy) and region.class_counts == [9, 5, 4, 0, 1]
    with pytest.raises(ValueError, match="statistics"):
        make_pixel_loss("reweighting", K)
    with pytest.raises(ValueError, match="one entry per class"):
        make_pixel_loss("pixel_balanced_softmax", K + 1, stats)
    with pytest.raises(ValueError, match="Received: name='focal'"):
        make_pixel_loss("focal", K, stats)


# ------------------------------------------------------------------------------------ Dice
def test_dice_hand_computed():
    # Two classes, p = 0.5 everywhere; labels [0, 1]. Per class: Σpt = 0.5, Σp = 1, Σt = 1
    # -> (2*0.5 + 1) / (1 + 1 + 1) = 2/3, so the loss is 1 - 2/3 = 1/3.
    logits = np.zeros((1, 1, 2, 2), "float32")
    labels = np.array([[[0, 1]]], "int32")
    np.testing.assert_allclose(to_numpy(DiceLoss(2)(labels, logits)), 1 / 3, rtol=1e-5)
    # An ignored pixel drops out of every sum: labels [0, 255] -> class 0: (1 + 1)/(0.5 + 1 + 1) = 0.8,
    # class 1: (0 + 1)/(0.5 + 0 + 1) = 2/3; loss = 1 - (0.8 + 2/3)/2 = 4/15.
    labels = np.array([[[0, 255]]], "int32")
    np.testing.assert_allclose(to_numpy(DiceLoss(2)(labels, logits)), 4 / 15, rtol=1e-5)


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
    assert isinstance(make_pixel_loss("dice_cross_entropy", K), DiceCrossEntropy)
    assert isinstance(make_pixel_loss("dice", K), DiceLoss)


@pytest.mark.parametrize(
    "loss",
    [
        DiceLoss(K, ignore_class=None, smooth=0.5),
        DiceCrossEntropy(K, dice_weight=0.3),
        ClassWeightedCrossEntropy([1.0, 2.0, 0.5, 1.0, 1.5]),
    ],
    ids=lambda loss: type(loss).__name__,
)
def test_losses_round_trip_through_config(loss):
    labels, logits = batch(6)
    labels = np.where(labels == 255, 0, labels)
    restored = type(loss).from_config(loss.get_config())
    np.testing.assert_allclose(to_numpy(restored(labels, logits)), to_numpy(loss(labels, logits)), rtol=1e-6)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert type(restored) is type(loss)


def test_bad_dice_arguments():
    with pytest.raises(ValueError, match="num_classes"):
        DiceLoss(1)
    with pytest.raises(ValueError, match="smooth"):
        DiceLoss(3, smooth=-1.0)
    with pytest.raises(ValueError, match="dice_weight"):
        DiceCrossEntropy(3, dice_weight=-1.0)
    labels, logits = batch()
    with pytest.raises(ValueError, match="classes"):
        DiceLoss(K + 1)(labels, logits)


@pytest.mark.parametrize("name", ["reweighting", "dice", "dice_cross_entropy"])
def test_new_pixel_losses_train_one_step(name):
    """The new Table 1 losses compile into a training step and give a finite loss."""
    stats = ClassStatistics.from_counts([400, 100, 50, 5, 10], [9, 5, 4, 1, 1], num_images=10)
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, size=(2, 8, 8, 3)).astype("float32")
    labels = rng.integers(0, K, size=(2, 8, 8)).astype("int32")
    labels[:, :2] = 255
    segmenter = tiny_models.functional_segmenter(K, size=8, channels=4)
    segmenter.compile(optimizer=keras.optimizers.SGD(0.1), loss=make_pixel_loss(name, K, stats))
    logs = segmenter.train_on_batch(images, labels, return_dict=True)
    assert np.isfinite(logs["loss"])
