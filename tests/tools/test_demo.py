"""The main job (`make demo`) end to end, in a reduced size."""

import json
import os

import pytest

from tests.harness import REPO_ROOT
from tests.harness import run_python
from tests.harness import skip_on_backends


@pytest.mark.slow
def test_demo_quick_run_writes_report_and_plots(tmp_path):
    code = (
        "import sys; from absl import app; from keras_rr.tools import demo; "
        f"sys.argv = ['demo', '--quick', '--output_dir={tmp_path}']; app.run(demo.main)"
    )
    proc = run_python(code)
    assert "| region_rebalance |" in proc.stdout and "| baseline |" in proc.stdout
    for name in ("report.md", "results.json", "stats.json", "per_class_delta.png", "frequency_histogram.png"):
        path = os.path.join(tmp_path, name)
        assert os.path.getsize(path) > 0, name
    with open(os.path.join(tmp_path, "results.json")) as f:
        results = json.load(f)
    assert set(results["results"]) == {"baseline", "region_rebalance"}
    assert len(results["results"]["baseline"]) == 2  # two paired seeds


@pytest.mark.slow
@skip_on_backends(
    "jax", reason="CI time on JAX (each subprocess compiles the model op by op); "
    "the wrapper steps it runs are tested on JAX in tests/region_rebalance",
)
def test_quickstart_example_runs(tmp_path):
    path = os.path.join(REPO_ROOT, "examples", "quickstart.py")
    source = open(path).read().replace("num_images=300", "num_images=32").replace("num_images=100", "num_images=8")
    source = source.replace("epochs=5", "epochs=1")
    proc = run_python(source)
    assert "max_abs_diff" in proc.stdout
