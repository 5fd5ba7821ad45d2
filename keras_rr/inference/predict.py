"""Test-time inference modes: whole image, sliding window, multi-scale + flip.

The modes and their settings (mmseg's, used for the paper's numbers) are described in
`docs/method.md`, section 5.

Each function takes any model (a `keras.Model` or a plain callable) that maps images
`(B, H, W, 3)` to per-pixel class scores `(B, h, w, K)`, e.g. the exported segmenter,
and returns class probabilities at the input resolution. Only `keras.ops` is used, so
they run on every backend; they are eager loops (image sizes and window grids are
Python ints), meant for evaluation rather than for use inside `fit`.

With `data_format="channels_first"` images are `(B, 3, H, W)`, the model is fed and
expected to answer in that layout, and results come back as `(B, K, H, W)`.
"""

import keras
import numpy as np
from keras import ops

from keras_rr import validation

DEFAULT_SCALES = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)

# Inference at one scale; "multi_scale" runs one of them at every scale.
_SINGLE_SCALE_MODES = ("whole", "slide")
_MODES = _SINGLE_SCALE_MODES + ("multi_scale",)


def _pair(value, name):
    """Normalises an int or (height, width) pair of positive ints."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (validation.check_int(value, name, minimum=1),) * 2
    if isinstance(value, (tuple, list, np.ndarray)) and len(value) == 2:
        return tuple(validation.check_int(v, name, minimum=1) for v in value)
    raise ValueError(f"`{name}` must be an int or a (height, width) pair. Received: {name}={value!r}")


def _window(crop_size, stride):
    """Checks the sliding-window settings; returns `(crop_size, stride)` as pairs."""
    if crop_size is None or stride is None:
        raise ValueError(
            "Sliding-window inference (`mode='slide'`) needs `crop_size` and `stride`. "
            f"Received: crop_size={crop_size}, stride={stride}"
        )
    crop_size = _pair(crop_size, "crop_size")
    stride = _pair(stride, "stride")
    if stride[0] > crop_size[0] or stride[1] > crop_size[1]:
        raise ValueError(
            "`stride` larger than `crop_size` leaves pixels no window covers. Received: "
            f"stride={stride}, crop_size={crop_size}"
        )
    return crop_size, stride


def _images_channels_last(images, data_format):
    images = ops.cast(ops.convert_to_tensor(images), "float32")
    if len(images.shape) != 4:
        raise ValueError(
            "`images` must be a batch (B, H, W, C) (or (B, C, H, W) for channels_first). "
            f"Received: images.shape={images.shape}"
        )
    if data_format == "channels_first":
        images = ops.transpose(images, (0, 2, 3, 1))
    if None in images.shape[1:3]:
        raise ValueError(
            "Inference needs concrete image sizes (call it eagerly). Received: "
            f"images.shape={images.shape}"
        )
    return images


def _from_channels_last(x, data_format):
    if data_format == "channels_first":
        return ops.transpose(x, (0, 3, 1, 2))
    return x


def _run_model(model, images_cl, data_format, num_classes=None):
    """Calls the model on channels-last images; returns channels-last scores."""
    x = _from_channels_last(images_cl, data_format)
    if isinstance(model, keras.layers.Layer):
        out = model(x, training=False)
    else:
        out = model(x)
    if isinstance(out, (dict, list, tuple)):
        raise ValueError(
            "The model must return one score tensor (B, h, w, K). Received an output of "
            f"type {type(out).__name__}"
        )
    out = ops.cast(ops.convert_to_tensor(out), "float32")
    if len(out.shape) != 4:
        raise ValueError(
            f"The model must return scores of rank 4. Received: output shape={out.shape}"
        )
    if data_format == "channels_first":
        out = ops.transpose(out, (0, 2, 3, 1))
    if num_classes is not None and out.shape[-1] != num_classes:
        raise ValueError(
            f"The model returned {out.shape[-1]} class scores, expected num_classes="
            f"{num_classes}. Received: output shape={out.shape}. " + validation.reheading_hint(num_classes)
        )
    return out


def _resize(x, size):
    """Bilinear resize of channels-last maps; a no-op when the size already matches."""
    if tuple(x.shape[1:3]) == tuple(size):
        return x
    return ops.image.resize(
        x, size, interpolation="bilinear", data_format="channels_last"
    )


def _to_probabilities(scores, output_probabilities):
    if output_probabilities:
        return scores
    return ops.softmax(scores, axis=-1)


def model_input_size(model, data_format=None):
    """The fixed `(height, width)` a model takes, or None (any size, or not a Keras model).

    Args:
        model: `keras.Model` or callable.
        data_format: see `predict_whole`.

    Returns:
        tuple of two ints, or None.

    Example:

    >>> model_input_size(keras_rr.models.small_fcn(12, image_size=64))
    (64, 64)
    """
    inputs = getattr(model, "inputs", None)
    if not inputs or len(inputs) != 1 or len(inputs[0].shape) != 4:
        return None
    shape = tuple(inputs[0].shape)
    size = shape[1:3] if validation.check_data_format(data_format) == "channels_last" else shape[2:4]
    if any(not isinstance(s, int) for s in size):
        return None
    return tuple(size)


def default_stride(crop_size):
    """Sliding-window stride for a crop: two thirds of it, as mmseg's 512 / 341.

    Args:
        crop_size: int or (height, width).

    Returns:
        int, or a pair for a pair.

    Example:

    >>> default_stride(512)
    341
    """
    if isinstance(crop_size, (tuple, list)):
        return tuple(default_stride(c) for c in crop_size)
    return max(int(round(2 * int(crop_size) / 3)), 1)


def _whole_scores(model, images_cl, data_format, num_classes=None):
    fixed = model_input_size(model, data_format)
    inputs = images_cl
    if fixed is not None and tuple(images_cl.shape[1:3]) != fixed:
        # A model built for one input size sees the image at that size (as mmseg's
        # test-time resize); the scores come back at the image size below.
        inputs = _resize(images_cl, fixed)
    scores = _run_model(model, inputs, data_format, num_classes)
    return _resize(scores, images_cl.shape[1:3])


def _slide_scores(model, images_cl, crop_size, stride, data_format, num_classes, pad_value):
    """mmseg `slide_inference`: averaged model scores over windows, at the image size."""
    crop_h, crop_w = crop_size
    stride_h, stride_w = stride
    height, width = images_cl.shape[1], images_cl.shape[2]
    # An image smaller than the crop is padded bottom/right so every window has the
    # crop size the model was trained on; the padded area is cut away at the end.
    pad_h, pad_w = max(crop_h - height, 0), max(crop_w - width, 0)
    if pad_h or pad_w:
        images_cl = ops.pad(
            images_cl, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), constant_values=pad_value
        )
    full_h, full_w = height + pad_h, width + pad_w
    grids_h = max(full_h - crop_h + stride_h - 1, 0) // stride_h + 1
    grids_w = max(full_w - crop_w + stride_w - 1, 0) // stride_w + 1

    total = None
    count = np.zeros((full_h, full_w), dtype="float32")
    for i in range(grids_h):
        for j in range(grids_w):
            # The last window of a row/column is shifted back to end at the border.
            y2 = min(i * stride_h + crop_h, full_h)
            x2 = min(j * stride_w + crop_w, full_w)
            y1, x1 = max(y2 - crop_h, 0), max(x2 - crop_w, 0)
            crop = images_cl[:, y1:y2, x1:x2, :]
            scores = _whole_scores(model, crop, data_format, num_classes)
            padded = ops.pad(
                scores, ((0, 0), (y1, full_h - y2), (x1, full_w - x2), (0, 0))
            )
            total = padded if total is None else total + padded
            count[y1:y2, x1:x2] += 1.0
    averaged = total / ops.convert_to_tensor(count[None, :, :, None])
    return averaged[:, :height, :width, :]


def predict_whole(model, images, output_probabilities=False, num_classes=None, data_format=None):
    """Whole-image inference: class probabilities at the input resolution.

    A model built for a fixed input size (`model.inputs`) gets the images resized
    bilinearly to that size when they differ (like mmseg's test-time resize). The model
    output is resized bilinearly to the image size when it is smaller (e.g.
    a stride-4 decoder), then turned into probabilities with a softmax unless the model
    already returns probabilities.

    Args:
        model: `keras.Model` or callable, images `(B, H, W, 3)` -> scores `(B, h, w, K)`.
        images: array or tensor `(B, H, W, 3)`, preprocessed as the model expects.
        output_probabilities: bool. `True` when the model already ends in a softmax;
            `False` applies a softmax to its logits. Defaults to `False`.
        num_classes: optional int; when given, the model output is checked against it.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `keras.config.image_data_format()`.

    Returns:
        float32 tensor `(B, H, W, K)` of class probabilities.

    Example:

    ```python
    probs = keras_rr.inference.predict_whole(segmenter, images)
    ```
    """
    data_format = validation.check_data_format(data_format)
    images_cl = _images_channels_last(images, data_format)
    scores = _whole_scores(model, images_cl, data_format, num_classes)
    return _from_channels_last(_to_probabilities(scores, output_probabilities), data_format)


def predict_sliding_window(
    model, images, crop_size, stride, num_classes=None, output_probabilities=False, pad_value=0.0,
    data_format=None,
):
    """Sliding-window inference as in mmseg `slide_inference`.

    Windows of `crop_size` move by `stride`; the last window of each row and column is
    aligned to the image border, so every pixel is covered. Each window's output is
    resized to the window size and summed into a full-size map, which is divided by how
    many windows covered each pixel. As in mmseg the model's raw scores are averaged
    (logits, or probabilities when `output_probabilities=True`) and the softmax comes
    last. An image smaller than the crop is padded bottom/right with `pad_value` to the
    crop size and the prediction cropped back.

    Args:
        model: `keras.Model` or callable, images -> scores `(B, h, w, K)`.
        images: array or tensor `(B, H, W, 3)`.
        crop_size: int or (height, width). Window size, e.g. `512`.
        stride: int or (height, width), at most `crop_size`. E.g. `341`.
        num_classes: optional int; when given, the model output is checked against it.
        output_probabilities: bool. See `predict_whole`. Defaults to `False`.
        pad_value: float. Fill value for padding small images (in the model's input
            space, i.e. after any normalisation done outside the model). Defaults to 0.
        data_format: see `predict_whole`.

    Returns:
        float32 tensor `(B, H, W, K)` of class probabilities.

    Example:

    ```python
    probs = keras_rr.inference.predict_sliding_window(
        segmenter, images, crop_size=512, stride=341, num_classes=150)
    ```
    """
    data_format = validation.check_data_format(data_format)
    crop_size, stride = _window(crop_size, stride)
    images_cl = _images_channels_last(images, data_format)
    scores = _slide_scores(model, images_cl, crop_size, stride, data_format, num_classes, pad_value)
    return _from_channels_last(_to_probabilities(scores, output_probabilities), data_format)


def predict_multi_scale(
    model, images, scales=DEFAULT_SCALES, flip=True, mode="whole", crop_size=None, stride=None,
    num_classes=None, output_probabilities=False, pad_value=0.0, data_format=None,
):
    """Multi-scale + flip inference (paper "m.s."): average of class probabilities.

    For each scale the image is resized bilinearly to `round(scale * (H, W))`, predicted
    (whole image or sliding window), and the scores are resized back to `(H, W)` and
    turned into probabilities; with `flip=True` the horizontally flipped image is
    predicted too and its output flipped back. The probabilities of all
    `len(scales) * (2 if flip else 1)` views are averaged.

    Args:
        model: `keras.Model` or callable, images -> scores `(B, h, w, K)`.
        images: array or tensor `(B, H, W, 3)`.
        scales: sequence of positive floats. Defaults to
            `(0.5, 0.75, 1.0, 1.25, 1.5, 1.75)`.
        flip: bool. Add horizontally flipped views. Defaults to `True`.
        mode: `"whole"` or `"slide"`. Inference used at each scale. Defaults to
            `"whole"`.
        crop_size: int or pair, required for `mode="slide"`.
        stride: int or pair, required for `mode="slide"`.
        num_classes: optional int, checked against the model output.
        output_probabilities: bool. See `predict_whole`. Defaults to `False`.
        pad_value: float. See `predict_sliding_window`.
        data_format: see `predict_whole`.

    Returns:
        float32 tensor `(B, H, W, K)` of class probabilities.

    Example:

    ```python
    probs = keras_rr.inference.predict_multi_scale(segmenter, images, flip=True)
    ```
    """
    data_format = validation.check_data_format(data_format)
    validation.check_choice(mode, _SINGLE_SCALE_MODES, "mode")
    try:
        scales = tuple(float(s) for s in scales)
    except TypeError:
        raise ValueError(
            f"`scales` must be a sequence of floats. Received: scales={scales}"
        ) from None
    if not scales or min(scales) <= 0:
        raise ValueError(f"`scales` must be positive floats. Received: scales={scales}")
    if mode == "slide":
        crop_size, stride = _window(crop_size, stride)
    images_cl = _images_channels_last(images, data_format)
    height, width = images_cl.shape[1], images_cl.shape[2]
    fixed = model_input_size(model, data_format) if mode == "whole" else None

    total = None
    num_views = 0
    for scale in scales:
        # mmcv rounds half up when rescaling.
        size = (max(int(height * scale + 0.5), 1), max(int(width * scale + 0.5), 1))
        if fixed is not None and size != fixed:
            raise ValueError(
                f"The model takes {fixed[0]}x{fixed[1]} images only, so the multi-scale view at scale "
                f"{scale} ({size[0]}x{size[1]}) needs the sliding window: mode='slide', "
                f"crop_size={fixed[0]}, stride={default_stride(fixed[0])} (a config's eval.crop_size / eval.stride). "
                f"Received: crop_size={crop_size}, stride={stride}"
            )
        scaled = _resize(images_cl, size)
        for flipped in (False, True) if flip else (False,):
            view = ops.flip(scaled, axis=2) if flipped else scaled
            if mode == "whole":
                scores = _run_model(model, view, data_format, num_classes)
            else:
                scores = _slide_scores(
                    model, view, crop_size, stride, data_format, num_classes, pad_value
                )
            # Resize the scores (logits, like mmseg) straight to the original size, then
            # softmax, so every view is averaged as probabilities at (H, W).
            scores = _resize(scores, (height, width))
            if flipped:
                scores = ops.flip(scores, axis=2)
            probs = _to_probabilities(scores, output_probabilities)
            total = probs if total is None else total + probs
            num_views += 1
    return _from_channels_last(total / float(num_views), data_format)


def predict_probabilities(
    model, images, mode="whole", crop_size=None, stride=None, scales=DEFAULT_SCALES, flip=True,
    num_classes=None, output_probabilities=False, pad_value=0.0, data_format=None,
):
    """Class probabilities with the inference mode picked by name.

    Args:
        model: `keras.Model` or callable, images -> scores `(B, h, w, K)`.
        images: array or tensor `(B, H, W, 3)`.
        mode: `"whole"`, `"slide"` or `"multi_scale"`. Defaults to `"whole"`.
        crop_size: window size for `"slide"` (and for `"multi_scale"` when given with
            `stride`: sliding window at every scale).
        stride: window stride for `"slide"` (and for `"multi_scale"`, as `crop_size`).
        scales: views for `"multi_scale"`.
        flip: whether `"multi_scale"` adds flipped views.
        num_classes: see `predict_sliding_window`.
        output_probabilities: see `predict_sliding_window`.
        pad_value: see `predict_sliding_window`.
        data_format: see `predict_sliding_window`.

    Returns:
        float32 tensor `(B, H, W, K)`.

    Example:

    ```python
    probs = keras_rr.inference.predict_probabilities(segmenter, images, mode="multi_scale")
    ```
    """
    validation.check_choice(mode, _MODES, "mode")
    if mode == "whole":
        return predict_whole(
            model, images, output_probabilities=output_probabilities, num_classes=num_classes,
            data_format=data_format,
        )
    if mode == "slide":
        return predict_sliding_window(
            model, images, crop_size, stride, num_classes=num_classes,
            output_probabilities=output_probabilities, pad_value=pad_value, data_format=data_format,
        )
    inner = "slide" if crop_size is not None and stride is not None else "whole"
    return predict_multi_scale(
        model, images, scales=scales, flip=flip, mode=inner, crop_size=crop_size, stride=stride,
        num_classes=num_classes, output_probabilities=output_probabilities, pad_value=pad_value,
        data_format=data_format,
    )


def predict_labels(model, images, mode="whole", data_format=None, **kwargs):
    """Predicted class per pixel: the argmax of `predict_probabilities`.

    Args:
        model: `keras.Model` or callable, images -> scores `(B, h, w, K)`.
        images: array or tensor `(B, H, W, 3)`.
        mode: `"whole"`, `"slide"` or `"multi_scale"`. Defaults to `"whole"`.
        data_format: see `predict_whole`.
        **kwargs: forwarded to `predict_probabilities` (`crop_size`, `stride`,
            `scales`, `flip`, `num_classes`, `output_probabilities`, `pad_value`).

    Returns:
        int32 tensor `(B, H, W)`.

    Example:

    ```python
    labels = keras_rr.inference.predict_labels(segmenter, images, mode="slide",
                                               crop_size=512, stride=341)
    ```
    """
    data_format = validation.check_data_format(data_format)
    probs = predict_probabilities(model, images, mode=mode, data_format=data_format, **kwargs)
    axis = -1 if data_format == "channels_last" else 1
    return ops.cast(ops.argmax(probs, axis=axis), "int32")
