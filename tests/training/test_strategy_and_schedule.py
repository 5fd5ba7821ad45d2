"""Strategy/backend mismatches fail early and clearly; schedules and optimizers follow the config."""

import keras
import numpy as np
import pytest

from keras_rr.training import config as rr_config
from keras_rr.training.distribution import STRATEGY_BACKENDS
from keras_rr.training.distribution import check_strategy
from keras_rr.training.distribution import distribution_scope
from keras_rr.training.optimizers import build_optimizer
from keras_rr.training.trainer import train_and_evaluate
from keras_rr.training.warmup_polynomial_decay import WarmupPolynomialDecay
from tests.harness import BACKEND
from tests.harness import to_numpy

MISMATCHED = [name for name, backends in STRATEGY_BACKENDS.items() if BACKEND not in backends]


@pytest.mark.parametrize("strategy", MISMATCHED)
def test_strategy_backend_mismatch_is_a_clear_error(strategy, tmp_path):
    with pytest.raises(ValueError, match=f"strategy='{strategy}' needs the .* backend but Keras runs on '{BACKEND}'"):
        check_strategy(strategy)
    config = rr_config.apply_variant(rr_config.synthetic_config(), "smoke")
    config.train.strategy = strategy
    with pytest.raises(ValueError, match="needs the"):
        train_and_evaluate(config, str(tmp_path / "run"), progress=False)
    assert not (tmp_path / "run").exists()  # failed before touching the workdir or data


def test_unknown_strategy_and_the_single_device_scope():
    with pytest.raises(ValueError, match="Received: strategy='horovod'"):
        check_strategy("horovod")
    with distribution_scope("none") as dist:
        assert dist.num_replicas == 1 and dist.is_chief


def test_poly_schedule_matches_keras_and_warms_up():
    poly = WarmupPolynomialDecay(0.01, decay_steps=100, end_learning_rate=1e-4, power=0.9)
    reference = keras.optimizers.schedules.PolynomialDecay(0.01, 100, end_learning_rate=1e-4, power=0.9)
    for step in (0, 1, 50, 99, 100, 150):
        np.testing.assert_allclose(to_numpy(poly(step)), to_numpy(reference(step)), rtol=1e-5)
    warm = WarmupPolynomialDecay(1.0, decay_steps=100, power=1.0, warmup_steps=10, warmup_ratio=0.1)
    # step 5: poly 0.95, warmup factor 0.1 + 0.9 * 0.5 = 0.55.
    np.testing.assert_allclose(to_numpy(warm(5)), 0.95 * 0.55, rtol=1e-5)
    np.testing.assert_allclose(to_numpy(warm(10)), 0.9, rtol=1e-5)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(warm))
    np.testing.assert_allclose(to_numpy(restored(5)), to_numpy(warm(5)), rtol=1e-6)
    with pytest.raises(ValueError, match="decay_steps"):
        WarmupPolynomialDecay(0.1, decay_steps=0)


def test_optimizers_from_config():
    config = rr_config.paper_config("ade20k")
    sgd, schedule = build_optimizer(config.optimizer, config.schedule, config.train.total_steps)
    assert isinstance(sgd, keras.optimizers.SGD) and sgd.momentum == 0.9 and sgd.weight_decay == 1e-4
    assert schedule.decay_steps == 160_000 and schedule.power == 0.9
    config = rr_config.paper_config("ade20k", model="segformer_mit")
    adamw, schedule = build_optimizer(config.optimizer, config.schedule, 1000)
    assert isinstance(adamw, keras.optimizers.AdamW) and adamw.weight_decay == 0.01
    assert schedule.warmup_steps == 1500 and schedule.decay_steps == 1000
    config.schedule.name = "constant"
    _, constant = build_optimizer(config.optimizer, config.schedule, 1000)
    np.testing.assert_allclose(to_numpy(constant(1600)), 6e-5, rtol=1e-5)  # after warmup
