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


def test_sigterm_saves_the_running_step_and_the_same_command_resumes_there(tmp_path):
    import signal
    import subprocess
    import sys

    from keras_rr.training import config as rr_config
    from keras_rr.training import train_and_evaluate
    from tests.harness import REPO_ROOT

    workdir = tmp_path / "run"
    # A long run whose learning-rate schedule is pinned to 3000 steps, so the resume below
    # may end it earlier (`train.total_steps` may change when `schedule.total_steps` is set).
    overrides = {"train.total_steps": 3000, "schedule.total_steps": 3000, "train.checkpoint_every": 1000,
                 "train.log_every": 5, "train.export": False}
    env = {**os.environ, "PYTHONPATH": REPO_ROOT, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "keras_rr.tools.train", f"--config={CONFIG}", f"--workdir={workdir}", "--noprogress",
         *(f"--config.{k}={v}" for k, v in overrides.items())],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines = []
    try:
        for line in proc.stdout:  # the losses are logged every 5 steps without a progress bar
            lines.append(line)
            if "step 10/3000: loss" in line:
                proc.send_signal(signal.SIGTERM)
                break
        out, _ = proc.communicate(timeout=120)
    finally:
        proc.kill()
    last = (lines + out.splitlines())[-1]
    assert proc.returncode == 143, "".join(lines) + out
    # One line, no traceback; at most the step running when the signal came is lost.
    assert "Traceback" not in out and last.startswith("SIGTERM received: stopped at step "), last
    (step_name,) = os.listdir(workdir / "checkpoints")
    step = int(step_name.split("_")[1])
    assert 10 <= step < 3000 and f"stopped at step {step}, saved {workdir / 'checkpoints' / step_name}" in last

    config = rr_config.load_config(os.path.join(REPO_ROOT, CONFIG), overrides={**overrides, "train.total_steps": step + 1})
    steps = []
    result = train_and_evaluate(config, str(workdir), progress=False, step_hooks=[lambda s, _: steps.append(s)])
    assert result.start_step == step and steps == [step + 1]


def test_the_getting_started_folder_command_runs_as_written(tmp_path):
    # The "A first RR fit on your own folder" command of docs/getting-started.md, run as printed (its folders made
    # here with 7 classes, images of several sizes), plus only what makes it tiny.
    import re
    import shlex
    import subprocess
    import sys

    import numpy as np

    from tests.data import label_files
    from tests.harness import REPO_ROOT

    with open(os.path.join(REPO_ROOT, "docs", "getting-started.md"), encoding="utf-8") as f:
        section = f.read().split("### The same from the command line", 1)[1]
    command = re.search(r"```bash\n(.*?)```", section, re.S).group(1).replace("\\\n", " ")
    rng = np.random.default_rng(0)
    for split, sizes in (("train", [(80, 96), (96, 72), (70, 70)]), ("val", [(64, 64), (72, 48)])):
        for folder in ("images", "labels"):
            (tmp_path / "mydata" / split / folder).mkdir(parents=True)
        for i, (height, width) in enumerate(sizes):
            label_files.write_image(str(tmp_path / "mydata" / split / "images" / f"{i}.png"), height, width, seed=i)
            label = rng.integers(0, 6, size=(height, width)).astype("uint8")  # class 6 absent
            label_files.write_label(str(tmp_path / "mydata" / split / "labels" / f"{i}.png"), label)
    # Run from the repository root (the config path is relative to it); the data and
    # the workdir go under tmp_path.
    command = command.replace("mydata/", f"{tmp_path}/mydata/").replace("runs/", f"{tmp_path}/runs/")
    args = shlex.split(command)
    assert args[:3] == ["python", "-m", "keras_rr.tools.train"], args
    tiny = ["--config.train.total_steps=2", "--config.train.batch_size=2", "--config.eval.batch_size=2",
            "--config.model.width=8", "--config.train.checkpoint_every=2", "--noprogress"]
    env = {**os.environ, "PYTHONPATH": REPO_ROOT, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, *args[1:], *tiny], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    workdir = tmp_path / "runs" / "mydata_rr"
    metrics = json.loads((workdir / "metrics.json").read_text())
    assert metrics and {"model.keras", "segmenter.keras", "class_statistics.json"} <= set(os.listdir(workdir))
