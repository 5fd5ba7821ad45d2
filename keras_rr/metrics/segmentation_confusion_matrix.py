"""Streaming confusion matrix for semantic segmentation, reporting mIoU."""

import keras
from keras import ops

from keras_rr import validation
from keras_rr.metrics.segmentation_metrics import metrics_from_confusion_matrix


@keras.saving.register_keras_serializable(package="keras_rr")
class SegmentationConfusionMatrix(keras.metrics.Metric):
    """Streaming `(K, K)` confusion matrix over labeled pixels; `result()` is mIoU.

    Accumulates rows = ground truth, columns = prediction across `update_state` calls,
    so it gives the dataset-level mIoU that segmentation papers report (not a mean of
    per-batch mIoUs). Built from `keras.ops` only, with static shapes (a weighted
    bincount into `K * K` bins, `segment_sum` on JAX; ignored pixels carry weight 0 instead
    of being masked out), so it runs inside a compiled `fit`/`evaluate` step on
    TensorFlow, JAX (jit) and PyTorch.

    Pixels count nowhere when their label equals `ignore_class` or lies outside
    `[0, K)`, or when an integer prediction lies outside `[0, K)`. Unlike
    `keras.metrics.MeanIoU`, labels such as 255 never reach an out-of-range index.

    `y_pred` may be class scores (logits or probabilities, the argmax is the same) of
    shape `(B, h, w, K)` or integer predictions `(B, H, W)` / `(B, H, W, 1)`. Scores at a
    different resolution than the labels are resized bilinearly to the label size
    before the argmax (as mmseg does with logits), so a model with a stride-4 output can
    be evaluated against full-resolution labels.

    `result()` is mIoU following mmseg: the mean IoU over classes present in the ground
    truth or the predictions; NaN when no pixel was counted (as mmseg's `np.nanmean` and
    `keras_rr.metrics.metrics_from_confusion_matrix` give). Per-class IoU/Acc, mAcc and
    aAcc are available from the methods below, and `segmentation_metrics()` returns all
    of them in NumPy.

    The matrix is stored as float32 (sample weights may be fractional). Counts are exact
    up to 2**24 per cell; beyond that the relative rounding error stays below 1e-6.

    Args:
        num_classes: int. Number of classes `K`.
        ignore_class: int or None. Label value of unlabeled pixels. Defaults to `255`.
        data_format: `"channels_last"` or `"channels_first"`: where the class axis of
            score predictions (and the size-1 axis of 4-D labels) is. Defaults to
            `keras.config.image_data_format()`.
        name: str. Metric name, used as the log key. Defaults to `"miou"`.
        dtype: dtype of the result. Defaults to `keras.config.floatx()`.

    Example:

    ```python
    model.compile(
        optimizer="sgd",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255),
        metrics=[keras_rr.metrics.SegmentationConfusionMatrix(num_classes=150)],
    )
    model.evaluate(val_ds)  # logs `miou`

    metric = keras_rr.metrics.SegmentationConfusionMatrix(num_classes=150)
    metric.update_state(labels, logits)
    metric.segmentation_metrics().macc
    ```
    """

    def __init__(self, num_classes, ignore_class=255, data_format=None, name="miou", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.num_classes = validation.check_num_classes(num_classes)
        # An ignore value inside [0, K) is allowed here: it drops that class from the
        # evaluation (e.g. a background class 0).
        self.ignore_class = validation.check_ignore_class(ignore_class)
        self.data_format = validation.check_data_format(data_format)
        # float64 only when asked for (JAX disables it by default); never float16/bf16,
        # whose counts would saturate after a few thousand pixels.
        accumulator_dtype = "float64" if self.dtype == "float64" else "float32"
        self.total_confusion_matrix = self.add_variable(
            shape=(self.num_classes, self.num_classes),
            initializer="zeros",
            dtype=accumulator_dtype,
            name="confusion_matrix",
        )

    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _labels(self, y_true):
        y_true = validation.squeeze_label_channel(ops.convert_to_tensor(y_true), self._channel_axis)
        if len(y_true.shape) != 3:
            raise ValueError(
                "`y_true` must have shape (B, H, W) or (B, H, W, 1). Received: "
                f"y_true.shape={y_true.shape}"
            )
        return ops.cast(y_true, "int32")

    def _predictions(self, y_pred, label_shape, static_label_hw):
        y_pred = ops.convert_to_tensor(y_pred)
        rank = len(y_pred.shape)
        if rank == 4 and y_pred.shape[self._channel_axis] == 1 and self.num_classes > 1:
            return ops.cast(validation.squeeze_label_channel(y_pred, self._channel_axis), "int32")
        if rank == 3:
            return ops.cast(y_pred, "int32")
        if rank != 4:
            raise ValueError(
                "`y_pred` must be scores (B, h, w, K) or integer predictions (B, H, W). "
                f"Received: y_pred.shape={y_pred.shape}"
            )
        if self.data_format == "channels_first":
            y_pred = ops.transpose(y_pred, (0, 2, 3, 1))
        num_scores = y_pred.shape[-1]
        if num_scores is not None and num_scores != self.num_classes:
            raise ValueError(
                f"`y_pred` has {num_scores} class scores but num_classes="
                f"{self.num_classes}. Received: y_pred.shape={y_pred.shape}"
            )
        pred_hw = tuple(y_pred.shape[1:3])
        if None in pred_hw or None in static_label_hw:
            # Only a TF graph has unknown sizes (JAX and torch trace concrete shapes).
            # `keras.ops.image.resize` needs a static size there, so resize to the
            # runtime label size with TF directly; a same-size bilinear resize is the
            # identity. Imported here so `import keras_rr` never needs TensorFlow.
            import tensorflow as tf

            y_pred = tf.image.resize(
                tf.cast(y_pred, tf.float32), label_shape[1:3], method="bilinear"
            )
        elif pred_hw != static_label_hw:
            y_pred = ops.image.resize(
                ops.cast(y_pred, "float32"), static_label_hw, interpolation="bilinear",
                data_format="channels_last",
            )
        return ops.cast(ops.argmax(y_pred, axis=-1), "int32")

    def update_state(self, y_true, y_pred, sample_weight=None):
        k = self.num_classes
        y_true = self._labels(y_true)
        label_shape = ops.shape(y_true)
        static_label_hw = tuple(y_true.shape[1:3])
        y_pred = self._predictions(y_pred, label_shape, static_label_hw)

        # A K x K matrix has no column for a prediction outside [0, K) either.
        valid = ops.logical_and(
            validation.valid_label_mask(y_true, k, self.ignore_class),
            validation.valid_label_mask(y_pred, k),
        )

        # Dropped pixels go to one overflow bin k*k, cut off afterwards: shapes stay
        # static (no boolean_mask, which jit cannot trace) and no weight mask is needed.
        index = ops.reshape(ops.where(valid, y_true * k + y_pred, k * k), (-1,))
        acc_dtype = self.total_confusion_matrix.dtype
        weights = None
        if sample_weight is not None:
            sample_weight = ops.cast(ops.convert_to_tensor(sample_weight), acc_dtype)
            sample_weight = validation.squeeze_label_channel(sample_weight, self._channel_axis)
            sw_rank = len(sample_weight.shape)
            if 0 < sw_rank < 3:
                # Per-image weights (B,) (or (B, H)) align with the leading axes.
                sample_weight = ops.reshape(
                    sample_weight,
                    tuple(ops.shape(sample_weight)) + (1,) * (3 - sw_rank),
                )
            weights = ops.reshape(ops.broadcast_to(sample_weight, ops.shape(y_true)), (-1,))
        if keras.backend.backend() == "jax":
            # jnp.bincount cannot be traced without a static `length`, which
            # keras.ops.bincount does not pass; segment_sum has a static size.
            data = ops.ones_like(index, dtype=acc_dtype) if weights is None else weights
            counts = ops.segment_sum(data, index, num_segments=k * k + 1)
        else:
            # TF and torch bincount are 5-7x faster than their segment_sum here, and an
            # unweighted integer bincount is 1.4x (TF) to 2x (torch) faster again.
            counts = ops.bincount(index, weights=weights, minlength=k * k + 1)
        self.total_confusion_matrix.assign(
            self.total_confusion_matrix + ops.cast(ops.reshape(counts[: k * k], (k, k)), acc_dtype)
        )

    def _statistics(self):
        cm = ops.convert_to_tensor(self.total_confusion_matrix)
        tp = ops.diagonal(cm)
        gt = ops.sum(cm, axis=1)
        pred = ops.sum(cm, axis=0)
        return tp, gt, pred

    @staticmethod
    def _nan_where_zero(numerator, denominator):
        present = ops.greater(denominator, 0)
        safe = ops.where(present, denominator, ops.ones_like(denominator))
        return ops.where(present, numerator / safe, float("nan") * ops.ones_like(safe))

    @staticmethod
    def _present_mean(values, denominator):
        # Mean over entries with a positive denominator; NaN when there is none.
        present = ops.cast(ops.greater(denominator, 0), values.dtype)
        return SegmentationConfusionMatrix._nan_where_zero(ops.sum(values * present), ops.sum(present))

    @property
    def confusion_matrix(self):
        """The accumulated `(K, K)` confusion matrix (rows = ground truth)."""
        return ops.convert_to_tensor(self.total_confusion_matrix)

    def per_class_iou(self):
        """IoU per class `(K,)`; NaN for classes absent from labels and predictions."""
        tp, gt, pred = self._statistics()
        return ops.cast(self._nan_where_zero(tp, gt + pred - tp), self.dtype)

    def per_class_accuracy(self):
        """Accuracy (recall) per class `(K,)`; NaN for classes absent from the labels."""
        tp, gt, _ = self._statistics()
        return ops.cast(self._nan_where_zero(tp, gt), self.dtype)

    def mean_iou(self):
        """mIoU over present classes (NaN when nothing was counted)."""
        tp, gt, pred = self._statistics()
        union = gt + pred - tp
        return ops.cast(self._present_mean(ops.divide_no_nan(tp, union), union), self.dtype)

    def mean_accuracy(self):
        """mAcc over classes present in the labels (NaN when none has a labeled pixel)."""
        tp, gt, _ = self._statistics()
        return ops.cast(self._present_mean(ops.divide_no_nan(tp, gt), gt), self.dtype)

    def overall_accuracy(self):
        """aAcc: correctly classified / labeled pixels (NaN when nothing was counted)."""
        tp, gt, _ = self._statistics()
        return ops.cast(self._nan_where_zero(ops.sum(tp), ops.sum(gt)), self.dtype)

    def result(self):
        return self.mean_iou()

    def segmentation_metrics(self):
        """All metrics in NumPy (`SegmentationMetrics`); call outside compiled code."""
        return metrics_from_confusion_matrix(
            ops.convert_to_numpy(self.total_confusion_matrix)
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {"num_classes": self.num_classes, "ignore_class": self.ignore_class, "data_format": self.data_format}
        )
        return config
