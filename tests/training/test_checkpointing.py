"""Checkpoints: round trip of weights, seed states and optimizer state; pruning; mismatches."""

import os

import keras
import numpy as np
import pytest

from keras_rr.training import checkpointing
from tests.harness import to_numpy


def _model(units=3):
    inputs = keras.Input((4,))
    x = keras.layers.Dense(units, name="dense")(inputs)
    x = keras.layers.Dropout(0.5, seed=1, name="dropout")(x)
    model = keras.Model(inputs, keras.layers.Dense(2, name="out")(x))
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="mse")
    return model


def _state(model):
    return [to_numpy(v) for v in model.variables]


def test_round_trip_restores_weights_seed_state_and_optimizer(tmp_path):
    model = _model()
    x, y = np.ones((4, 4), "float32"), np.zeros((4, 2), "float32")
    model.train_on_batch(x, y)
    path = checkpointing.save_checkpoint(tmp_path, 1, model)
    assert os.path.basename(path) == "step_00000001"
    saved_weights = [to_numpy(w) for w in model.weights]
    saved_optimizer = [to_numpy(v) for v in model.optimizer.variables]
    seed_states = [v for v in model.variables if v.name == "seed_generator_state"]
    assert seed_states, "the Dropout layer's seed state must be checkpointed"
    saved_seed = to_numpy(seed_states[0])
    model.train_on_batch(x, y)  # moves weights, momentum, iterations and the seed state
    assert int(to_numpy(model.optimizer.iterations)) == 2

    assert checkpointing.restore_checkpoint(path, model) == 1
    for a, b in zip(saved_weights, model.weights):
        np.testing.assert_array_equal(a, to_numpy(b))
    for a, b in zip(saved_optimizer, model.optimizer.variables):
        np.testing.assert_array_equal(a, to_numpy(b))
    np.testing.assert_array_equal(saved_seed, to_numpy(seed_states[0]))

    # A fresh model (optimizer not built yet) restores too.
    fresh = _model()
    assert checkpointing.restore_checkpoint(path, fresh) == 1
    for a, b in zip(saved_weights, fresh.weights):
        np.testing.assert_array_equal(a, to_numpy(b))


def test_keep_latest_and_ignore_incomplete(tmp_path):
    model = _model()
    for step in (2, 4, 6):
        checkpointing.save_checkpoint(tmp_path, step, model, keep=2)
    assert [s for s, _ in checkpointing.list_checkpoints(tmp_path)] == [4, 6]
    os.makedirs(tmp_path / "step_00000008.tmp")  # a save killed half-way
    os.makedirs(tmp_path / "step_00000010")  # no files: incomplete
    assert checkpointing.latest_checkpoint(tmp_path).endswith("step_00000006")
    assert checkpointing.latest_checkpoint(tmp_path / "missing") is None


def test_restore_into_a_different_model_fails_clearly(tmp_path):
    path = checkpointing.save_checkpoint(tmp_path, 1, _model(units=3))
    with pytest.raises(ValueError, match="shape"):
        checkpointing.restore_checkpoint(path, _model(units=5))
