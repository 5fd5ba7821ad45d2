"""Strategy/backend mismatches fail early and clearly; the single-device scope."""

import os

import pytest

from keras_rr.training import config as rr_config
from keras_rr.training.distribution import STRATEGY_BACKENDS
from keras_rr.training.distribution import check_strategy
from keras_rr.training.distribution import distribution_scope
from keras_rr.training.trainer import train_and_evaluate
from tests.harness import BACKEND
from tests.harness import REPO_ROOT

MISMATCHED = [name for name, backends in STRATEGY_BACKENDS.items() if BACKEND not in backends]


@pytest.mark.parametrize("strategy", MISMATCHED)
def test_strategy_backend_mismatch_is_a_clear_error(strategy, tmp_path):
    with pytest.raises(ValueError, match=f"strategy='{strategy}' needs the .* backend but Keras runs on '{BACKEND}'"):
        check_strategy(strategy)
    config = rr_config.load_config(os.path.join(REPO_ROOT, "configs/synthetic/base.py:smoke"))
    config.train.strategy = strategy
    with pytest.raises(ValueError, match="needs the"):
        train_and_evaluate(config, str(tmp_path / "run"), progress=False)
    assert not (tmp_path / "run").exists()  # failed before touching the workdir or data


def test_unknown_strategy_and_the_single_device_scope():
    with pytest.raises(ValueError, match="Received: strategy='horovod'"):
        check_strategy("horovod")
    with distribution_scope("none") as dist:
        assert dist.num_replicas == 1 and dist.is_chief
