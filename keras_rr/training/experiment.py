"""Paired training runs: the same model, data order and schedule per seed, per variant.

Small-data results swing by several mIoU points from seed to seed, so a comparison of
baseline and Region Rebalance is only meaningful over several *paired* seeds: for a given
seed every variant starts from the same initial weights and sees the same batches in the
same order. `run_paired_experiment` does exactly that; `paired_difference` turns the
per-seed differences into a mean with a confidence interval.
"""

import dataclasses
import math

import numpy as np

from keras_rr.metrics.segmentation_metrics import confusion_matrix_numpy
from keras_rr.metrics.segmentation_metrics import metrics_from_confusion_matrix


@dataclasses.dataclass(frozen=True)
class Variant:
    """One training recipe of a comparison (paper Tables 1, 5, 6 and Fig. 7).

    Args:
        name: str. Name used in tables.
        pixel_loss: str. One of `keras_rr.losses.PIXEL_LOSSES`. Defaults to
            `"cross_entropy"`.
        region_rebalance: bool. Train with the region branch. Defaults to `False`.
        loss_weight: float. λ of the region loss. Defaults to `0.3`.
        rebalance: bool. Region prior in the region loss (False: "component I").
            Defaults to `True`.
        projection_dim: int or None. Projection MLP in the region head (authors' code).
        label_smoothing: float. Region label smoothing (authors' code). Defaults to `0`.
        pooling_resolution: str. `"features"` or `"labels"`. Defaults to `"features"`.
    """

    name: str
    pixel_loss: str = "cross_entropy"
    region_rebalance: bool = False
    loss_weight: float = 0.3
    rebalance: bool = True
    projection_dim: int = None
    label_smoothing: float = 0.0
    pooling_resolution: str = "features"


BASELINE = Variant("baseline")
REGION_REBALANCE = Variant("region_rebalance", region_rebalance=True)


def build_training_model(
    variant, segmenter, num_classes, statistics, optimizer, ignore_class=255, feature_layer=None
):
    """Compiles `segmenter` (or its Region Rebalance wrapper) for `variant`.

    Args:
        variant: `Variant`.
        segmenter: functional `keras.Model` producing per-pixel logits.
        num_classes: int.
        statistics: `ClassStatistics`-like object with `pixel_counts`/`region_counts`.
        optimizer: a Keras optimizer.
        ignore_class: int. Defaults to `255`.
        feature_layer: str or None. Decoder feature layer of the region branch (found
            automatically when None). Defaults to `None`.

    Returns:
        The compiled model to `fit` (the wrapper, or `segmenter` itself).
    """
    import keras_rr

    if variant.region_rebalance:
        model = keras_rr.models.RegionRebalanceSegmenter(
            segmenter,
            num_classes,
            region_frequency=statistics.region_counts,
            loss_weight=variant.loss_weight,
            ignore_class=ignore_class,
            rebalance=variant.rebalance,
            projection_dim=variant.projection_dim,
            label_smoothing=variant.label_smoothing,
            pooling_resolution=variant.pooling_resolution,
            feature_layer=feature_layer,
        )
        if variant.pixel_loss == "cross_entropy":
            loss = "auto"  # global-batch mean CE, exact under tf.distribute
        else:
            loss = keras_rr.losses.make_pixel_loss(variant.pixel_loss, num_classes, statistics, ignore_class)
        model.compile(optimizer=optimizer, loss=loss)
        return model
    loss = keras_rr.losses.make_pixel_loss(variant.pixel_loss, num_classes, statistics, ignore_class)
    # metrics=[]: KerasHub segmenters compile themselves with a CategoricalAccuracy
    # (one-hot targets) at construction, which `metrics=None` would keep and which
    # fails on (B, H, W) integer label maps.
    segmenter.compile(optimizer=optimizer, loss=loss, metrics=[])
    return segmenter


def poly_sgd(learning_rate, total_steps, momentum=0.9, weight_decay=1e-4, power=0.9):
    """SGD with momentum and the poly schedule of the paper's recipe (method.md §6)."""
    import keras

    schedule = keras.optimizers.schedules.PolynomialDecay(
        learning_rate, decay_steps=max(total_steps, 1), end_learning_rate=0.0, power=power
    )
    return keras.optimizers.SGD(schedule, momentum=momentum, weight_decay=weight_decay)


