"""Region pooling: the mean decoder feature of every (image, class) region.

A *region* is the set of pixels of one ground-truth class in one image (docs/method.md, section 2).
`region_mean` turns a feature map `(B, h, w, C)` and a label map `(B, H, W)` into one
feature vector per (image, class) pair, `(B, K, C)`, plus a mask telling which of the
`B * K` regions exist. Shapes stay static so the op compiles under `jax.jit` and XLA.
"""

import keras
from keras import ops

from keras_rr import validation

POOLING_METHODS = ("auto", "segment_sum", "one_hot")
POOLING_RESOLUTIONS = ("features", "labels")
REGION_SCOPES = ("image", "batch")

# Fastest method per backend, from `benchmarks/region_pooling.py` (docs/results/benchmarks.md):
# forward + backward at 128x128x256, K=150, batch 8 on an H200, segment_sum took 0.49 ms
# (JAX) / 2.3 ms (torch) vs 0.58 / 2.8 ms for the one-hot matmul; on 2 CPU cores
# segment_sum also won on TF and JAX. One-hot only wins for JAX at 512x512 features,
# which `pool_before_upsampling` avoids for the supported segmenters.
_DEFAULT_METHOD = {"tensorflow": "segment_sum", "jax": "segment_sum", "torch": "segment_sum"}


