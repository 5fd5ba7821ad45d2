import numpy as np
import pytest

from keras_rr.losses import BalancedSoftmaxCrossEntropy
from keras_rr.losses import balanced_softmax_cross_entropy
from keras_rr.losses import log_class_prior
from tests.harness import run_serialization_test
from tests.harness import to_numpy
from tests.references import np_log_softmax


def test_log_class_prior_clamps_zero_counts():
    np.testing.assert_allclose(log_class_prior([100, 10, 0, 1]), [np.log(100), np.log(10), 0.0, 0.0], rtol=1e-6)
    with pytest.raises(ValueError, match="non-negative"):
        log_class_prior([1, -2])
    with pytest.raises(ValueError, match="finite"):
        log_class_prior([1, np.nan])
    with pytest.raises(ValueError, match="one entry per class"):
        log_class_prior([1, 2], num_classes=3)


def test_balanced_softmax_hand_computed():
    # logits [2, 0], counts [e^1, 1] -> shifted [3, 0]; target 1:
    # -log(e^0 / (e^3 + e^0)) = log(1 + e^3) = 3.048587
    loss = balanced_softmax_cross_entropy(np.array([1]), np.array([[2.0, 0.0]], "float32"), [np.e, 1.0])
    np.testing.assert_allclose(to_numpy(loss), [np.log1p(np.e**3)], rtol=1e-5)
    # Uniform counts leave plain cross-entropy: -log softmax([2, 0])[1] = log(1 + e^2).
    loss = balanced_softmax_cross_entropy(np.array([1]), np.array([[2.0, 0.0]], "float32"), [7, 7])
    np.testing.assert_allclose(to_numpy(loss), [np.log1p(np.e**2)], rtol=1e-5)


def test_pixel_loss_ignores_pixels_and_averages_over_valid():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 3, 3, 4)).astype("float32")
    labels = rng.integers(0, 4, size=(2, 3, 3)).astype("int32")
    labels[0, 0] = 255
    counts = np.array([50, 5, 0, 2])
    loss = BalancedSoftmaxCrossEntropy(counts, ignore_class=255)(labels, logits)
    shifted = np_log_softmax(logits + np.log(np.maximum(counts, 1)))
    valid = labels != 255
    per_pixel = -np.take_along_axis(shifted, np.where(valid, labels, 0)[..., None], -1)[..., 0]
    np.testing.assert_allclose(to_numpy(loss), per_pixel[valid].mean(), rtol=1e-5)


def test_all_ignored_batch_is_zero_not_nan():
    logits = np.random.normal(size=(1, 2, 2, 3)).astype("float32")
    labels = np.full((1, 2, 2), 255, "int32")
    loss = to_numpy(BalancedSoftmaxCrossEntropy([1, 2, 3], ignore_class=255)(labels, logits))
    assert loss == 0.0


def test_balanced_softmax_cross_entropy_serializes():
    run_serialization_test(BalancedSoftmaxCrossEntropy([3, 1], ignore_class=255))
