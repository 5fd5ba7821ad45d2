"""Quiet tools: TF / XLA / absl start-up lines are silenced unless `--verbose`."""

import os
import subprocess
import sys

from keras_rr.tools import quiet
from tests.harness import BACKEND
from tests.harness import REPO_ROOT

# Lines TensorFlow / XLA / absl C++ code prints at start-up on a machine without a GPU.
NOISE = ("absl::InitializeLog", "cudart_stub", "cuInit", "cpu_feature_guard", "I0000", "E0000", "W0000")


def test_tool_name_and_verbose_come_from_the_interpreter_command_line():
    assert quiet.tool_name(["python", "-m", "keras_rr.tools.export", "--format=onnx"]) == "export"
    assert quiet.tool_name(["python", "-c", "import keras_rr"]) is None
    assert quiet.tool_name(["python", "-m", "pytest", "keras_rr.tools.export"]) is None
    assert quiet.verbose_requested(["python", "-m", "keras_rr.tools.demo", "--verbose"])
    assert not quiet.verbose_requested(["python", "-m", "keras_rr.tools.demo", "--noverbose"])
    # Not a tool, or a tool asked to be verbose: nothing is changed.
    assert not quiet.quiet_tool_logs(["python", "-c", "pass"])
    assert not quiet.quiet_tool_logs(["python", "-m", "keras_rr.tools.demo", "--verbose"])


def _tool_stderr(*args):
    # The harness' runners keep the parent's TF_CPP_MIN_LOG_LEVEL (conftest sets it);
    # this run must start without it, as a user's shell does.
    env = {k: v for k, v in os.environ.items() if k not in quiet.QUIET_ENVIRONMENT}
    env.update(KERAS_BACKEND=BACKEND, PYTHONPATH=REPO_ROOT)
    proc = subprocess.run(
        [sys.executable, "-m", "keras_rr.tools.dataset_stats", *args],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout, proc.stderr


def test_a_tool_prints_no_tensorflow_xla_or_absl_start_up_lines(tmp_path):
    stdout, stderr = _tool_stderr(
        "--dataset=synthetic", "--num_images=4", "--image_size=32", "--noprogress", f"--output={tmp_path / 's.json'}"
    )
    assert "pixel imbalance factor" in stdout
    noisy = [line for line in stderr.splitlines() if any(word in line for word in NOISE)]
    assert noisy == []
