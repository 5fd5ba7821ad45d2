"""`python -m keras_rr.tools.export` (a subprocess: absl flags are global)."""

import json
import os

import numpy as np

from tests.harness import BACKEND
from tests.harness import run_tool
from tests.tiny_models import trained_region_rebalance_segmenter
from tests.harness import skip_on_backends


@skip_on_backends(
    "jax", reason="CI time on JAX (each subprocess compiles the model op by op); "
    "the JAX export routes are tested in tests/export",
)
def test_export_cli(tmp_path):
    model, images = trained_region_rebalance_segmenter()
    model_path = os.path.join(tmp_path, "wrapper.keras")
    model.save(model_path)
    images_path = os.path.join(tmp_path, "images.npy")
    np.save(images_path, images)
    out = os.path.join(tmp_path, "plain.keras")
    stdout = run_tool(
        "export", f"--model={model_path}", f"--output={out}", "--outputs=labels", f"--sample_images={images_path}",
        env={"KERAS_BACKEND": BACKEND},
    )
    report = json.loads(stdout.strip().splitlines()[-1])
    assert report["path"] == out and report["format"] == "keras" and report["outputs"] == "labels"
    assert report["max_abs_diff"] == 0.0 and report["argmax_agreement"] == 1.0 and report["num_samples"] == 2
    assert report["backend"] == BACKEND
    assert os.path.exists(out)
