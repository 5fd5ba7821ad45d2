"""Tests of the command-line tools; `run_tool` runs one as users do (`python -m ...`).

absl flags are process-global, so every tool runs in its own interpreter.
"""

import os
import subprocess
import sys

from tests.harness import REPO_ROOT


def run_tool(name, *args, env=None):
    """Runs `python -m keras_rr.tools.<name> *args` from the repository root; returns stdout."""
    full_env = dict(os.environ, PYTHONPATH=REPO_ROOT, TF_CPP_MIN_LOG_LEVEL="3", **(env or {}))
    proc = subprocess.run(
        [sys.executable, "-m", f"keras_rr.tools.{name}", *args],
        env=full_env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc.stdout
