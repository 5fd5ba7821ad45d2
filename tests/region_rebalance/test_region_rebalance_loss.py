import numpy as np
import pytest

from keras_rr.losses import RegionRebalanceLoss
from keras_rr.losses import region_rebalance_loss
from tests.harness import run_serialization_test
from tests.harness import to_numpy
from tests.references import np_log_softmax
from tests.references import np_region_losses
from tests.references import np_region_rebalance_loss


def test_region_rebalance_loss_hand_computed():
    # Two images, K=2. Valid regions: (0, 0) and (1, 1). F = [e^2, 1].
    z = np.array([[[1.0, 0.0], [9.0, 9.0]], [[5.0, 5.0], [0.0, 1.0]]], "float32")
    mask = np.array([[True, False], [False, True]])
    freq = [np.e**2, 1.0]
    # region (0,0): shifted [3, 0], target 0: log(1 + e^-3) = 0.048587
    # region (1,1): shifted [2, 1], target 1: log(1 + e^1)  = 1.313262
    want = (np.log1p(np.exp(-3.0)) + np.log1p(np.e)) / 2
    np.testing.assert_allclose(to_numpy(region_rebalance_loss(z, mask, freq)), want, rtol=1e-5)
    # Without the prior: log(1 + e^-1) and log(1 + e^-1).
    np.testing.assert_allclose(to_numpy(region_rebalance_loss(z, mask)), np.log1p(np.exp(-1.0)), rtol=1e-5)
    # The Loss class with ignore ids agrees.
    y_true = np.where(mask, np.arange(2), -1)
    got = RegionRebalanceLoss(freq)(y_true, z)
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-5)


def test_no_valid_region_gives_zero():
    z = np.random.normal(size=(2, 3, 3)).astype("float32")
    mask = np.zeros((2, 3), bool)
    assert to_numpy(region_rebalance_loss(z, mask, [0, 0, 0])) == 0.0
    assert to_numpy(RegionRebalanceLoss([1, 1, 1])(np.full((2, 3), -1), z)) == 0.0


def test_label_smoothing():
    z = np.array([[[2.0, 0.0], [0.0, 0.0]]], "float32")
    mask = np.array([[True, False]])
    log_p = np_log_softmax(z[0, 0])
    want = -(0.9 * log_p[0] + 0.05 * log_p[0] + 0.05 * log_p[1])
    np.testing.assert_allclose(to_numpy(region_rebalance_loss(z, mask, label_smoothing=0.1)), want, rtol=1e-5)
    # The Loss class smooths the same way.
    got = RegionRebalanceLoss(rebalance=False, label_smoothing=0.1)(np.array([[0, -1]]), z)
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-5)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_function_and_loss_class_match_numpy_on_random_regions(label_smoothing):
    rng = np.random.default_rng(3)
    z = rng.normal(size=(3, 6, 6)).astype("float32") * 3
    mask = rng.random((3, 6)) < 0.5
    freq = [500, 80, 12, 3, 1, 0]
    want = np_region_rebalance_loss(z, mask, freq, label_smoothing)
    got = region_rebalance_loss(z, mask, freq, label_smoothing)
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-5)
    y_true = np.where(mask, np.arange(6), -1)
    np.testing.assert_allclose(
        to_numpy(RegionRebalanceLoss(freq, label_smoothing=label_smoothing)(y_true, z)), want, rtol=1e-5
    )


def test_reductions_and_explicit_region_labels():
    rng = np.random.default_rng(4)
    z = rng.normal(size=(2, 4, 4)).astype("float32")
    mask = np.array([[True, False, True, True], [False, True, False, False]])
    freq = [9, 3, 1, 0]
    per_region = np.zeros((2, 4))
    per_region[mask] = np_region_losses(z, mask, freq)
    np.testing.assert_allclose(to_numpy(region_rebalance_loss(z, mask, freq, reduction="none")), per_region, rtol=1e-5)
    np.testing.assert_allclose(to_numpy(region_rebalance_loss(z, mask, freq, reduction="sum")), per_region.sum(), rtol=1e-5)
    # Explicit labels equal to the diagonal layout give the same losses; rows can be any
    # logits, e.g. (N, K) region logits from another pooling.
    labels = np.tile(np.arange(4), (2, 1))
    np.testing.assert_allclose(
        to_numpy(region_rebalance_loss(z, mask, freq, region_labels=labels, reduction="none")), per_region, rtol=1e-5
    )
    flat = region_rebalance_loss(z.reshape(8, 4), mask.reshape(8), freq, region_labels=labels.reshape(8))
    np.testing.assert_allclose(to_numpy(flat), per_region.sum() / mask.sum(), rtol=1e-5)
    with pytest.raises(ValueError, match="reduction"):
        region_rebalance_loss(z, mask, freq, reduction="max")


def test_invalid_regions_never_leak_inf_or_nan():
    # A region that does not exist may hold any logits (here inf): it must not reach the loss.
    z = np.array([[[2.0, 0.0], [np.inf, -np.inf]]], "float32")
    mask = np.array([[True, False]])
    got = to_numpy(region_rebalance_loss(z, mask, [3, 1]))
    assert np.isfinite(got)
    finite = np.where(mask[..., None], z, 0.0)
    np.testing.assert_allclose(got, np_region_rebalance_loss(finite, mask, [3, 1]), rtol=1e-5)


def test_loss_class_weights_regions_and_sums():
    z = np.random.default_rng(5).normal(size=(2, 3, 3)).astype("float32")
    y_true = np.array([[0, -1, 2], [-1, 1, -1]])
    mask = y_true >= 0
    per_region = np.zeros((2, 3))
    per_region[mask] = np_region_losses(z, mask, [4, 2, 1])
    weights = np.array([[2.0, 5.0, 0.5], [1.0, 3.0, 1.0]])
    got = RegionRebalanceLoss([4, 2, 1])(y_true, z, sample_weight=weights)
    np.testing.assert_allclose(to_numpy(got), (per_region * weights).sum() / mask.sum(), rtol=1e-5)
    total = RegionRebalanceLoss([4, 2, 1], reduction="sum")(y_true, z)
    np.testing.assert_allclose(to_numpy(total), per_region.sum(), rtol=1e-5)


def test_region_rebalance_loss_serializes():
    restored = run_serialization_test(RegionRebalanceLoss([4, 2], label_smoothing=0.1))
    assert restored.label_smoothing == 0.1
    with pytest.raises(ValueError, match="region_frequency"):
        RegionRebalanceLoss(None)
