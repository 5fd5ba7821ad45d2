"""Paired-difference statistics and the report tables built on them."""

import numpy as np
import pytest

from keras_rr.data import ClassStatistics
from keras_rr.experiments import paired_difference
from keras_rr.experiments import paired_report
from keras_rr.metrics import metrics_from_confusion_matrix


def test_paired_difference_known_values():
    mean, half = paired_difference([0.52, 0.55, 0.50], [0.50, 0.51, 0.49])
    diff = np.array([0.02, 0.04, 0.01])
    np.testing.assert_allclose(mean, diff.mean(), rtol=1e-12)
    # t_{0.975, 2} = 4.303.
    np.testing.assert_allclose(half, 4.303 * diff.std(ddof=1) / np.sqrt(3), rtol=1e-12)
    np.testing.assert_allclose(half, 0.03795, atol=1e-5)


def test_t_quantiles_between_and_beyond_the_table():
    rng = np.random.default_rng(0)
    for n, t in ((12, 2.179), (40, 1.96), (31, 2.042)):  # df 11 -> df 12's; df 39 -> normal; df 30
        a, b = rng.normal(size=n), rng.normal(size=n)
        _, half = paired_difference(a, b)
        np.testing.assert_allclose(half, t * np.std(a - b, ddof=1) / np.sqrt(n), rtol=1e-12)


def test_paired_difference_single_seed_and_shape_errors():
    mean, half = paired_difference([0.6], [0.5])
    np.testing.assert_allclose(mean, 0.1)
    assert np.isnan(half)
    with pytest.raises(ValueError, match="equal 1-D shapes"):
        paired_difference([0.1, 0.2], [0.1])


def _metrics(diagonal):
    # 3 classes, 10 pixels each; `diagonal` pixels of each class right, the rest on class 0.
    cm = np.zeros((3, 3))
    for k, right in enumerate(diagonal):
        cm[k, k] += right
        cm[k, 0] += 10 - right
    return metrics_from_confusion_matrix(cm)


def test_summary_table_reports_the_paired_difference():
    results = {
        "baseline": [_metrics([10, 6, 2]), _metrics([10, 5, 3])],
        "rr": [_metrics([10, 7, 5]), _metrics([9, 7, 4])],
    }
    pixels = np.array([100.0, 10.0, 1.0])
    rows = {row["variant"]: row for row in paired_report.summary_rows(results, pixels)}
    assert rows["baseline"]["delta_miou"] is None
    mean, half = paired_difference([m.miou for m in results["rr"]], [m.miou for m in results["baseline"]])
    np.testing.assert_allclose(rows["rr"]["delta_miou"], (100 * mean, 100 * half))
    table = paired_report.summary_table(results, pixels)
    assert f"{100 * mean:+.2f} ± {100 * half:.2f}" in table and "2 paired seeds" in table
    stats = ClassStatistics.from_counts(pixels, [5, 3, 1], num_images=5)
    per_class = paired_report.per_class_comparison(results, stats, "rr")
    assert "ΔIoU" in per_class and "baseline IoU" in per_class
