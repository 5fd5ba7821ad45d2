"""Per-class comparison helpers: Pearson r, deltas, tables, head/body/tail, imbalance."""

import numpy as np
import pytest

from keras_rr import metrics as rr_metrics


def test_pearson_matches_corrcoef_and_skips_nan():
    rng = np.random.default_rng(0)
    x = rng.random(20)
    y = 3 * x + rng.normal(scale=0.3, size=20)
    assert rr_metrics.pearson_r(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1])
    x_nan = x.copy()
    x_nan[[2, 7]] = np.nan
    keep = ~np.isnan(x_nan)
    assert rr_metrics.pearson_r(x_nan, y) == pytest.approx(
        np.corrcoef(x[keep], y[keep])[0, 1]
    )
    counts = np.exp(rng.normal(size=20) * 3)
    counts[0] = 0.0  # log(0) is skipped, not -inf
    keep = counts > 0
    assert rr_metrics.pearson_r(x, counts, log=True) == pytest.approx(
        np.corrcoef(x[keep], np.log(counts[keep]))[0, 1]
    )
    # Known value: a perfectly anti-correlated pair.
    assert rr_metrics.pearson_r([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert np.isnan(rr_metrics.pearson_r([1, 1, 1], [1, 2, 3]))
    assert np.isnan(rr_metrics.pearson_r([1.0], [2.0]))
    with pytest.raises(ValueError, match="same length"):
        rr_metrics.pearson_r([1, 2], [1, 2, 3])


def test_delta_per_class():
    a = rr_metrics.metrics_from_confusion_matrix([[3, 1], [1, 1]])
    b = rr_metrics.metrics_from_confusion_matrix([[4, 0], [1, 1]])
    d = rr_metrics.delta_per_class(a, b)
    np.testing.assert_allclose(d["iou"], b.iou - a.iou)
    np.testing.assert_allclose(d["acc"], b.acc - a.acc)
    assert d["miou"] == pytest.approx(b.miou - a.miou)
    d2 = rr_metrics.delta_per_class({"iou": [0.1, 0.2], "acc": [0.3, 0.4]},
                                    {"iou": [0.2, 0.2], "acc": [0.3, 0.1]})
    np.testing.assert_allclose(d2["iou"], [0.1, 0.0])
    np.testing.assert_allclose(d2["acc"], [0.0, -0.3])
    assert "miou" not in d2


def test_per_class_table_sorted_by_frequency():
    cm = np.diag([5.0, 50.0, 0.0, 20.0])
    cm[0, 1] = 5.0
    m = rr_metrics.metrics_from_confusion_matrix(cm)
    table = rr_metrics.per_class_table(m, class_names=["a", "b", "c", "d"])
    rows = [line for line in table.splitlines() if line.startswith("| ") and "class" not in line]
    names = [row.split("|")[2].strip() for row in rows]
    # b (50) > d (20) > a (10) > c (0); then the mean row.
    assert names == ["b", "d", "a", "c", "mean"]
    # The first column is the class id (its index in the label maps), not the rank.
    assert table.splitlines()[0].startswith("| id | class |")
    assert [row.split("|")[1].strip() for row in rows] == ["1", "3", "0", "2", ""]
    assert "nan" in rows[3]  # class c is absent: NaN, not 0
    assert "mIoU" in table
    unsorted = rr_metrics.per_class_table(m, sort_by_frequency=False)
    assert [r.split("|")[2].strip() for r in unsorted.splitlines()[2:6]] == ["0", "1", "2", "3"]
    with pytest.raises(ValueError, match="class_names"):
        rr_metrics.per_class_table(m, class_names=["a"])


def test_head_body_tail():
    counts = np.array([1, 100, 10, 1000, 50, 5])
    groups = rr_metrics.head_body_tail_split(counts)
    np.testing.assert_array_equal(groups["head"], [3, 1])
    np.testing.assert_array_equal(groups["body"], [4, 2])
    np.testing.assert_array_equal(groups["tail"], [5, 0])
    values = np.array([0.1, 0.8, 0.5, 0.9, np.nan, 0.3])
    summary = rr_metrics.head_body_tail_summary(values, counts)
    assert summary["head"] == pytest.approx(0.85)
    assert summary["body"] == pytest.approx(0.5)  # NaN skipped
    assert summary["tail"] == pytest.approx(0.2)
    two = rr_metrics.head_body_tail_split(counts, fractions=(0.5, 0.5))
    assert list(two) == ["group0", "group1"] and len(two["group0"]) == 3
    with pytest.raises(ValueError, match="fractions"):
        rr_metrics.head_body_tail_split(counts, fractions=(1.0, -1.0))


def test_imbalance_factor():
    assert rr_metrics.imbalance_factor([0, 10, 2, 40]) == pytest.approx(20.0)
    assert np.isnan(rr_metrics.imbalance_factor([0, 0]))


def test_tables_and_summaries_skip_nan_classes_only():
    # Class 1 is NaN (absent): skipped by every mean. An infinite value is not skipped.
    metrics = {"iou": [0.2, np.nan, 0.6], "acc": [0.4, np.nan, 0.8], "aacc": 0.5}
    table = rr_metrics.per_class_table(metrics, sort_by_frequency=False)
    mean_row = [r for r in table.splitlines() if "| mean |" in r][0]
    assert "40.00" in mean_row and "60.00" in mean_row
    assert "mIoU 40.00 | mAcc 60.00 | aAcc 50.00" in table
    summary = rr_metrics.head_body_tail_summary([0.2, np.nan, np.inf], [3, 2, 1])
    assert summary["head"] == pytest.approx(0.2) and np.isnan(summary["body"])
    assert summary["tail"] == np.inf and summary["all"] == np.inf


def test_delta_per_class_reads_attributes_and_checks_shapes():
    class Run:  # attributes only, no item access
        def __init__(self, iou, miou):
            self.iou, self.acc, self.miou = np.asarray(iou), np.asarray(iou), miou

    d = rr_metrics.delta_per_class(Run([0.1, 0.5], 0.3), Run([0.3, 0.4], 0.35))
    np.testing.assert_allclose(d["iou"], [0.2, -0.1])
    assert d["miou"] == pytest.approx(0.05) and "macc" not in d
    with pytest.raises(ValueError, match="same number of classes"):
        rr_metrics.delta_per_class({"iou": [0.1], "acc": [0.1]}, {"iou": [0.1, 0.2], "acc": [0.1, 0.2]})
    with pytest.raises(ValueError, match="per-class `acc`"):
        rr_metrics.delta_per_class({"iou": [0.1]}, {"iou": [0.1]})