def sample_labels_nearest(labels, height, width):
    """Brings a label map to a `(height, width)` grid by nearest sampling at cell centres.

    The label of output cell `(i, j)` is
    `labels[b, floor((i + 0.5) * H / height), floor((j + 0.5) * W / width)]`, computed
    with integer arithmetic so every backend picks the same pixel (the backends'
    `resize(..., "nearest")` implementations disagree on half-pixel offsets).

    Args:
        labels: integer tensor `(B, H, W)`.
        height: int. Target grid height.
        width: int. Target grid width.

    Returns:
        Integer tensor `(B, height, width)` with the dtype of `labels`.

    Example:

    >>> labels = np.arange(16, dtype="int32").reshape(1, 4, 4)
    >>> keras_rr.ops.sample_labels_nearest(labels, 2, 2)  # [[5, 7], [13, 15]]
    """
    labels = ops.convert_to_tensor(labels)
    in_height, in_width = labels.shape[1], labels.shape[2]
    if in_height is None or in_width is None:
        dyn = ops.shape(labels)
        in_height = in_height if in_height is not None else dyn[1]
        in_width = in_width if in_width is not None else dyn[2]
    elif in_height == height and in_width == width:
        return labels
    elif in_height % height == 0 and in_width % width == 0:
        # Integer factors s (the usual 4x decoder stride): floor((2i + 1) * s / 2) is
        # i * s + s // 2, a strided slice; one op instead of two gathers (each op costs
        # tens of microseconds of host time on eager torch).
        step_y, step_x = in_height // height, in_width // width
        return labels[:, step_y // 2 :: step_y, step_x // 2 :: step_x]
    rows = ops.floor_divide((2 * ops.arange(height, dtype="int32") + 1) * in_height, 2 * height)
    cols = ops.floor_divide((2 * ops.arange(width, dtype="int32") + 1) * in_width, 2 * width)
    return ops.take(ops.take(labels, rows, axis=1), cols, axis=2)


def _validate(features, labels, num_classes, resolution, method, scope):
    validation.check_num_classes(num_classes)
    validation.check_choice(resolution, POOLING_RESOLUTIONS, "resolution")
    validation.check_choice(method, POOLING_METHODS, "method")
    validation.check_choice(scope, REGION_SCOPES, "scope")
    if len(features.shape) != 4:
        raise ValueError(
            "`features` must be a 4-D feature map (batch, height, width, channels). "
            f"Received: features.shape={tuple(features.shape)}"
        )
    feat_batch, label_batch = features.shape[0], labels.shape[0]
    if feat_batch is not None and label_batch is not None and feat_batch != label_batch:
        raise ValueError(
            "`features` and `labels` must have the same batch size. Received: "
            f"features.shape={tuple(features.shape)}, labels.shape={tuple(labels.shape)}"
        )


def segment_sums(flat_features, segment_ids, num_segments):
    """Sums rows of `flat_features` per segment; `num_segments` may be dynamic on TF.

    `keras.ops.segment_sum`, with the backend choices region pooling needs: a tensor
    segment count in TF graphs (unknown batch), one `index_add` on torch.

    Args:
        flat_features: float tensor `(N, ...)`.
        segment_ids: int tensor `(N,)` in `[0, num_segments)`.
        num_segments: int or scalar tensor.

    Returns:
        float tensor `(num_segments, ...)`.
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        # TF graphs see a `None` batch; unsorted_segment_sum takes a tensor count.
        return tf.math.unsorted_segment_sum(flat_features, segment_ids, num_segments)
    if keras.backend.backend() == "torch":
        import torch

        # keras.ops.segment_sum on torch expands the ids to the full data shape as
        # int64 (8 bytes per feature value) before a scatter; index_add reads them once.
        out = torch.zeros((num_segments,) + tuple(flat_features.shape[1:]), dtype=flat_features.dtype,
                          device=flat_features.device)
        return out.index_add(0, segment_ids.long(), flat_features)
    return ops.segment_sum(flat_features, segment_ids, num_segments=num_segments)


def region_mean(
    features,
    labels,
    num_classes,
    ignore_class=255,
    resolution="features",
    method="auto",
    data_format=None,
    scope="image",
    align_corners=False,
    return_counts=False,
):
    """Averages decoder features over every (image, class) region.

    Labels of any size are brought to the feature grid by nearest sampling at cell
    centres (`sample_labels_nearest`), or, with `resolution="labels"`, the features are
    upsampled bilinearly to the label size first (what the authors' released code does;
    slower). Pixels labelled `ignore_class`, negative or `>= num_classes` belong to no
    region. Sums are accumulated in float32 whatever the feature dtype, because a
    512x512 sum overflows float16. Symbolic `keras.Input` tensors give symbolic outputs,
    so the op can be part of a functional model.

    Args:
        features: float tensor `(B, h, w, C)` (or `(B, C, h, w)` with
            `data_format="channels_first"`): the map the pixel classifier reads.
        labels: integer tensor `(B, H, W)` or `(B, H, W, 1)` of class ids.
        num_classes: int. Number of classes `K`.
        ignore_class: int or None. Label of unlabeled pixels. Defaults to `255`.
        resolution: `"features"` (pool on the feature grid) or `"labels"` (upsample
            features to the label grid first). Defaults to `"features"`.
        method: `"segment_sum"`, `"one_hot"` (a batched matmul with a one-hot mask) or
            `"auto"` (the fastest measured on the current backend). Defaults to `"auto"`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `keras.config.image_data_format()`.
        scope: `"image"` (a region is one class in one image: the paper's eq. 7) or
            `"batch"` (one region per class over the whole batch, the authors' released
            code); with `"batch"` the outputs have a batch dimension of 1. Defaults to
            `"image"`.
        align_corners: bool. With `resolution="labels"`, upsample with
            `align_corners=True` bilinear interpolation (torch's
            `F.interpolate(..., align_corners=True)`, the authors' code) instead of
            Keras' half-pixel one. Defaults to `False`.
        return_counts: bool. Also return the float32 pixel count of every region
            (for sums across replicas). Defaults to `False`.

    Returns:
        Tuple `(region_features, region_mask)`: float32 `(B, K, C)` mean features (zeros
        for regions that do not exist) and bool `(B, K)`, True where image `b` has at
        least one pixel of class `k` on the pooling grid; plus `counts (B, K)` with
        `return_counts=True`.

    Example:

    >>> features = np.random.rand(2, 8, 8, 16).astype("float32")
    >>> labels = np.random.randint(0, 5, size=(2, 32, 32))
    >>> region_features, region_mask = keras_rr.ops.region_mean(features, labels, 5)
    >>> region_features.shape, region_mask.shape  # (2, 5, 16), (2, 5)

    Reference:
        [Cui et al., Region Rebalance for Long-Tailed Semantic Segmentation](
        https://arxiv.org/abs/2204.01969), eq. 6-8; docs/method.md, section 3.
    """
    # Symbolic `keras.Input` tensors (a functional model) stay symbolic; the op then
    # runs in `_SymbolicRegionMean.call` on the model's real tensors.
    features = features if isinstance(features, keras.KerasTensor) else ops.convert_to_tensor(features)
    labels = labels if isinstance(labels, keras.KerasTensor) else ops.convert_to_tensor(labels)
    labels = validation.check_label_map(labels)
    _validate(features, labels, num_classes, resolution, method, scope)
    data_format = data_format or keras.config.image_data_format()
    if isinstance(features, keras.KerasTensor) or isinstance(labels, keras.KerasTensor):
        options = dict(
            num_classes=num_classes, ignore_class=ignore_class, resolution=resolution, method=method,
            scope=scope, align_corners=align_corners, return_counts=return_counts,
        )
        return _SymbolicRegionMean(data_format=data_format, **options)(features, labels)
    if data_format == "channels_first":
        features = ops.transpose(features, (0, 2, 3, 1))

    features = ops.cast(features, "float32")
    if resolution == "labels":
        label_hw = labels.shape[1:3]
        if None in label_hw:
            raise ValueError(
                "`resolution='labels'` needs a static label size. Received: "
                f"labels.shape={tuple(labels.shape)}"
            )
        if align_corners:
            features = resize_bilinear_align_corners(features, *label_hw)
        elif tuple(features.shape[1:3]) != tuple(label_hw):
            features = ops.image.resize(
                features, label_hw, interpolation="bilinear", data_format="channels_last"
            )
    else:
        labels = sample_labels_nearest(labels, features.shape[1], features.shape[2])
    labels = ops.cast(labels, "int32")

    valid = validation.valid_label_mask(labels, num_classes, ignore_class)

    channels = features.shape[-1]
    if scope == "batch":
        # The batch as one image of B*h*w pixels: a region is every pixel of a class.
        features = ops.reshape(features, (1, -1, 1, channels))
        labels = ops.reshape(labels, (1, -1, 1))
        valid = ops.reshape(valid, (1, -1, 1))
    if method == "auto":
        method = _DEFAULT_METHOD.get(keras.backend.backend(), "segment_sum")
    if method == "one_hot":
        sums, counts = _pool_one_hot(features, labels, valid, num_classes, channels)
    else:
        sums, counts = _pool_segment_sum(features, labels, valid, num_classes, channels)
    region_mask = counts > 0
    region_features = sums / ops.expand_dims(ops.maximum(counts, 1.0), -1)
    if return_counts:
        return region_features, region_mask, counts
    return region_features, region_mask


def resize_bilinear_align_corners(features, height, width):
    """Bilinear resize of `(B, h, w, C)` to `(B, height, width, C)` with aligned corners.

    Output pixel `i` samples input position `i * (h - 1) / (height - 1)` (corners map to
    corners), as torch's `F.interpolate(mode="bilinear", align_corners=True)`; the same
    on every backend (two gathers and a lerp per axis), differentiable.

    Args:
        features: float tensor `(B, h, w, C)`.
        height: int. Output height.
        width: int. Output width.

    Returns:
        float tensor `(B, height, width, C)`.

    Example:

    >>> x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
    >>> resize_bilinear_align_corners(x, 3, 3)[0, :, :, 0]  # [[0, .5, 1], [1, 1.5, 2], [2, 2.5, 3]]
    """

    def axis_weights(in_size, out_size):
        scale = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        position = ops.arange(out_size, dtype="float32") * scale
        low = ops.minimum(ops.cast(ops.floor(position), "int32"), in_size - 1)
        high = ops.minimum(low + 1, in_size - 1)
        return low, high, position - ops.cast(low, "float32")

    in_height, in_width = features.shape[1], features.shape[2]
    low, high, frac = axis_weights(in_height, height)
    frac = ops.reshape(frac, (1, -1, 1, 1))
    features = ops.take(features, low, axis=1) * (1.0 - frac) + ops.take(features, high, axis=1) * frac
    low, high, frac = axis_weights(in_width, width)
    frac = ops.reshape(frac, (1, 1, -1, 1))
    return ops.take(features, low, axis=2) * (1.0 - frac) + ops.take(features, high, axis=2) * frac


class _SymbolicRegionMean(keras.Operation):
    """`region_mean` as an operation, so functional models can call it on `keras.Input`s."""

    def __init__(self, data_format, **options):
        super().__init__(name="region_mean")
        self.data_format = data_format
        self.options = options

    def call(self, features, labels):
        return region_mean(features, labels, data_format=self.data_format, **self.options)

    def compute_output_spec(self, features, labels):
        channels = features.shape[-1 if self.data_format == "channels_last" else 1]
        batch, num_classes = features.shape[0], self.options["num_classes"]
        if self.options["scope"] == "batch":
            batch = 1
        outputs = (
            keras.KerasTensor((batch, num_classes, channels), dtype="float32"),
            keras.KerasTensor((batch, num_classes), dtype="bool"),
        )
        if self.options["return_counts"]:
            outputs += (keras.KerasTensor((batch, num_classes), dtype="float32"),)
        return outputs


def _pool_one_hot(features, labels, valid, num_classes, channels):
    batch = ops.shape(features)[0]
    flat_labels = ops.reshape(labels, (batch, -1))
    flat_valid = ops.reshape(valid, (batch, -1))
    # (B, P, K) membership matrix; invalid pixels have an all-zero row.
    one_hot = ops.logical_and(
        ops.expand_dims(flat_labels, -1) == ops.arange(num_classes, dtype="int32"),
        ops.expand_dims(flat_valid, -1),
    )
    one_hot = ops.cast(one_hot, "float32")
    flat_features = ops.reshape(features, (batch, -1, channels))
    sums = ops.einsum("bpk,bpc->bkc", one_hot, flat_features)
    counts = ops.sum(one_hot, axis=1)
    return sums, counts


def _pool_segment_sum(features, labels, valid, num_classes, channels):
    batch = features.shape[0]
    if batch is None or keras.backend.backend() == "tensorflow":
        batch = ops.shape(features)[0]
    # Segment id b*K + k; every invalid pixel goes to one extra dump segment B*K.
    image_index = ops.reshape(ops.arange(batch, dtype="int32"), (-1, 1, 1))
    dump = batch * num_classes
    segment_ids = ops.where(valid, image_index * num_classes + labels, dump)
    segment_ids = ops.reshape(segment_ids, (-1,))
    num_segments = dump + 1
    flat_features = ops.reshape(features, (-1, channels))
    sums = segment_sums(flat_features, segment_ids, num_segments)[:dump]
    # Counts from a separate 1-D scatter: cheaper than appending a ones column, which
    # would copy the whole feature map.
    ones = ops.ones_like(segment_ids, dtype="float32")
    counts = segment_sums(ones, segment_ids, num_segments)[:dump]
    return ops.reshape(sums, (batch, num_classes, channels)), ops.reshape(counts, (batch, num_classes))
