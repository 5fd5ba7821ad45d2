"""`python -m keras_rr.tools.dataset_stats` writes a valid statistics file."""

import json
import os

import numpy as np
import pytest

from keras_rr.data import ClassStatistics
from keras_rr.data import compute_class_statistics
from keras_rr.data import compute_dataset_statistics
from keras_rr.data import synthetic_long_tailed
from tests.data.label_files import write_bad_pairs
from tests.data.label_files import write_three_class_directory
from tests.harness import run_tool


def run_cli(*args):
    return run_tool("dataset_stats", *args)


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


def test_cli_on_a_directory(tmp_path):
    image_dir, label_dir, names_file = write_three_class_directory(tmp_path)
    output = tmp_path / "dir.json"
    printed = run_cli("--dataset=directory", f"--image_dir={image_dir}", f"--label_dir={label_dir}",
                      f"--class_names_file={names_file}", f"--output={output}", "--noprogress")
    stats = ClassStatistics.load(output, num_classes=3)
    assert stats.pixel_counts.tolist() == [1, 2, 3] and stats.class_names == ("a", "b", "c")
    assert f"wrote {output}" in printed


def test_bad_files_are_listed_and_novalidate_skips_images(tmp_path):
    # The CLI's default (--validate unset) is compute_dataset_statistics' validate=None: files are checked.
    image_dir, label_dir, bad = write_bad_pairs(str(tmp_path / "bad"))
    with pytest.raises(ValueError) as failed:
        compute_dataset_statistics("directory", image_dir=image_dir, label_dir=label_dir, num_classes=3,
                                   progress=False)
    assert "6 file(s) of the 7 image/label pairs" in str(failed.value)
    assert all(path in str(failed.value) for path in bad.values())
    # --novalidate: a damaged image does not stop labels-only counting.
    image_dir, label_dir, names_file = write_three_class_directory(tmp_path / "ok")
    with open(os.path.join(image_dir, "1.png"), "wb") as f:
        f.write(b"garbage")
    output = tmp_path / "s.json"
    run_cli("--dataset=directory", f"--image_dir={image_dir}", f"--label_dir={label_dir}",
            f"--class_names_file={names_file}", "--novalidate", "--noprogress", f"--output={output}")
    assert ClassStatistics.load(output, num_classes=3).pixel_counts.tolist() == [1, 2, 3]
