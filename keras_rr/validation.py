"""Argument checks and label helpers shared by every keras_rr module.

One home for the checks that used to be copied across losses, metrics, loaders and the
training wrapper: "`num_classes` must be an int", the valid-label mask (class ids in
`[0, K)` that are not the ignore value) and dropping the size-1 channel axis of
`(B, H, W, 1)` label maps. Errors follow Keras' wording:
`ValueError("`arg` must be ... Received: arg=...")`.

The label helpers work on NumPy arrays (with NumPy) and on backend tensors (with
`keras.ops`), so host-side code and compiled steps share one definition.

Example:

```python
from keras_rr import validation

num_classes = validation.check_num_classes(150, minimum=2)
labels = validation.squeeze_label_channel(labels)          # (B, H, W, 1) -> (B, H, W)
valid = validation.valid_label_mask(labels, num_classes, ignore_class=255)
```
"""

import math

import keras
import numpy as np
from keras import ops


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_int(value, name, minimum=None, maximum=None, allow_none=False):
    """Returns `value` as a Python int, or raises a `ValueError` naming `name`.

    Booleans are rejected (they are ints to Python, never what a user means).

    Args:
        value: the argument to check.
        name: str. Argument name used in the message, e.g. `"batch_size"` or
            `"train.total_steps"`.
        minimum: int or None. Smallest allowed value. Defaults to `None`.
        maximum: int or None. Largest allowed value. Defaults to `None`.
        allow_none: bool. Accept (and return) `None`. Defaults to `False`.

    Returns:
        int, or None when `allow_none` and `value is None`.

    Example:

    >>> check_int(16, "batch_size", minimum=1)
    16
    """
    if value is None and allow_none:
        return None
    if not (_is_int(value) and _in_bounds(value, minimum, maximum)):
        wanted = _wanted("an int", minimum, maximum) + (" or None" if allow_none else "")
        raise ValueError(f"`{name}` must be {wanted}. Received: {name}={value!r}")
    return int(value)


def check_num_classes(num_classes, minimum=1, name="num_classes"):
    """Returns the class count `K` as an int, or raises a clear `ValueError`.

    Args:
        num_classes: the argument to check.
        minimum: int. Smallest count that makes sense for the caller: 1 for
            confusion matrices and statistics, 2 for anything with a softmax over
            classes. Defaults to `1`.
        name: str. Argument name used in the message. Defaults to `"num_classes"`.

    Returns:
        int.

    Example:

    >>> check_num_classes(150, minimum=2)
    150
    """
    return check_int(num_classes, name, minimum=minimum)


def check_ignore_class(ignore_class, num_classes=None, name="ignore_class"):
    """Returns the ignore label (an int or None), or raises a clear `ValueError`.

    Args:
        ignore_class: int or None. The label value of unlabeled pixels.
        num_classes: int or None. When given, the ignore value must not be a class id
            in `[0, num_classes)` (it would silently remove a class). Defaults to
            `None`.
        name: str. Argument name used in the message. Defaults to `"ignore_class"`.

    Returns:
        int or None.

    Example:

    >>> check_ignore_class(255, num_classes=150)
    255
    """
    if ignore_class is None:
        return None
    if not _is_int(ignore_class):
        raise ValueError(f"`{name}` must be an int or None. Received: {name}={ignore_class!r}")
    ignore_class = int(ignore_class)
    if num_classes is not None and 0 <= ignore_class < num_classes:
        raise ValueError(
            f"`{name}` must not be a class id in [0, num_classes). Received: "
            f"{name}={ignore_class}, num_classes={num_classes}"
        )
    return ignore_class


def check_number(value, name, minimum=None, maximum=None, min_inclusive=True, max_inclusive=True):
    """Returns `value` as a finite Python float within bounds, or raises `ValueError`.

    Args:
        value: the argument to check.
        name: str. Argument name used in the message.
        minimum: float or None. Lower bound. Defaults to `None`.
        maximum: float or None. Upper bound. Defaults to `None`.
        min_inclusive: bool. Whether `minimum` itself is allowed. Defaults to `True`.
        max_inclusive: bool. Whether `maximum` itself is allowed. Defaults to `True`.

    Returns:
        float.

    Example:

    >>> check_number(0.1, "label_smoothing", 0.0, 1.0, max_inclusive=False)
    0.1
    """
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if ok:
        value = float(value)
        ok = math.isfinite(value) and _in_bounds(value, minimum, maximum, min_inclusive, max_inclusive)
    if not ok:
        wanted = _wanted("a finite number", minimum, maximum, min_inclusive, max_inclusive)
        raise ValueError(f"`{name}` must be {wanted}. Received: {name}={value!r}")
    return value


