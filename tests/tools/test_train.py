"""`python -m keras_rr.tools.train`: a smoke config trains, checkpoints, logs and exports."""

import glob
import json
import os

from tests.harness import BACKEND
from tests.harness import run_tool
from tests.harness import skip_on_backends

CONFIG = "configs/synthetic/small_fcn_rr.py:smoke"


def _scalars(event_dir):
    import tensorflow as tf

    tags = set()
    for path in glob.glob(os.path.join(event_dir, "events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(path).as_numpy_iterator():
            event = tf.compat.v1.Event.FromString(record)
            tags.update(value.tag for value in event.summary.value)
    return tags


@skip_on_backends(
    "jax", reason="CI time on JAX (each subprocess compiles the model op by op); "
    "the trainer it runs is tested on JAX in tests/training",
)
def test_train_command_line(tmp_path):
    workdir = tmp_path / "run"
    # The backend's own strategy runs through the same code path (one CPU replica for
    # TensorFlow, two simulated devices for JAX).
    strategy, env = {"tensorflow": ("mirrored", {}),
                     "jax": ("data_parallel", {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}),
                     "torch": ("none", {})}[BACKEND]
    out = run_tool("train", f"--config={CONFIG}", f"--workdir={workdir}", "--noprogress",
                   f"--strategy={strategy}", "--config.train.checkpoint_every=1", env=env)
    assert "step 2: mIoU" in out and f"wrote segmenter: {workdir / 'segmenter.keras'}" in out
    for name in ("model.keras", "segmenter.keras", "metrics.json", "per_class.md", "config.json",
                 "class_statistics.json"):
        assert (workdir / name).is_file(), name
    assert sorted(os.listdir(workdir / "checkpoints")) == ["step_00000001", "step_00000002"]
    assert json.loads((workdir / "config.json").read_text())["train"]["checkpoint_every"] == 1
    assert {"loss", "pixel_loss", "region_loss", "learning_rate"} <= _scalars(workdir / "tensorboard" / "train")
    assert {"miou", "macc", "aacc"} <= _scalars(workdir / "tensorboard" / "eval")
