"""Strategy/backend mismatches fail early and clearly; the single-device scope; two
worker processes on 127.0.0.1 against one process (TensorFlow and JAX)."""

import json
import os
import signal
import sys

import numpy as np
import pytest

from keras_rr.training import config as rr_config
from keras_rr.training.distribution import STRATEGY_BACKENDS
from keras_rr.training.distribution import Distribution
from keras_rr.training.distribution import ProcessGroup
from keras_rr.training.distribution import check_strategy
from keras_rr.training.distribution import distribution_scope
from keras_rr.training.trainer import train_and_evaluate
from tests.harness import BACKEND
from tests.harness import REPO_ROOT
from tests.training import multi_worker

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


def test_process_group_reads_flags_then_keras_then_jax_environment_variables():
    keras_env = {"KERAS_DISTRIBUTION_JOB_ADDRESSES": "10.0.0.1:1234,10.0.0.2:1234",
                 "KERAS_DISTRIBUTION_NUM_PROCESSES": "2", "KERAS_DISTRIBUTION_PROCESS_ID": "1",
                 "JAX_COORDINATOR_ADDRESS": "10.0.0.9:99"}
    assert ProcessGroup().resolve(keras_env) == ProcessGroup("10.0.0.1:1234", 2, 1)
    assert ProcessGroup("127.0.0.1:5", 4, 3).resolve(keras_env) == ProcessGroup("127.0.0.1:5", 4, 3)
    assert ProcessGroup(num_processes=2, process_id=0).resolve({"JAX_COORDINATOR_ADDRESS": "h:1"}) == (
        ProcessGroup("h:1", 2, 0))
    # Nothing set: left to JAX's cluster auto-detection (SLURM, Open MPI, ...).
    assert ProcessGroup().resolve({}) == ProcessGroup()
    with pytest.raises(ValueError, match="`process_id` must be smaller than `num_processes` \\(2\\)"):
        ProcessGroup("h:1", 2, 2).resolve({})
    with pytest.raises(ValueError, match="KERAS_DISTRIBUTION_NUM_PROCESSES must be an int"):
        ProcessGroup().resolve({"KERAS_DISTRIBUTION_NUM_PROCESSES": "two"})
    with pytest.raises(ValueError, match="Received: num_processes=0"):
        ProcessGroup(num_processes=0).resolve({})


def test_torch_says_it_trains_on_one_device():
    for strategy in ("mirrored", "multi_worker", "data_parallel"):
        with pytest.raises(ValueError, match="keras_rr trains on one device with torch \\(strategy='none'\\)"):
            check_strategy(strategy, backend="torch")
    check_strategy("none", backend="torch")
    check_strategy("multi_worker", backend="jax")


class _Workers(Distribution):
    """Two workers whose restored steps are given (no cluster needed)."""

    def __init__(self, steps):
        super().__init__("multi_worker", num_replicas=2, num_workers=2)
        self.steps = steps

    def gather(self, value):
        return list(self.steps)


def test_workers_resuming_from_different_steps_is_an_error():
    _Workers([4, 4]).check_same_step(4)
    with pytest.raises(ValueError, match=r"different steps \(\{0: 4, 1: 0\}, by worker\).*all hosts share"):
        _Workers([4, 0]).check_same_step(4)
    assert Distribution("none").gather(7) == [7]


def _tensorboard_losses(workdir):
    """The chief's logged per-step losses `{step: {name: value}}` (later files win)."""
    import tensorflow as tf

    folder = os.path.join(workdir, "tensorboard", "train")
    losses = {}
    for name in sorted(os.listdir(folder), key=lambda n: os.path.getmtime(os.path.join(folder, n))):
        for event in tf.compat.v1.train.summary_iterator(os.path.join(folder, name)):
            for value in event.summary.value:
                if value.tag in ("loss", "pixel_loss", "region_loss"):
                    losses.setdefault(event.step, {})[value.tag] = float(tf.make_ndarray(value.tensor))
    return losses


def _checkpoint(workdir, step):
    with np.load(os.path.join(workdir, "checkpoints", f"step_{step:08d}", "state.npz")) as state:
        return dict(state)


@pytest.mark.distributed
@pytest.mark.skipif(BACKEND == "torch", reason="torch: keras_rr trains on one device (strategy='none')")
def test_two_workers_match_one_process_and_resume_after_a_kill(tmp_path):
    """Two processes on 127.0.0.1 (TF: MultiWorkerMirroredStrategy from TF_CONFIG, one CPU
    each; JAX: jax.distributed + DataParallel, 2 processes x 1 CPU device) train the same
    global batches as one process: same per-step losses, and killed (SIGKILL) after the
    step-2 checkpoint, `tools.train` resumes both from step 2 to the uninterrupted state."""
    single_losses = {}
    single = tmp_path / "single"
    train_and_evaluate(multi_worker.config(), str(single), progress=False,
                       step_hooks=[lambda step, losses: single_losses.setdefault(step, losses)])

    workdir = str(tmp_path / "two")
    members = multi_worker.cluster(BACKEND, 2)
    killed = [
        ([sys.executable, "-m", "tests.training.multi_worker", workdir, str(tmp_path / f"losses_{i}.jsonl"), "3",
          *flags], env)
        for i, (env, flags) in enumerate(members)
    ]
    codes = multi_worker.run_workers(killed, str(tmp_path), timeout=150)
    assert codes == [-signal.SIGKILL] * 2  # both killed themselves after step 3
    assert sorted(os.listdir(os.path.join(workdir, "checkpoints"))) == ["step_00000002"]
    for i in range(2):
        with open(tmp_path / f"losses_{i}.jsonl") as f:
            logged = [json.loads(line) for line in f]
        assert [entry["step"] for entry in logged] == [1, 2, 3]
        for entry in logged:
            for key in ("loss", "pixel_loss", "region_loss"):
                np.testing.assert_allclose(entry[key], single_losses[entry["step"]][key], rtol=1e-5, err_msg=key)

    members = multi_worker.cluster(BACKEND, 2)  # fresh ports
    resumed = [
        ([sys.executable, "-m", "keras_rr.tools.train", *multi_worker.config_flags(), f"--workdir={workdir}",
          "--strategy=multi_worker", "--noprogress", *flags], env)
        for env, flags in members
    ]
    assert multi_worker.run_workers(resumed, str(tmp_path), timeout=150) == [0, 0]
    # Only the chief writes: one TensorBoard file per run, one history line per evaluation.
    assert len(os.listdir(os.path.join(workdir, "tensorboard", "train"))) == 2  # killed run + resumed run
    with open(os.path.join(workdir, "eval_history.jsonl")) as f:
        assert [json.loads(line)["step"] for line in f] == [4]
    logged = _tensorboard_losses(workdir)
    assert sorted(logged) == [1, 2, 3, 4]
    for step in (1, 2, 3, 4):
        for key in ("loss", "pixel_loss", "region_loss"):
            np.testing.assert_allclose(logged[step][key], single_losses[step][key], rtol=1e-5, err_msg=(step, key))
    # Weights and optimizer state (momentum, iterations) after step 4.
    want, got = _checkpoint(str(single), 4), _checkpoint(workdir, 4)
    assert sorted(got) == sorted(want)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-6, err_msg=key)
