"""NumPy segmentation metrics: confusion matrix, mmseg-style IoU/Acc and `nanmean`."""

import warnings

import numpy as np
import pytest

from keras_rr.metrics import SegmentationMetrics
from keras_rr.metrics import confusion_matrix_numpy
from keras_rr.metrics import metrics_from_confusion_matrix
from keras_rr.metrics.segmentation_metrics import nanmean
from tests.harness import random_labels
from tests.references import np_confusion_matrix

# Hand-worked example, K = 3, ignore 255, label 7 is out of range:
#   y_true = [[0, 0, 1, 1],      y_pred = [[0, 1, 1, 1],
#             [2, 255, 1, 7]]              [0, 2, 2, 0]]
# counted pixels (gt, pred): (0,0) (0,1) (1,1) (1,1) (2,0) (1,2)
#   cm = [[1, 1, 0],    TP = [1, 2, 0], GT = [2, 3, 1], PRED = [2, 3, 1]
#         [0, 2, 1],    union = GT + PRED - TP = [3, 4, 2]
#         [1, 0, 0]]    IoU = [1/3, 1/2, 0]  -> mIoU = 5/18
#                       Acc = [1/2, 2/3, 0]  -> mAcc = 7/18, aAcc = 3/6
Y_TRUE = np.array([[[0, 0, 1, 1], [2, 255, 1, 7]]])
Y_PRED = np.array([[[0, 1, 1, 1], [0, 2, 2, 0]]])
CM = np.array([[1, 1, 0], [0, 2, 1], [1, 0, 0]], dtype=np.float64)


def test_hand_example():
    cm = confusion_matrix_numpy(Y_TRUE, Y_PRED, num_classes=3)
    np.testing.assert_array_equal(cm, CM)
    m = metrics_from_confusion_matrix(cm)
    np.testing.assert_allclose(m.iou, [1 / 3, 1 / 2, 0.0])
    np.testing.assert_allclose(m.acc, [1 / 2, 2 / 3, 0.0])
    assert m.miou == pytest.approx(5 / 18)
    assert m.macc == pytest.approx(7 / 18)
    assert m.aacc == pytest.approx(0.5)
    np.testing.assert_array_equal(m.pixel_counts, [2, 3, 1])
    assert m["miou"] == m.miou and m.num_classes == 3
    assert set(m.summary()) == {"miou", "macc", "aacc"}


def test_matches_pixel_by_pixel_reference():
    rng = np.random.default_rng(3)
    labels = random_labels((2, 6, 7), 5, ignore_fraction=0.2, seed=3)
    labels[rng.random(labels.shape) < 0.05] = 8  # out of range
    labels[rng.random(labels.shape) < 0.05] = -1
    preds = rng.integers(-1, 6, labels.shape)  # some predictions out of range too
    np.testing.assert_array_equal(
        confusion_matrix_numpy(labels, preds, 5), np_confusion_matrix(labels, preds, 5)
    )
    np.testing.assert_array_equal(
        confusion_matrix_numpy(labels, preds, 5, ignore_class=None),
        np_confusion_matrix(labels, preds, 5, ignore_class=None),
    )


def test_label_and_score_layouts_agree():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, (2, 5, 6))
    scores = rng.normal(size=(2, 5, 6, 4))
    ref = np_confusion_matrix(labels, scores.argmax(-1), 4)
    np.testing.assert_array_equal(confusion_matrix_numpy(labels, scores, 4), ref)
    np.testing.assert_array_equal(confusion_matrix_numpy(labels[..., None], scores, 4), ref)
    np.testing.assert_array_equal(
        confusion_matrix_numpy(labels[..., None], scores.argmax(-1)[..., None], 4), ref
    )
    assert ref.sum() == labels.size


def test_sample_weight_broadcast():
    labels = np.array([[[0, 1]], [[1, 1]]])  # (2, 1, 2)
    preds = np.array([[[0, 0]], [[1, 1]]])
    cm = confusion_matrix_numpy(labels, preds, 2, sample_weight=np.array([2.0, 0.5]))
    np.testing.assert_allclose(cm, [[2.0, 0.0], [2.0, 1.0]])


def test_nan_handling_absent_classes():
    # Class 2 only predicted (IoU 0, Acc NaN); class 3 absent everywhere (both NaN).
    cm = np.array(
        [[2, 0, 1, 0], [0, 3, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], dtype=np.float64
    )
    m = metrics_from_confusion_matrix(cm)
    np.testing.assert_allclose(m.iou[:3], [2 / 3, 1.0, 0.0])
    assert np.isnan(m.iou[3])
    np.testing.assert_allclose(m.acc[:2], [2 / 3, 1.0])
    assert np.isnan(m.acc[2]) and np.isnan(m.acc[3])
    assert m.miou == pytest.approx((2 / 3 + 1.0 + 0.0) / 3)
    assert m.macc == pytest.approx((2 / 3 + 1.0) / 2)
    assert m.aacc == pytest.approx(5 / 6)


def test_empty_confusion_matrix_is_nan_not_error():
    m = metrics_from_confusion_matrix(np.zeros((3, 3)))
    assert np.isnan(m.miou) and np.isnan(m.macc) and np.isnan(m.aacc)
    assert np.all(np.isnan(m.iou))


def test_all_ignored_counts_nothing():
    cm = confusion_matrix_numpy(np.full((1, 3, 3), 255), np.zeros((1, 3, 3)), 2)
    assert cm.sum() == 0


def test_nanmean_skips_nan_only():
    # mmseg's np.nanmean: NaN (a class with nothing to measure) is skipped ...
    assert nanmean([0.5, np.nan, 1.0]) == pytest.approx(0.75)
    assert nanmean(np.array([[0.2, np.nan], [0.4, np.nan]])) == pytest.approx(0.3)
    # ... an infinite value is a broken input and shows in the mean ...
    assert nanmean([0.5, np.inf]) == np.inf
    assert nanmean([-np.inf, 1.0, np.nan]) == -np.inf
    # ... and nothing to average is NaN, without a RuntimeWarning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(nanmean([np.nan, np.nan]))
        assert np.isnan(nanmean([]))


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_classes"):
        confusion_matrix_numpy(Y_TRUE, Y_PRED, num_classes=0)
    with pytest.raises(ValueError, match="num_classes"):
        confusion_matrix_numpy(Y_TRUE, Y_PRED, num_classes=True)
    with pytest.raises(ValueError, match="ignore_class"):
        confusion_matrix_numpy(Y_TRUE, Y_PRED, num_classes=3, ignore_class="void")
    with pytest.raises(ValueError, match="same pixels"):
        confusion_matrix_numpy(Y_TRUE, Y_PRED[:, :1], num_classes=3)
    with pytest.raises(ValueError, match="sample_weight"):
        confusion_matrix_numpy(Y_TRUE, Y_PRED, num_classes=3, sample_weight=np.ones(5))
    with pytest.raises(ValueError, match="square"):
        metrics_from_confusion_matrix(np.zeros((2, 3)))
    assert isinstance(metrics_from_confusion_matrix(CM), SegmentationMetrics)