def _in_bounds(value, minimum, maximum, min_inclusive=True, max_inclusive=True):
    if minimum is not None and not (value >= minimum if min_inclusive else value > minimum):
        return False
    return maximum is None or (value <= maximum if max_inclusive else value < maximum)


def _wanted(kind, minimum, maximum, min_inclusive=True, max_inclusive=True):
    """What a check expected, e.g. "an int >= 1" or "a finite number in [0.0, 1.0)"."""
    if minimum is not None and maximum is not None:
        low, high = "[" if min_inclusive else "(", "]" if max_inclusive else ")"
        return f"{kind} in {low}{minimum}, {maximum}{high}"
    if minimum is not None:
        return f"{kind} {'>=' if min_inclusive else '>'} {minimum}"
    if maximum is not None:
        return f"{kind} {'<=' if max_inclusive else '<'} {maximum}"
    return kind


def check_choice(value, choices, name):
    """Returns `value` if it is one of `choices`, else raises a `ValueError`.

    Args:
        value: the argument to check.
        choices: sequence of allowed values.
        name: str. Argument name used in the message.

    Returns:
        `value`.

    Example:

    >>> check_choice("features", ("features", "labels"), "pooling_resolution")
    'features'
    """
    if value not in tuple(choices):
        raise ValueError(f"`{name}` must be one of {tuple(choices)}. Received: {name}={value!r}")
    return value


def check_strings(value, name):
    """Returns a tuple of non-empty strings, or raises a `ValueError` naming `name`.

    A bare string is rejected: iterating it would give its characters.

    Args:
        value: the argument to check: a list or tuple of strings.
        name: str. Argument name used in the message.

    Returns:
        tuple of str.

    Example:

    >>> check_strings(["norm", "relative_position_bias_table"], "exclude_from_weight_decay")
    ('norm', 'relative_position_bias_table')
    """
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"`{name}` must be a list or tuple of non-empty strings. Received: {name}={value!r}")
    return tuple(value)


