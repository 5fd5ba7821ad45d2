"""The one optimizer recipe: config sections and plain dicts build the same optimizer and schedule."""

import os

import keras
import numpy as np
import pytest

from keras_rr.optimizers import CoupledWeightDecaySGD
from keras_rr.optimizers import WarmupPolynomialDecay
from keras_rr.training import config as rr_config
from keras_rr.training.optimizers import build_optimizer
from keras_rr.training.optimizers import build_schedule
from tests.harness import REPO_ROOT
from tests.harness import to_numpy


def _config(relative):
    return rr_config.load_config(os.path.join(REPO_ROOT, relative))


def test_optimizers_from_config():
    config = _config("configs/ade20k/deeplabv3plus_r50_baseline.py")
    sgd, schedule = build_optimizer(config.optimizer, config.schedule, config.train.total_steps)
    # "sgd" is the coupled L2 SGD of torch / mmseg; Keras' own decay stays off.
    assert isinstance(sgd, CoupledWeightDecaySGD) and sgd.momentum == 0.9
    assert sgd.coupled_weight_decay == config.optimizer.weight_decay and sgd.weight_decay is None
    assert schedule.decay_steps == 160_000 and schedule.power == 0.9 and schedule.end_learning_rate == 1e-4
    config = _config("configs/ade20k/segformer_b0_baseline.py")
    adamw, schedule = build_optimizer(config.optimizer, config.schedule, 1000)
    assert isinstance(adamw, keras.optimizers.AdamW) and adamw.weight_decay == 0.01
    assert schedule.warmup_steps == 1500 and schedule.decay_steps == 1000
    config.schedule.name = "constant"
    _, constant = build_optimizer(config.optimizer, config.schedule, 1000)
    np.testing.assert_allclose(to_numpy(constant(1600)), 6e-5, rtol=1e-5)  # after warmup


@pytest.mark.parametrize("relative", ["configs/synthetic/small_fcn_rr.py", "configs/ade20k/segformer_b0_rr.py"])
def test_optimizers_from_dicts_equal_optimizers_from_config_sections(relative):
    config = _config(relative)
    config.optimizer.clipnorm = 1.0
    config.schedule.total_steps = 300
    optimizer, schedule = build_optimizer(config.optimizer, config.schedule, 1000)
    dict_optimizer, dict_schedule = build_optimizer(config.optimizer.to_dict(), config.schedule.to_dict(), 1000)

    def settings(opt):
        return {k: v for k, v in opt.get_config().items() if k != "name"}  # names are uniquified

    assert type(dict_optimizer) is type(optimizer) and settings(dict_optimizer) == settings(optimizer)
    assert dict_schedule.get_config() == schedule.get_config()
    assert optimizer.clipnorm == 1.0 and schedule.decay_steps == 300


def test_a_dict_may_leave_out_what_keeps_its_default():
    optimizer, schedule = build_optimizer(
        {"name": "sgd", "learning_rate": 0.02, "momentum": 0.9, "weight_decay": 1e-4}, {"name": "poly"}, 50
    )
    reference = WarmupPolynomialDecay(0.02, decay_steps=50)
    assert schedule.get_config() == reference.get_config()
    assert optimizer.momentum == 0.9 and not optimizer.nesterov and optimizer.clipnorm is None
    no_decay, _ = build_optimizer({"name": "sgd", "learning_rate": 0.1, "weight_decay": 0.0}, {"name": "poly"}, 5)
    assert no_decay.coupled_weight_decay == 0.0 and no_decay.weight_decay is None and no_decay.momentum == 0.0
    constant = build_schedule({"name": "constant", "power": 2.0}, 0.5, 10)
    np.testing.assert_allclose([to_numpy(constant(s)) for s in (0, 5, 10)], [0.5, 0.5, 0.5], rtol=1e-6)


def test_decoupled_weight_decay_asks_for_keras_sgd():
    section = {"name": "sgd", "learning_rate": 0.01, "momentum": 0.9, "weight_decay": 1e-4}
    coupled, _ = build_optimizer(section, {"name": "poly"}, 10)
    decoupled, _ = build_optimizer(dict(section, decoupled_weight_decay=True), {"name": "poly"}, 10)
    assert type(coupled) is CoupledWeightDecaySGD and coupled.coupled_weight_decay == 1e-4
    # (On torch, `keras.optimizers.SGD` builds a backend subclass of itself.)
    assert isinstance(decoupled, keras.optimizers.SGD) and not isinstance(decoupled, CoupledWeightDecaySGD)
    assert decoupled.weight_decay == 1e-4 and decoupled.momentum == 0.9


def test_unknown_names_and_bad_learning_rates_are_clear_errors():
    with pytest.raises(ValueError, match="optimizer.name` must be one of"):
        build_optimizer({"name": "lamb", "learning_rate": 0.1}, {"name": "poly"}, 10)
    with pytest.raises(ValueError, match="schedule.name` must be one of"):
        build_optimizer({"name": "sgd", "learning_rate": 0.1}, {"name": "cosine"}, 10)
    with pytest.raises(ValueError, match="optimizer.learning_rate"):
        build_optimizer({"name": "sgd", "learning_rate": 0.0}, {"name": "poly"}, 10)
