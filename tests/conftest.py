"""Shared pytest setup: every test runs under the backend named by KERAS_BACKEND."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Keep TF quiet and single-threaded-friendly on the 2-core CI machine.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Most of the JAX suite's time is XLA compiling tiny models once each; XLA's
# optimisation passes do not pay for themselves there (the supported-segmenter tests took
# 129 s with them, 79 s without). Tests that read the optimised program enable them again
# (`tests/harness.py: xla_optimizations`). Subprocesses inherit the setting.
os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "true")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _seed_and_clean_state():
    keras.utils.set_random_seed(1234)
    np.random.seed(1234)
    yield
    keras.config.set_dtype_policy("float32")
    # free_memory=False skips a full gc.collect() per test (0.5 s each on torch).
    keras.backend.clear_session(free_memory=False)


@pytest.fixture(scope="session")
def resnet_presets(tmp_path_factory):
    """Tiny KerasHub presets saved once per session, loaded back offline by the tests:
    `{"resnet", "deeplab", "encoder_weights", "task_weights"}` (see
    `tests.tiny_models.save_resnet_presets`; the task has `PRESET_CLASSES` classes)."""
    from tests import tiny_models

    return tiny_models.save_resnet_presets(str(tmp_path_factory.mktemp("presets")), tiny_models.PRESET_CLASSES)