def train_variant(
    variant,
    seed,
    images,
    labels,
    statistics,
    num_classes,
    model_fn,
    epochs,
    batch_size=16,
    learning_rate=0.01,
    ignore_class=255,
    weight_decay=1e-4,
):
    """Trains one variant from the seed's initial weights with the seed's data order.

    Args:
        variant: `Variant`.
        seed: int. Sets initial weights and the per-epoch data order.
        images: float32 array `(N, H, W, 3)`.
        labels: int32 array `(N, H, W)`.
        statistics: `ClassStatistics` of the training labels.
        num_classes: int.
        model_fn: callable `num_classes -> segmenter` (a functional model, logits out).
        epochs: int.
        batch_size: int. Defaults to `16`.
        learning_rate: float. Initial SGD learning rate. Defaults to `0.01`.
        ignore_class: int. Defaults to `255`.
        weight_decay: float. Defaults to `1e-4`.

    Returns:
        The trained plain segmenter (the region branch, if any, is left behind).
    """
    import keras

    keras.utils.set_random_seed(seed)
    segmenter = model_fn(num_classes)
    steps = epochs * math.ceil(len(images) / batch_size)
    optimizer = poly_sgd(learning_rate, steps, weight_decay=weight_decay)
    model = build_training_model(variant, segmenter, num_classes, statistics, optimizer, ignore_class)
    # The data order is drawn from its own generator, independent of how many random
    # numbers a variant's extra layers consumed, so paired runs see the same batches.
    order = np.random.default_rng(seed)
    for _ in range(epochs):
        perm = order.permutation(len(images))
        model.fit(images[perm], labels[perm], batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return segmenter


def evaluate_arrays(segmenter, images, labels, num_classes, ignore_class=255, batch_size=32):
    """Single-scale evaluation of a segmenter on in-memory arrays.

    Returns:
        `keras_rr.metrics.SegmentationMetrics`.
    """
    import keras

    scores = segmenter.predict(images, batch_size=batch_size, verbose=0)
    if tuple(scores.shape[1:3]) != tuple(labels.shape[1:3]):
        scores = keras.ops.convert_to_numpy(
            keras.ops.image.resize(scores, labels.shape[1:3], interpolation="bilinear")
        )
    predictions = np.argmax(scores, axis=-1)
    cm = confusion_matrix_numpy(labels, predictions, num_classes, ignore_class=ignore_class)
    return metrics_from_confusion_matrix(cm)


def run_paired_experiment(
    variants,
    seeds,
    train,
    validation,
    statistics,
    num_classes,
    model_fn,
    epochs,
    batch_size=16,
    learning_rate=0.01,
    ignore_class=255,
    progress=True,
):
    """Trains and evaluates every variant for every seed (paired by seed).

    Args:
        variants: sequence of `Variant` (names must be unique).
        seeds: sequence of ints.
        train: `(images, labels)` arrays.
        validation: `(images, labels)` arrays.
        statistics: `ClassStatistics` of the training labels.
        num_classes: int.
        model_fn: callable `num_classes -> segmenter`.
        epochs: int.
        batch_size: int. Defaults to `16`.
        learning_rate: float. Defaults to `0.01`.
        ignore_class: int. Defaults to `255`.
        progress: bool. Show a progress bar. Defaults to `True`.

    Returns:
        dict variant name -> list of `SegmentationMetrics`, one per seed, in seed order.

    Example:

    >>> results = run_paired_experiment([BASELINE, REGION_REBALANCE], [0, 1, 2], ...)
    >>> paired_difference([m.miou for m in results["region_rebalance"]],
    ...                   [m.miou for m in results["baseline"]])
    """
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise ValueError(f"Variant names must be unique. Received: {names}")
    runs = [(seed, variant) for seed in seeds for variant in variants]
    results = {name: [] for name in names}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(runs), desc="training runs", unit="run")
    for seed, variant in runs:
        if bar is not None:
            bar.set_postfix_str(f"{variant.name} seed={seed}")
        segmenter = train_variant(
            variant, seed, train[0], train[1], statistics, num_classes, model_fn, epochs,
            batch_size=batch_size, learning_rate=learning_rate, ignore_class=ignore_class,
        )
        metrics = evaluate_arrays(segmenter, validation[0], validation[1], num_classes, ignore_class)
        results[variant.name].append(metrics)
        if bar is not None:
            bar.update(1)
            bar.write(f"  {variant.name:<28} seed={seed}  mIoU={100 * metrics.miou:6.2f}")
    if bar is not None:
        bar.close()
    return results


# Two-sided Student t quantiles t_{0.975, df} for small df (no SciPy needed).
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
         10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 30: 2.042}


def _t975(df):
    if df in _T975:
        return _T975[df]
    keys = sorted(_T975)
    larger = [k for k in keys if k >= df]
    return _T975[larger[0]] if larger else 1.96


def paired_difference(candidate, baseline):
    """Mean paired difference `candidate - baseline` with a 95% t-interval.

    Args:
        candidate: sequence of per-seed values.
        baseline: sequence of per-seed values, same seeds in the same order.

    Returns:
        `(mean, half_width)`; the interval is `mean ± half_width` (NaN half width for a
        single seed).

    Example:

    >>> paired_difference([0.52, 0.55, 0.50], [0.50, 0.51, 0.49])  # (0.0233, 0.0380)
    """
    a = np.asarray(candidate, dtype="float64")
    b = np.asarray(baseline, dtype="float64")
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"Paired values need equal 1-D shapes. Received: {a.shape} and {b.shape}")
    diff = a - b
    if diff.size < 2:
        return float(diff.mean()), float("nan")
    half = _t975(diff.size - 1) * diff.std(ddof=1) / math.sqrt(diff.size)
    return float(diff.mean()), float(half)
