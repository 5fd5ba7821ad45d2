"""A run killed mid-way and resumed from its checkpoint ends with the uninterrupted weights."""

import os

import numpy as np
import pytest

from keras_rr.training import config as rr_config
from keras_rr.training.trainer import train_and_evaluate
from keras_rr.training.training_data import build_training_data
from tests.harness import REPO_ROOT
from tests.harness import to_numpy


class Crash(RuntimeError):
    pass


def _config():
    config = rr_config.load_config(os.path.join(REPO_ROOT, "configs/synthetic/small_fcn_rr.py:smoke"))
    config.train.total_steps = 4
    config.train.checkpoint_every = 2
    # Random rescale/crop/flip/colour jitter: its per-example seeds must resume too.
    config.data.augment.enabled = True
    config.train.export = False
    config.eval.mode = "whole"
    return config


def _weights(model):
    return [to_numpy(w) for w in model.weights]


def test_crash_and_resume_matches_uninterrupted_run(tmp_path):
    straight_losses = {}
    straight = train_and_evaluate(
        _config(), str(tmp_path / "straight"), progress=False,
        step_hooks=[lambda step, losses: straight_losses.setdefault(step, losses["loss"])],
    )

    def crash(step, losses):
        if step == 3:  # after the step-2 checkpoint, before the step-4 one
            raise Crash(f"simulated kill at step {step}")

    with pytest.raises(Crash):
        train_and_evaluate(_config(), str(tmp_path / "resumed"), progress=False, step_hooks=[crash])
    assert os.listdir(tmp_path / "resumed" / "checkpoints") == ["step_00000002"]
    assert not (tmp_path / "resumed" / "model.keras").exists()

    resumed_losses = {}
    resumed = train_and_evaluate(
        _config(), str(tmp_path / "resumed"), progress=False,
        step_hooks=[lambda step, losses: resumed_losses.setdefault(step, losses["loss"])],
    )
    assert resumed.start_step == 2 and resumed.step == 4
    assert sorted(resumed_losses) == [3, 4]
    np.testing.assert_allclose([resumed_losses[s] for s in (3, 4)], [straight_losses[s] for s in (3, 4)], rtol=1e-5)
    assert int(to_numpy(resumed.model.optimizer.iterations)) == 4
    for a, b in zip(_weights(straight.model), _weights(resumed.model)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(resumed.metrics.iou, straight.metrics.iou, rtol=1e-5, atol=1e-6)


def test_repeat_factor_sampling_trains_and_resumes_mid_epoch_exactly(tmp_path):
    """`:smoke` with repeat-factor sampling on (set as a command-line override) resumes exactly."""

    def config():
        overrides = {"data.repeat_factor_threshold": 0.5, "data.repeat_factor_frequency": "pixel"}
        config = rr_config.load_config(
            os.path.join(REPO_ROOT, "configs/synthetic/small_fcn_rr.py:smoke"), overrides=overrides
        )
        config.train.total_steps = 4
        config.train.checkpoint_every = 2
        config.train.export = False
        return config

    straight = train_and_evaluate(config(), str(tmp_path / "straight"), progress=False)
    factors = build_training_data(config(), progress=False).repeat_factors
    # 8 images: the first epoch holds sum(factors) > 8 examples, so step 2 (4 examples) is mid-epoch.
    assert factors is not None and factors.max() > 1.0

    def crash(step, losses):
        if step == 3:
            raise Crash("simulated kill")

    with pytest.raises(Crash):
        train_and_evaluate(config(), str(tmp_path / "resumed"), progress=False, step_hooks=[crash])
    resumed = train_and_evaluate(config(), str(tmp_path / "resumed"), progress=False)
    assert resumed.start_step == 2 and resumed.step == 4
    for a, b in zip(_weights(straight.model), _weights(resumed.model)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
