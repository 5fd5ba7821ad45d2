"""`train` -> `evaluate` -> `compare` on the command line (subprocesses: absl flags are global)."""

import glob
import json
import os
import subprocess
import sys

import numpy as np

from tests.harness import BACKEND
from tests.harness import REPO_ROOT

CONFIG = "configs/synthetic/small_fcn_rr.py:smoke"


def run_tool(name, *args, env=None):
    full_env = dict(os.environ, PYTHONPATH=REPO_ROOT, TF_CPP_MIN_LOG_LEVEL="3", **(env or {}))
    proc = subprocess.run(
        [sys.executable, "-m", f"keras_rr.tools.{name}", *args],
        env=full_env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc.stdout


def _scalars(event_dir):
    import tensorflow as tf

    tags = set()
    for path in glob.glob(os.path.join(event_dir, "events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(path).as_numpy_iterator():
            event = tf.compat.v1.Event.FromString(record)
            tags.update(value.tag for value in event.summary.value)
    return tags


def test_train_evaluate_compare_command_lines(tmp_path):
    workdir = tmp_path / "run"
    # The backend's own strategy runs through the same code path (one CPU replica for
    # TensorFlow, two simulated devices for JAX).
    strategy, env = {"tensorflow": ("mirrored", {}),
                     "jax": ("data_parallel", {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}),
                     "torch": ("none", {})}[BACKEND]
    out = run_tool("train", f"--config={CONFIG}", f"--workdir={workdir}", "--noprogress",
                   f"--strategy={strategy}", "--config.train.checkpoint_every=1", env=env)
    assert "step 2: mIoU" in out
    for name in ("model.keras", "segmenter.keras", "metrics.json", "per_class.md", "config.json",
                 "class_statistics.json"):
        assert (workdir / name).is_file(), name
    assert sorted(os.listdir(workdir / "checkpoints")) == ["step_00000001", "step_00000002"]
    assert json.loads((workdir / "config.json").read_text())["train"]["checkpoint_every"] == 1
    assert {"loss", "pixel_loss", "region_loss", "learning_rate"} <= _scalars(workdir / "tensorboard" / "train")
    assert {"miou", "macc", "aacc"} <= _scalars(workdir / "tensorboard" / "eval")

    eval_dir = tmp_path / "eval_slide"
    # The .keras file is backend-independent; evaluating under TensorFlow also checks
    # that, and avoids JAX compiling every variable initializer while loading (the
    # in-process evaluation tests cover each backend).
    out = run_tool("evaluate", f"--model={workdir / 'segmenter.keras'}", f"--config={CONFIG}",
                   "--mode=slide", f"--output_dir={eval_dir}", "--noprogress",
                   env={"KERAS_BACKEND": "tensorflow"})
    assert "synthetic val (4 images, slide)" in out
    report = json.loads((eval_dir / "metrics.json").read_text())
    trained = json.loads((workdir / "metrics.json").read_text())
    assert report["mode"] == "slide" and report["eval"]["crop_size"] == 32 and report["num_images"] == 4
    # Training statistics are found beside the model.
    assert report["train_pixel_counts"] == trained["train_pixel_counts"]
    assert "Rows sorted by training pixel frequency" in (eval_dir / "per_class.md").read_text()

    compare_dir = tmp_path / "compare"
    out = run_tool("compare", f"--baseline={workdir / 'metrics.json'}", f"--candidate={eval_dir / 'metrics.json'}",
                   f"--statistics={workdir / 'class_statistics.json'}", f"--output_dir={compare_dir}",
                   # Model-free: the light NumPy backend saves a TensorFlow/torch import.
                   "--candidate_name=slide", env={"KERAS_BACKEND": "numpy"})
    assert "## Pearson" in out and "| slide |" in out
    result = json.loads((compare_dir / "compare.json").read_text())
    acc = np.array([np.nan if v is None else v for v in trained["acc"]])
    keep = np.isfinite(acc)
    expected = np.corrcoef(acc[keep], np.asarray(trained["train_region_counts"], float)[keep])[0, 1]
    np.testing.assert_allclose(result["pearson"]["baseline"]["acc_vs_region"], expected, rtol=1e-8)
    assert (compare_dir / "delta_per_class.png").read_bytes()[:4] == b"\x89PNG"
