import numpy as np
import pytest

from keras_rr.losses import RegionRebalanceLoss
from keras_rr.losses import region_rebalance_loss
from tests.harness import run_serialization_test
from tests.harness import to_numpy
from tests.references import np_log_softmax


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


def test_region_rebalance_loss_serializes():
    run_serialization_test(RegionRebalanceLoss([4, 2]))
    with pytest.raises(ValueError, match="region_frequency"):
        RegionRebalanceLoss(None)
