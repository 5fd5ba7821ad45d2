"""NumPy segmentation metrics: confusion matrix, IoU, Acc, mIoU, mAcc, aAcc.

These functions run outside any graph (evaluation loops, reports, tests). The streaming
Keras metric `SegmentationConfusionMatrix` produces the same confusion matrix inside
`fit`/`evaluate`; both feed `metrics_from_confusion_matrix`. The conventions (mmseg's:
NaN for absent classes, skipped by the means) are described in `docs/method.md`,
section 5.
"""

import dataclasses

import numpy as np

from keras_rr import validation


@dataclasses.dataclass
class SegmentationMetrics:
    """Per-class and mean segmentation metrics derived from one confusion matrix.

    Values are fractions in [0, 1] (multiply by 100 for the percentages papers report).
    Follows mmseg: classes absent from both ground truth and predictions have NaN IoU
    and are skipped by `miou`; classes absent from the ground truth have NaN Acc and are
    skipped by `macc`.

    Also readable like a dict (`metrics["miou"]`), so code written for either form works.

    Args:
        iou: float64 array `(K,)`. IoU_k = TP / (TP + FP + FN), NaN where the denominator
            is 0.
        acc: float64 array `(K,)`. Acc_k = TP / (TP + FN), NaN where class k has no
            ground-truth pixel.
        miou: float. NaN-skipping mean of `iou` (NaN when every class is NaN).
        macc: float. NaN-skipping mean of `acc`.
        aacc: float. Sum of TP over all labeled pixels (NaN when nothing is labeled).
        confusion_matrix: float64 array `(K, K)`; rows are ground truth, columns are
            predictions.
        pixel_counts: float64 array `(K,)`. Ground-truth pixels per class (row sums).

    Example:

    ```python
    cm = keras_rr.metrics.confusion_matrix_numpy(labels, preds, num_classes=150)
    m = keras_rr.metrics.metrics_from_confusion_matrix(cm)
    print(m.miou, m["macc"])
    ```
    """

    iou: np.ndarray
    acc: np.ndarray
    miou: float
    macc: float
    aacc: float
    confusion_matrix: np.ndarray
    pixel_counts: np.ndarray

    @property
    def num_classes(self):
        return int(self.iou.shape[0])

    def __getitem__(self, key):
        if key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)

    def keys(self):
        return [f.name for f in dataclasses.fields(self)]

    def as_dict(self):
        """Returns the fields as a plain dict (arrays stay NumPy arrays)."""
        return {k: getattr(self, k) for k in self.keys()}

    def summary(self):
        """Returns `{"miou", "macc", "aacc"}` as Python floats (handy for logging)."""
        return {"miou": float(self.miou), "macc": float(self.macc), "aacc": float(self.aacc)}


def confusion_matrix_numpy(
    y_true, y_pred, num_classes, ignore_class=255, sample_weight=None
):
    """Confusion matrix of integer label maps, with NumPy `bincount`.

    Pixels whose label equals `ignore_class` or lies outside `[0, num_classes)` count
    nowhere. Pixels whose integer prediction lies outside `[0, num_classes)` also count
    nowhere (a K x K matrix has no column for them; predictions from an argmax never
    are).

    Args:
        y_true: int array, e.g. `(B, H, W)` or `(B, H, W, 1)` (any shape works; only a
            4-D map loses a trailing axis of size 1).
        y_pred: int array of the label shape (a trailing axis of size 1 is dropped), or
            class scores with one extra trailing axis of size `num_classes` (argmax is
            taken).
        num_classes: int. Number of classes `K`.
        ignore_class: int or None. Label value that marks unlabeled pixels. Defaults to
            `255`.
        sample_weight: optional float array broadcastable to `y_true` (after `y_true`
            has lost a trailing axis of size 1). Defaults to `None` (weight 1).

    Returns:
        float64 array `(K, K)`, rows = ground truth, columns = prediction.

    Example:

    ```python
    cm = keras_rr.metrics.confusion_matrix_numpy(
        np.array([[0, 1, 255]]), np.array([[0, 0, 1]]), num_classes=2)
    # [[1, 0], [1, 0]]
    ```
    """
    num_classes = validation.check_num_classes(num_classes)
    ignore_class = validation.check_ignore_class(ignore_class)
    y_true = validation.squeeze_label_channel(np.asarray(y_true))
    y_pred = np.asarray(y_pred)
    if y_pred.ndim == y_true.ndim + 1:
        if y_pred.shape[-1] == 1 and num_classes > 1:
            y_pred = y_pred[..., 0]
        else:
            y_pred = np.argmax(y_pred, axis=-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "`y_true` and `y_pred` must describe the same pixels. Received: "
            f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )
    weights = None
    if sample_weight is not None:
        weights = _broadcast_weights(sample_weight, y_true.shape).reshape(-1)
    y_true = y_true.reshape(-1).astype(np.int64)
    y_pred = y_pred.reshape(-1).astype(np.int64)
    # A K x K matrix has no column for a prediction outside [0, K) either.
    valid = validation.valid_label_mask(y_true, num_classes, ignore_class)
    valid &= validation.valid_label_mask(y_pred, num_classes)
    idx = y_true[valid] * num_classes + y_pred[valid]
    if weights is not None:
        weights = weights[valid]
    cm = np.bincount(idx, weights=weights, minlength=num_classes * num_classes)
    return cm.reshape(num_classes, num_classes).astype(np.float64)


