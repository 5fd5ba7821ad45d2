"""`python -m keras_rr.tools.export` (a subprocess: absl flags are global)."""

import json
import os

from tests.harness import BACKEND
from tests.harness import run_tool
from tests.tiny_models import trained_region_rebalance_segmenter


def test_export_cli(tmp_path):
    model, _ = trained_region_rebalance_segmenter()
    model_path = os.path.join(tmp_path, "wrapper.keras")
    model.save(model_path)
    out = os.path.join(tmp_path, "plain.keras")
    stdout = run_tool("export", f"--model={model_path}", f"--output={out}", env={"KERAS_BACKEND": BACKEND})
    report = json.loads(stdout.strip().splitlines()[-1])
    assert report["max_abs_diff"] == 0.0 and report["path"] == out and report["format"] == "keras"
    assert report["num_weights"] == len(model.segmenter.weights)
    assert os.path.exists(out)