def check_counts(counts, name, num_classes=None):
    """Returns per-class counts as a float64 NumPy vector, or raises a clear `ValueError`.

    The check behind every class-count input (region frequency F(k), pixel counts,
    class weights): a 1-D vector, one entry per class, finite, non-negative.

    Args:
        counts: array-like `(K,)`.
        name: str. Argument name used in the message, e.g. `"region_frequency"`.
        num_classes: int or None. When given, the expected length. Defaults to `None`.

    Returns:
        float64 NumPy array `(K,)`.

    Example:

    >>> check_counts([500, 20, 0], "region_frequency", num_classes=3)
    array([500.,  20.,   0.])
    """
    try:
        array = np.asarray(counts, dtype="float64")
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a 1-D vector of per-class counts. Received: {name}={counts!r}") from None
    if array.ndim != 1:
        raise ValueError(f"`{name}` must be a 1-D vector of per-class counts. Received: shape={array.shape}")
    if num_classes is not None and array.shape[0] != num_classes:
        raise ValueError(
            f"`{name}` must have one entry per class ({num_classes}). Received: {array.shape[0]} entries"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` must be finite. Received: {array.tolist()[:20]}")
    if np.any(array < 0):
        raise ValueError(f"`{name}` must be non-negative. Received: {array.tolist()[:20]}")
    return array


def squeeze_label_channel(labels, axis=-1):
    """Drops the size-1 channel axis of a rank-4 label map: `(B, H, W, 1) -> (B, H, W)`.

    Other ranks pass through unchanged (a `(B, H, 1)` map is a legitimate 3-D label
    map). NumPy arrays stay NumPy; tensors are squeezed with `keras.ops`.

    Args:
        labels: array or tensor.
        axis: int. Where the channel axis is: `-1` (channels_last) or `1`
            (channels_first). Defaults to `-1`.

    Returns:
        The labels without the channel axis.

    Example:

    >>> squeeze_label_channel(np.zeros((2, 8, 8, 1), "int32")).shape
    (2, 8, 8)
    """
    shape = labels.shape
    if len(shape) == 4 and shape[axis] == 1:
        if isinstance(labels, np.ndarray):
            return np.squeeze(labels, axis=axis)
        return ops.squeeze(labels, axis=axis)
    return labels


def check_label_map(labels, name="labels"):
    """Returns a batch of integer label maps `(B, H, W)`, or raises a clear `ValueError`.

    Drops the channel axis of `(B, H, W, 1)` maps and rejects other ranks and
    non-integer dtypes (labels are class ids and are never interpolated). Works on
    backend tensors and symbolic `keras.Input`s (only static shapes and dtypes are read).

    Args:
        labels: tensor or array of class ids.
        name: str. Name used in the message. Defaults to `"labels"`.

    Returns:
        The labels, `(B, H, W)`.

    Example:

    >>> check_label_map(keras.ops.zeros((2, 8, 8, 1), "int32")).shape
    (2, 8, 8)
    """
    labels = squeeze_label_channel(labels)
    if len(labels.shape) != 3:
        raise ValueError(
            f"`{name}` must be (batch, height, width) or (batch, height, width, 1). "
            f"Received: {name}.shape={tuple(labels.shape)}"
        )
    if "int" not in keras.backend.standardize_dtype(labels.dtype):
        raise ValueError(
            f"`{name}` must be integer class ids (labels are never interpolated). "
            f"Received: {name}.dtype={labels.dtype}"
        )
    return labels


def pixel_weight_map(sample_weight, labels):
    """Keras sample weights as one weight per label pixel, `(B, H, W)` float32.

    Accepts per-image weights `(B,)` (each image's pixels get its weight) and per-pixel
    weights `(B, H, W)` or `(B, H, W, 1)`. Works from the dynamic shapes only, so it also
    runs in a TF graph whose weights have an unknown rank (a step retraced for weights of
    another rank).

    Args:
        sample_weight: tensor or array of weights.
        labels: integer tensor `(B, H, W)`.

    Returns:
        float32 tensor `(B, H, W)`.

    Example:

    >>> pixel_weight_map(np.array([1.0, 0.5]), np.zeros((2, 4, 4), "int32")).shape
    (2, 4, 4)
    """
    labels = ops.convert_to_tensor(labels)
    weights = ops.cast(ops.convert_to_tensor(sample_weight), "float32")
    shape = ops.shape(labels)
    batch, pixels = shape[0], shape[1] * shape[2]
    # (B,) -> (B, 1) and (B, H, W[, 1]) -> (B, H*W): either broadcasts to every pixel.
    weights = ops.broadcast_to(ops.reshape(weights, (batch, -1)), (batch, pixels))
    return ops.reshape(weights, (batch, shape[1], shape[2]))


def valid_label_mask(labels, num_classes, ignore_class=None):
    """Boolean mask of pixels that carry a class: ids in `[0, K)` other than `ignore_class`.

    Every consumer of labels uses this one definition, so ids outside `[0, K)` (which a
    compiled step cannot raise on) count nowhere, in losses, pooling and metrics alike.

    Args:
        labels: integer array (NumPy) or tensor of class ids.
        num_classes: int. `K`.
        ignore_class: int or None. Label of unlabeled pixels. Defaults to `None`.

    Returns:
        Boolean array/tensor of the labels' shape (NumPy for NumPy input).

    Example:

    >>> valid_label_mask(np.array([0, 3, 255, -1]), num_classes=4, ignore_class=255)
    array([ True,  True, False, False])
    """
    xp = np if isinstance(labels, np.ndarray) else ops
    valid = xp.logical_and(labels >= 0, labels < num_classes)
    if ignore_class is not None:
        valid = xp.logical_and(valid, labels != ignore_class)
    return valid


def reheading_hint(num_classes):
    """The sentence that follows "the model classifies C classes, not K": how to re-head it.

    Args:
        num_classes: int. The class count the caller wants, `K`.

    Returns:
        str.

    Example:

    >>> reheading_hint(19)[:60]
    'To train a pretrained KerasHub preset on your 19 classes, re-'
    """
    return (
        f"To train a pretrained KerasHub preset on your {num_classes} classes, re-head it: "
        f"`keras_rr.models.segmenter_from_preset(preset, num_classes={num_classes})` keeps its backbone and "
        "decoder weights and gives it a fresh classifier; otherwise set `num_classes` to the model's count."
    )


def check_labels(labels, num_classes, ignore_class=255, name="labels"):
    """Raises `ValueError` if concrete labels hold ids outside `[0, num_classes)`.

    Only NumPy-convertible (eager) values can be checked; inside a compiled step such ids
    are treated as ignored instead (see `region_mean`). `ignore_class` is always allowed.

    Args:
        labels: array-like of integer class ids.
        num_classes: int. Number of classes `K`.
        ignore_class: int or None. Id of unlabeled pixels.
        name: str. Name used in the error message.

    Returns:
        None.

    Example:

    >>> keras_rr.ops.check_labels(np.array([[0, 1, 255]]), num_classes=2)
    """
    values = np.asarray(labels)
    if not np.issubdtype(values.dtype, np.integer):
        raise ValueError(
            f"`{name}` must hold integer class ids; float labels usually mean an image "
            f"was passed as labels or labels were resized with interpolation. "
            f"Received: dtype={values.dtype}"
        )
    if values.size == 0 or not _has_bad_ids(values, num_classes, ignore_class):
        return
    bad = ~valid_label_mask(values, num_classes, ignore_class)
    if ignore_class is not None:
        bad &= values != ignore_class  # the ignore value is allowed even if it is >= K
    if bad.any():
        bad_values = np.unique(values[bad])[:10].tolist()
        raise ValueError(
            f"`{name}` holds class ids outside [0, {num_classes}) that are not the ignore "
            f"value {ignore_class}: {bad_values} ({int(bad.sum())} pixels). Remap them "
            f"(e.g. ADE20K's 0 -> {ignore_class}, k -> k-1) or raise `num_classes`."
        )


def _has_bad_ids(values, num_classes, ignore_class):
    """Fast test for ids outside `[0, K)` other than `ignore_class` (no large temporaries).

    The check runs on host arrays before `fit`, so it is kept to two reductions: a
    `min` for negative ids and a count of ids `>= K` that the ignore pixels must match.
    """
    if np.issubdtype(values.dtype, np.signedinteger) and values.min() < 0:
        return True
    high = np.count_nonzero(values >= num_classes)
    if high and ignore_class is not None and ignore_class >= num_classes:
        high -= np.count_nonzero(values == ignore_class)
    return high > 0


def check_data_format(data_format, name="data_format"):
    """Returns `"channels_last"` or `"channels_first"`, defaulting to Keras' setting.

    Args:
        data_format: str or None. `None` means `keras.config.image_data_format()`.
        name: str. Argument name used in the message. Defaults to `"data_format"`.

    Returns:
        str.

    Example:

    >>> check_data_format("channels_first")
    'channels_first'
    """
    if data_format is None:
        data_format = keras.config.image_data_format()
    return check_choice(data_format, ("channels_last", "channels_first"), name)


def sparse_label_targets(y_true, y_pred, num_classes, ignore_class=None, num_classes_name="num_classes"):
    """Labels of a per-pixel loss on class scores: `(class ids, valid mask)`.

    The label handling every sparse pixel loss needs, written once: a `(B, H, W, 1)`
    label map loses its channel axis, labels must have the shape of `y_pred` without
    its last (class) axis, `y_pred` must hold `num_classes` scores, and pixels outside
    `valid_label_mask` get class id 0 (so `take`/`one_hot` stay in range) and weight 0.
    Runs on backend tensors with `keras.ops`, inside compiled steps too.

    Args:
        y_true: integer tensor `(B, H, W)` or `(B, H, W, 1)` of class ids.
        y_pred: float tensor `(B, H, W, K)` of class scores (classes last).
        num_classes: int. `K`.
        ignore_class: int or None. Label of unlabeled pixels. Defaults to `None`.
        num_classes_name: str. What `num_classes` is called in the error message,
            e.g. `"len(class_weights)"`. Defaults to `"num_classes"`.

    Returns:
        `(ids, valid)`: int32 ids and a float32 mask (1 at labeled pixels), both of
        shape `y_pred.shape[:-1]`.

    Example:

    ```python
    ids, valid = sparse_label_targets(labels, logits, num_classes=150, ignore_class=255)
    ```
    """
    y_true = squeeze_label_channel(ops.convert_to_tensor(y_true))
    if len(y_true.shape) != len(y_pred.shape) - 1:
        raise ValueError(
            "Labels must have the shape of the logits without the class axis. Received: "
            f"y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
        )
    if y_pred.shape[-1] is not None and y_pred.shape[-1] != num_classes:
        raise ValueError(
            f"The logits have {y_pred.shape[-1]} classes but {num_classes_name}={num_classes}. "
            f"Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    y_true = ops.cast(y_true, "int32")
    valid = valid_label_mask(y_true, num_classes, ignore_class)
    return ops.where(valid, y_true, 0), ops.cast(valid, "float32")
