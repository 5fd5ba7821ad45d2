"""metrics.json / per_class.md carry the LTSS frequency-group mIoU when statistics are known."""

import json

import numpy as np

from keras_rr.data import ClassStatistics
from keras_rr.metrics import metrics_from_confusion_matrix
from keras_rr.training import metrics_report

STATS = ClassStatistics.from_counts([600_000, 300_000, 99_000, 1_000], [100, 60, 5, 1], num_images=100)


def test_report_and_table_hold_group_miou_by_image_and_pixel(tmp_path):
    confusion = np.array([[50, 5, 0, 0], [5, 30, 0, 0], [0, 2, 8, 0], [0, 0, 0, 0]])  # class 3: IoU NaN
    metrics = metrics_from_confusion_matrix(confusion)
    report = metrics_report.metrics_report(metrics, ["a", "b", "c", "d"], "whole", statistics=STATS)
    iou = np.asarray(metrics.iou, "float64")
    assert np.isnan(iou[3])
    # Image frequency 1.0, 0.6, 0.05, 0.01 -> frequent, frequent, common, common (1% is common).
    assert report["frequency_groups"]["image"] == ["frequent", "frequent", "common", "common"]
    # Pixel frequency 0.6, 0.3, 0.099, 0.001 -> frequent, frequent, common, rare.
    assert report["frequency_groups"]["pixel"] == ["frequent", "frequent", "common", "rare"]
    image, pixel = report["frequency_group_miou"]["image"], report["frequency_group_miou"]["pixel"]
    np.testing.assert_allclose(image["frequent"], (iou[0] + iou[1]) / 2)
    np.testing.assert_allclose(image["common"], iou[2])  # NaN class 3 left out
    assert image["rare"] is None and pixel["rare"] is None  # empty / all-NaN groups: null
    np.testing.assert_allclose(pixel["common"], iou[2])

    paths = metrics_report.write_report(report, str(tmp_path))
    with open(paths["metrics"]) as f:
        assert json.load(f)["frequency_group_miou"] == report["frequency_group_miou"]
    with open(paths["table"]) as f:
        table = f.read()
    assert "mIoU by frequency group" in table
    assert f"| image | nan | {100 * iou[2]:.2f} | {100 * (iou[0] + iou[1]) / 2:.2f} |" in table

    # Without training statistics there are no groups.
    assert "frequency_group_miou" not in metrics_report.metrics_report(metrics, list("abcd"), "whole")
