"""`python -m keras_rr.tools.compare`: two reports -> Pearson ρ, tables and the ΔIoU/ΔAcc plot."""

import json

import numpy as np

from keras_rr.data import ClassStatistics
from tests.harness import run_tool

PIXELS = [1000, 500, 100, 40, 10, 2]
REGIONS = [50, 40, 20, 15, 3, 1]


def _write_report(path, acc, iou):
    values = np.array([np.nan if v is None else v for v in iou])
    report = {"miou": float(np.nanmean(values)), "macc": float(np.mean(acc)), "aacc": 0.5,
              "iou": iou, "acc": acc, "class_names": list("abcdef"), "mode": "whole"}
    path.write_text(json.dumps(report))


def test_compare_command_line(tmp_path):
    base_acc = [0.9, 0.8, 0.6, 0.4, 0.2, 0.0]
    _write_report(tmp_path / "base.json", base_acc, [0.8, 0.7, 0.5, 0.3, 0.1, None])
    _write_report(tmp_path / "slide.json", [0.9, 0.85, 0.7, 0.5, 0.4, 0.1], [0.8, 0.72, 0.55, 0.4, 0.2, 0.05])
    ClassStatistics.from_counts(PIXELS, REGIONS, num_images=60).save(str(tmp_path / "stats.json"))

    compare_dir = tmp_path / "compare"
    out = run_tool("compare", f"--baseline={tmp_path / 'base.json'}", f"--candidate={tmp_path / 'slide.json'}",
                   f"--statistics={tmp_path / 'stats.json'}", f"--output_dir={compare_dir}",
                   # Model-free: the light NumPy backend saves a TensorFlow/torch import.
                   "--candidate_name=slide", env={"KERAS_BACKEND": "numpy"})
    assert "## Pearson" in out and "| slide |" in out and f"wrote plot: {compare_dir / 'delta_per_class.png'}" in out
    result = json.loads((compare_dir / "compare.json").read_text())
    expected = np.corrcoef(base_acc, REGIONS)[0, 1]
    np.testing.assert_allclose(result["pearson"]["baseline"]["acc_vs_region"], expected, rtol=1e-8)
    assert result["frequency_source"] == "statistics" and result["names"]["candidate"] == "slide"
    assert (compare_dir / "delta_per_class.png").read_bytes()[:4] == b"\x89PNG"
    assert (compare_dir / "compare.md").read_text() in out
