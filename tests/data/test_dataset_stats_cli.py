"""`python -m keras_rr.tools.dataset_stats` writes a valid statistics file."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from keras_rr.data import ClassStatistics
from keras_rr.data import compute_class_statistics
from keras_rr.data import compute_dataset_statistics
from keras_rr.data import synthetic_long_tailed

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_cli(*args):
    # A subprocess, not an in-process `main`: absl flags are process-global, and other
    # tools modules imported by the same pytest process may define the same names.
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run(
        [sys.executable, "-m", "keras_rr.tools.dataset_stats", *args],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_cli_on_synthetic_writes_a_valid_file(tmp_path):
    output = tmp_path / "stats" / "synthetic.json"
    printed = run_cli("--dataset=synthetic", "--num_images=40", "--image_size=32", "--seed=3",
                      f"--output={output}", "--noprogress", "--top=3")
    assert "pixel imbalance factor (PIF)" in printed and "region imbalance factor (RIF)" in printed
    data = json.loads(output.read_text())
    assert data["dataset"] == "synthetic" and data["split"] == "train" and data["num_images"] == 40
    stats = ClassStatistics.load(output, num_classes=12)
    _, labels = synthetic_long_tailed(num_images=40, image_size=32, seed=3)
    expected = compute_class_statistics(labels, 12, progress=False)
    np.testing.assert_array_equal(stats.pixel_counts, expected.pixel_counts)
    np.testing.assert_array_equal(stats.region_counts, expected.region_counts)
    assert stats.class_names[0] == "ground"
    assert f"{stats.pixel_imbalance_factor:.1f}" in printed


def test_compute_dataset_statistics_on_a_directory(tmp_path):
    from PIL import Image

    image_dir, label_dir = tmp_path / "img", tmp_path / "lab"
    image_dir.mkdir()
    label_dir.mkdir()
    labels = [np.array([[0, 1], [1, 255]], np.uint8), np.array([[2, 2, 2]], np.uint8)]
    for i, label in enumerate(labels):
        Image.fromarray(np.zeros(label.shape + (3,), np.uint8)).save(image_dir / f"{i}.png")
        Image.fromarray(label, mode="L").save(label_dir / f"{i}.png")
    (tmp_path / "names.txt").write_text("a\nb\nc\n")
    stats = compute_dataset_statistics(
        "directory", image_dir=str(image_dir), label_dir=str(label_dir),
        class_names_file=str(tmp_path / "names.txt"), progress=False,
    )
    np.testing.assert_array_equal(stats.pixel_counts, [1, 2, 3])
    np.testing.assert_array_equal(stats.region_counts, [1, 1, 1])
    assert stats.class_names == ("a", "b", "c") and stats.num_ignored_pixels == 1
    with pytest.raises(ValueError, match="Unknown dataset"):
        compute_dataset_statistics("cityscapes")
