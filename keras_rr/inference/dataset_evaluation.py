"""Dataset-level evaluation of a segmenter: streamed confusion matrix -> metrics.

How the paper's numbers are computed (dataset-level confusion matrix, mmseg's metrics)
is described in `docs/method.md`, section 5.
"""

import numpy as np
from keras import ops

from keras_rr import validation
from keras_rr.data.elements import split_element
from keras_rr.inference.predict import DEFAULT_SCALES
from keras_rr.inference.predict import predict_probabilities
from keras_rr.metrics.segmentation_metrics import confusion_matrix_numpy
from keras_rr.metrics.segmentation_metrics import metrics_from_confusion_matrix


def _iterate(dataset):
    # tf.data yields TF tensors; NumPy batches feed a JAX or torch model as well.
    if hasattr(dataset, "as_numpy_iterator"):
        return dataset.as_numpy_iterator()
    return iter(dataset)


def _length(dataset, max_batches):
    try:
        n = len(dataset)
    except (TypeError, ValueError):
        n = None
    if max_batches is not None:
        n = max_batches if n is None else min(n, max_batches)
    return n


def evaluate_segmenter(
    model, dataset, num_classes, mode="whole", ignore_class=255, crop_size=None, stride=None,
    scales=DEFAULT_SCALES, flip=True, output_probabilities=False, pad_value=0.0, data_format=None,
    max_batches=None, progress=True,
):
    """Evaluates a segmenter over a dataset: mIoU, mAcc, aAcc and per-class IoU/Acc.

    Streams `(images, labels)` batches, predicts with the chosen inference mode, and
    accumulates a float64 NumPy confusion matrix (exact counts), so the result is the
    dataset-level metric, independent of batching. Predictions are resized to the label
    resolution (bilinear, on probabilities) when the two differ.

    Args:
        model: `keras.Model` or callable, images -> scores `(B, h, w, K)`.
        dataset: a `tf.data.Dataset` or any iterable of batches `(images, labels)`,
            `(images, labels, sample_weight)` (the weights are ignored, as in mmseg) or
            dicts with `images`/`image` and `labels`/`label`/`segmentation_masks`
            keys. Images `(B, H, W, 3)` (a single unbatched image is accepted); labels
            `(B, H, W)` or `(B, H, W, 1)`.
        num_classes: int. Number of classes `K`.
        mode: `"whole"`, `"slide"` or `"multi_scale"`. Defaults to `"whole"`.
        ignore_class: int or None. Label of unlabeled pixels. Defaults to `255`.
        crop_size: window size for `"slide"` (and sliding window at each scale for
            `"multi_scale"` when given with `stride`).
        stride: window stride for `"slide"` (and for `"multi_scale"`, as `crop_size`).
        scales: views for `"multi_scale"`. Default to the paper's `(0.5, ..., 1.75)`.
        flip: whether `"multi_scale"` adds flipped views. Defaults to flipping.
        output_probabilities: bool. `True` when the model ends in a softmax. Defaults
            to `False`.
        pad_value: float. Padding for images smaller than `crop_size`.
        data_format: see `keras_rr.inference.predict_whole`.
        max_batches: optional int; stop after this many batches.
        progress: bool. Show a tqdm progress bar (when tqdm is installed). Defaults to
            `True`.

    Returns:
        `keras_rr.metrics.SegmentationMetrics` (fractions in [0, 1]).

    Example:

    ```python
    m = keras_rr.inference.evaluate_segmenter(segmenter, val_ds, num_classes=150,
                                              mode="slide", crop_size=512, stride=341)
    print(m.miou, keras_rr.metrics.per_class_table(m))
    ```
    """
    num_classes = validation.check_num_classes(num_classes)
    ignore_class = validation.check_ignore_class(ignore_class)
    data_format = validation.check_data_format(data_format)
    max_batches = validation.check_int(max_batches, "max_batches", minimum=0, allow_none=True)
    cm = np.zeros((num_classes, num_classes), dtype=np.float64)
    iterator = _iterate(dataset)
    bar = None
    if progress:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            bar = tqdm(total=_length(dataset, max_batches), desc=f"eval ({mode})", unit="batch")
    channel_axis = -1 if data_format == "channels_last" else 1
    predict_kwargs = dict(
        mode=mode, crop_size=crop_size, stride=stride, scales=scales, flip=flip, num_classes=num_classes,
        output_probabilities=output_probabilities, pad_value=pad_value, data_format=data_format,
    )
    try:
        for step, element in enumerate(iterator):
            if max_batches is not None and step >= max_batches:
                break
            images, labels = split_element(element)
            images = np.asarray(images)
            labels = np.asarray(labels)
            if images.ndim == 3:
                images, labels = images[None], labels[None]
            labels = validation.squeeze_label_channel(labels, channel_axis)
            probs = predict_probabilities(model, images, **predict_kwargs)
            if data_format == "channels_first":
                probs = ops.transpose(probs, (0, 2, 3, 1))
            if tuple(probs.shape[1:3]) != labels.shape[1:3]:
                probs = ops.image.resize(
                    probs, labels.shape[1:3], interpolation="bilinear",
                    data_format="channels_last",
                )
            preds = ops.convert_to_numpy(ops.argmax(probs, axis=-1))
            cm += confusion_matrix_numpy(labels, preds, num_classes, ignore_class)
            if bar is not None:
                bar.update(1)
                miou = metrics_from_confusion_matrix(cm).miou
                bar.set_postfix(miou=f"{100 * miou:.2f}")
    finally:
        if bar is not None:
            bar.close()
    return metrics_from_confusion_matrix(cm)
