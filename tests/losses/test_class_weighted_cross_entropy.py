"""Class-weighted cross-entropy (paper Table 1 "re-weighting") and `masked_cross_entropy`."""

import keras
import numpy as np
import pytest

from keras_rr.losses import ClassWeightedCrossEntropy
from keras_rr.losses import inverse_frequency_weights
from keras_rr.losses import masked_cross_entropy
from tests.harness import random_labels
from tests.harness import run_serialization_test
from tests.harness import to_numpy
from tests.references import np_sparse_cross_entropy

K = 5


def batch(seed=0, ignore_fraction=0.25):
    logits = np.random.default_rng(seed).normal(size=(2, 3, 4, K)).astype("float32") * 2
    return random_labels((2, 3, 4), K, ignore_fraction=ignore_fraction, seed=seed), logits


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
    with pytest.raises(ValueError, match=r"5 classes but len\(class_weights\)=2"):
        ClassWeightedCrossEntropy([1.0, 1.0])(labels, logits)
    with pytest.raises(ValueError, match="class_weights` must be non-negative"):
        ClassWeightedCrossEntropy([1.0, -1.0])
    with pytest.raises(ValueError, match="class_weights` must be finite"):
        ClassWeightedCrossEntropy([1.0, np.inf])
    with pytest.raises(ValueError, match="ignore_class"):
        ClassWeightedCrossEntropy([1.0, 1.0], ignore_class="void")
    with pytest.raises(ValueError, match="without the class axis"):
        ClassWeightedCrossEntropy([1.0] * K)(labels[0], logits)


def test_masked_cross_entropy_averages_over_labeled_pixels():
    labels, logits = batch(7)
    _, expected = np_sparse_cross_entropy(labels, logits)
    np.testing.assert_allclose(to_numpy(masked_cross_entropy(labels, logits, K)), expected, rtol=1e-5)
    # Labels outside [0, K) count nowhere, like the ignore value.
    out_of_range = np.where(labels == 255, K + 2, labels)
    np.testing.assert_allclose(
        to_numpy(masked_cross_entropy(out_of_range, logits, K, ignore_class=None)), expected, rtol=1e-5
    )
    # Hand value: p = 1/2 everywhere, one labeled pixel -> log 2.
    value = masked_cross_entropy(np.array([[[0, 255]]]), np.zeros((1, 1, 2, 2), "float32"), 2)
    np.testing.assert_allclose(to_numpy(value), np.log(2.0), rtol=1e-6)
    assert to_numpy(masked_cross_entropy(np.full_like(labels, 255), logits, K)) == 0.0


def test_class_weighted_ce_round_trip_through_config():
    loss = ClassWeightedCrossEntropy([1.0, 2.0, 0.5, 1.0, 1.5], ignore_class=None, reduction="sum")
    restored = run_serialization_test(loss)
    labels, logits = batch(6, ignore_fraction=0.0)
    np.testing.assert_allclose(to_numpy(restored(labels, logits)), to_numpy(loss(labels, logits)), rtol=1e-6)