def _broadcast_weights(sample_weight, label_shape):
    """Broadcasts per-image `(B,)` or per-pixel weights to the label shape."""
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.ndim == len(label_shape) + 1 and sw.shape[-1] == 1:
        sw = sw[..., 0]
    # Per-image weights `(B,)` align with the leading (batch) axis, as in Keras.
    sw = sw.reshape(sw.shape + (1,) * (len(label_shape) - sw.ndim))
    try:
        return np.broadcast_to(sw, label_shape)
    except ValueError:
        raise ValueError(
            "`sample_weight` must broadcast to the label shape. Received: "
            f"sample_weight.shape={np.shape(sample_weight)}, labels shape={label_shape}"
        ) from None


def metrics_from_confusion_matrix(confusion_matrix):
    """IoU, Acc, mIoU, mAcc and aAcc from a confusion matrix, following mmseg.

    IoU_k = TP / (TP + FP + FN) and Acc_k = TP / (TP + FN). A class absent from both the
    ground truth and the predictions (TP + FP + FN = 0) has NaN IoU and is skipped in
    mIoU; a class absent from the ground truth (TP + FN = 0) has NaN Acc and is skipped
    in mAcc. aAcc = sum(TP) / labeled pixels.

    Args:
        confusion_matrix: array-like `(K, K)`, rows = ground truth, columns =
            prediction (a NumPy array or a backend tensor).

    Returns:
        A `SegmentationMetrics`.

    Example:

    ```python
    m = keras_rr.metrics.metrics_from_confusion_matrix([[3, 1], [0, 2]])
    # m.iou == [0.75, 0.6667], m.acc == [0.75, 1.0], m.aacc == 5 / 6
    ```
    """
    cm = np.asarray(confusion_matrix, dtype=np.float64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(
            "`confusion_matrix` must be a square (K, K) matrix. Received: "
            f"confusion_matrix.shape={cm.shape}"
        )
    tp = np.diag(cm)
    gt = cm.sum(axis=1)
    pred = cm.sum(axis=0)
    union = gt + pred - tp
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, tp / np.where(union > 0, union, 1.0), np.nan)
        acc = np.where(gt > 0, tp / np.where(gt > 0, gt, 1.0), np.nan)
    total = gt.sum()
    return SegmentationMetrics(
        iou=iou,
        acc=acc,
        miou=nanmean(iou),
        macc=nanmean(acc),
        aacc=float(tp.sum() / total) if total > 0 else float("nan"),
        confusion_matrix=cm,
        pixel_counts=gt,
    )


def nanmean(values):
    """Mean of `values` skipping NaN entries; NaN (without a warning) when all are NaN.

    The one mean over classes used by every keras_rr metric and report. It follows
    mmseg (`np.nanmean`): NaN marks a class with nothing to measure (absent from the
    ground truth and the predictions) and is skipped; an infinite value is not a
    missing class but a broken input, so it is kept and shows in the result.

    Args:
        values: array-like of floats, any shape.

    Returns:
        float.

    Example:

    >>> nanmean([0.5, float("nan"), 1.0])
    0.75
    """
    values = np.asarray(values, dtype=np.float64)
    present = ~np.isnan(values)
    # np.nanmean warns on all-NaN input; an empty evaluation is a legitimate NaN here.
    return float(values[present].mean()) if present.any() else float("nan")
