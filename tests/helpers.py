"""Test helpers shared by the suite (kept tiny on purpose)."""

import os
import subprocess
import sys

import keras
import numpy as np

BACKEND = keras.backend.backend()
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def to_numpy(x):
    """Converts a backend tensor (or nested structure) to NumPy."""
    return keras.ops.convert_to_numpy(x)


def run_python(code, env=None, timeout=600):
    """Runs `code` in a fresh interpreter (for device setup that must precede imports).

    Returns the completed process; raises with its output when it fails.
    """
    return _run([sys.executable, "-c", code], env, timeout)


def run_script(path, args=(), env=None, timeout=600):
    """Runs the repository script `path` (relative to the repo root) with `args`.

    Returns the completed process; raises with its output when it fails.
    """
    return _run([sys.executable, os.path.join(REPO_ROOT, path), *args], env, timeout)


def _run(argv, env, timeout):
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = REPO_ROOT + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    proc = subprocess.run(argv, env=full_env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(
            f"subprocess failed ({proc.returncode}):\nSTDOUT:\n{proc.stdout}\n"
            f"STDERR:\n{proc.stderr[-6000:]}"
        )
    return proc


def random_labels(shape, num_classes, ignore_fraction=0.1, ignore_class=255, seed=0):
    """Integer label maps with some ignore pixels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, size=shape).astype("int32")
    labels[rng.random(shape) < ignore_fraction] = ignore_class
    return labels
