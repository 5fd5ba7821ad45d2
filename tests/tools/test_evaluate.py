"""`python -m keras_rr.tools.evaluate`: a saved segmenter's report, with the statistics beside it."""

import json
import os

from keras_rr.training import config as rr_config
from keras_rr.training import training_data
from tests import tiny_models
from tests.harness import REPO_ROOT
from tests.harness import run_tool

CONFIG = "configs/synthetic/small_fcn_rr.py:smoke"


def test_evaluate_command_line(tmp_path):
    config = rr_config.load_config(os.path.join(REPO_ROOT, CONFIG))
    segmenter = tiny_models.functional_segmenter(config.data.num_classes, size=32, channels=4)
    segmenter.save(tmp_path / "segmenter.keras")
    # The training statistics beside the model, as the trainer leaves them.
    train_labels = training_data.synthetic_arrays(config.data, train=True)[1]
    stats = training_data.load_statistics(config.data, str(tmp_path), labels=train_labels)

    eval_dir = tmp_path / "eval_slide"
    # The .keras file is backend-independent; evaluating under TensorFlow also checks
    # that, and avoids JAX compiling every variable initializer while loading (the
    # in-process evaluation tests cover each backend).
    out = run_tool("evaluate", f"--model={tmp_path / 'segmenter.keras'}", f"--config={CONFIG}",
                   "--mode=slide", f"--output_dir={eval_dir}", "--noprogress",
                   env={"KERAS_BACKEND": "tensorflow"})
    assert "synthetic val (4 images, slide)" in out and f"wrote {eval_dir}/metrics.json" in out
    report = json.loads((eval_dir / "metrics.json").read_text())
    assert report["mode"] == "slide" and report["eval"]["crop_size"] == 32 and report["num_images"] == 4
    # Training statistics are found beside the model.
    assert report["train_pixel_counts"] == [int(c) for c in stats.pixel_counts]
    assert "Rows sorted by training pixel frequency" in (eval_dir / "per_class.md").read_text()
