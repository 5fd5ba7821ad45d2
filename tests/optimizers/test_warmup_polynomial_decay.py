"""`keras_rr.optimizers.WarmupPolynomialDecay` equals Keras' PolynomialDecay without warmup and ramps linearly with it."""

import keras
import numpy as np
import pytest

from keras_rr.optimizers import WarmupPolynomialDecay
from tests.harness import run_serialization_test
from tests.harness import to_numpy


def test_poly_schedule_matches_keras_and_warms_up():
    poly = WarmupPolynomialDecay(0.01, decay_steps=100, end_learning_rate=1e-4, power=0.9)
    reference = keras.optimizers.schedules.PolynomialDecay(0.01, 100, end_learning_rate=1e-4, power=0.9)
    for step in (0, 1, 50, 99, 100, 150):
        np.testing.assert_allclose(to_numpy(poly(step)), to_numpy(reference(step)), rtol=1e-5)
    warm = WarmupPolynomialDecay(1.0, decay_steps=100, power=1.0, warmup_steps=10, warmup_ratio=0.1)
    # step 5: poly 0.95, warmup factor 0.1 + 0.9 * 0.5 = 0.55.
    np.testing.assert_allclose(to_numpy(warm(5)), 0.95 * 0.55, rtol=1e-5)
    np.testing.assert_allclose(to_numpy(warm(10)), 0.9, rtol=1e-5)
    restored = run_serialization_test(warm)
    np.testing.assert_allclose(to_numpy(restored(5)), to_numpy(warm(5)), rtol=1e-6)
    with pytest.raises(ValueError, match="decay_steps"):
        WarmupPolynomialDecay(0.1, decay_steps=0)
    with pytest.raises(ValueError, match="warmup_ratio"):
        WarmupPolynomialDecay(0.1, decay_steps=10, warmup_ratio=1.5)
    with pytest.raises(ValueError, match="initial_learning_rate"):
        WarmupPolynomialDecay(0.0, decay_steps=10)
