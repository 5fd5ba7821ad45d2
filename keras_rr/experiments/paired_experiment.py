"""Paired training runs: the same model, data order and schedule per seed, per variant.

Small-data results swing by several mIoU points from seed to seed, so a comparison of
baseline and Region Rebalance is only meaningful over several *paired* seeds: for a given
seed every variant starts from the same initial weights and sees the same batches in the
same order. `run_paired_experiment` does exactly that on in-memory arrays (the demo and
`benchmarks/ablations.py`); `keras_rr.experiments.paired_difference` turns the per-seed
differences into a mean with a confidence interval.

The runs use the library's one optimizer recipe (`keras_rr.training.optimizers`: SGD
momentum 0.9 with the poly schedule, docs/method.md, section 6) and its one evaluator
(`keras_rr.inference.evaluate_segmenter`, single scale).
"""

import math

import keras
import numpy as np

from keras_rr.data.copy_paste import CopyPaste
from keras_rr.data.copy_paste import rare_classes
from keras_rr.data.repeat_factors import repeat_factors
from keras_rr.data.repeat_factors import sampled_indices
from keras_rr.inference.dataset_evaluation import evaluate_segmenter
from keras_rr.training.optimizers import build_optimizer


def train_variant(variant, seed, images, labels, statistics, num_classes, model_fn, epochs,
                  batch_size=16, learning_rate=0.01, ignore_class=255, weight_decay=1e-4):
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
        weight_decay: float. Coupled L2 weight decay of the SGD (torch's, the paper's
            recipe: `keras_rr.optimizers.CoupledWeightDecaySGD`). Defaults to `1e-4`.

    A variant with `repeat_factor_threshold` reads, as epoch e, examples `e * N ..
    (e + 1) * N - 1` of the sampled epochs `keras_rr.data.repeat_factor_epoch(factors,
    seed, 0), (.., 1), ...` back to back (LTSS repeat-factor sampling; as the trainer's
    step-indexed stream, so every variant trains the same number of steps); one with
    `copy_paste` pastes onto every example of an epoch the classes of a source example
    drawn uniformly from `np.random.default_rng([seed, e, 0x4350])`
    (`keras_rr.data.CopyPaste`; rare classes `keras_rr.data.rare_classes(statistics,
    variant.copy_paste_rare_bound)`). These experiments do not augment otherwise.

    Returns:
        The trained plain segmenter (the region branch, if any, is left behind).
    """
    keras.utils.set_random_seed(seed)
    segmenter = model_fn(num_classes)
    steps = epochs * math.ceil(len(images) / batch_size)
    optimizer, _ = build_optimizer(
        {"name": "sgd", "learning_rate": learning_rate, "momentum": 0.9, "weight_decay": weight_decay},
        {"name": "poly", "power": 0.9, "end_learning_rate": 0.0},
        total_steps=max(steps, 1),
    )
    model = variant.compile_model(segmenter, num_classes, statistics, optimizer, ignore_class)
    # The data order is drawn from its own generator, independent of how many random
    # numbers a variant's extra layers consumed, so paired runs see the same batches.
    order = np.random.default_rng(seed)
    sampling = EpochSampling(variant, statistics, ignore_class)
    for epoch in range(epochs):
        perm = order.permutation(len(images))  # drawn in every variant: the same stream
        x, y = sampling.epoch(images, labels, perm, seed, epoch)
        model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return segmenter


class EpochSampling:
    """The examples of each epoch of a variant: its order, repeat-factor sampling, copy-paste.

    Args:
        variant: `Variant` (`repeat_factor_threshold`, `copy_paste`,
            `copy_paste_rare_bound`).
        statistics: `ClassStatistics` of the training labels (with per-image classes
            for repeat-factor sampling).
        ignore_class: int. Defaults to `255`.
    """

    def __init__(self, variant, statistics, ignore_class=255):
        self.factors = None
        if variant.repeat_factor_threshold is not None:
            self.factors = repeat_factors(statistics, variant.repeat_factor_threshold)
        self.paste = None
        if variant.copy_paste != "none":
            rare = rare_classes(statistics, variant.copy_paste_rare_bound) if variant.copy_paste == "rare" else None
            self.paste = CopyPaste(variant.copy_paste, rare_classes=rare, ignore_class=ignore_class)

    def epoch(self, images, labels, permutation, seed, epoch):
        """`(x, y)` of epoch `epoch`: `images[permutation]` unless sampled, then pasted."""
        indices = permutation
        if self.factors is not None:
            indices = sampled_indices(self.factors, seed, epoch * len(images), (epoch + 1) * len(images))
        x, y = images[indices], labels[indices]
        if self.paste is not None:
            x, y = _paste_epoch(self.paste, x, y, images, labels, seed, epoch)
        return x, y


def _paste_epoch(paste, x, y, images, labels, seed, epoch):
    """Copy-paste onto every example of an epoch: sources uniform, draws from (seed, epoch)."""
    import tensorflow as tf  # the pasting runs in tf.data, as in the trainer

    sources = np.random.default_rng([seed, epoch, 0x4350]).integers(0, len(images), len(x))
    seeds = np.stack([np.full(len(x), seed * 100_003 + epoch), np.arange(len(x))], axis=1).astype(np.int64)
    dataset = tf.data.Dataset.from_tensor_slices((x, y, images[sources], labels[sources], seeds))
    dataset = dataset.map(lambda a, b, c, d, s: paste(a, b, c, d, seed=s)).batch(256)
    parts = list(dataset.as_numpy_iterator())
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _array_batches(images, labels, batch_size=32):
    # `evaluate_segmenter` takes any iterable of batches; a list also gives its length.
    return [(images[i : i + batch_size], labels[i : i + batch_size]) for i in range(0, len(images), batch_size)]


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

    Each run is `train_variant` (same arguments), then a single-scale
    `keras_rr.inference.evaluate_segmenter` of the trained segmenter on `validation`.

    Args:
        variants: sequence of `Variant` (names must be unique).
        seeds: sequence of ints.
        train: `(images, labels)` arrays.
        validation: `(images, labels)` arrays.
        statistics: as in `train_variant`.
        num_classes: as in `train_variant`.
        model_fn: as in `train_variant`.
        epochs: as in `train_variant`.
        batch_size: as in `train_variant`.
        learning_rate: as in `train_variant`.
        ignore_class: as in `train_variant`.
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
        segmenter = train_variant(variant, seed, *train, statistics, num_classes, model_fn, epochs,
                                  batch_size=batch_size, learning_rate=learning_rate, ignore_class=ignore_class)
        metrics = evaluate_segmenter(segmenter, _array_batches(*validation), num_classes,
                                     ignore_class=ignore_class, progress=False)
        results[variant.name].append(metrics)
        if bar is not None:
            bar.update(1)
            bar.write(f"  {variant.name:<28} seed={seed}  mIoU={100 * metrics.miou:6.2f}")
    if bar is not None:
        bar.close()
    return results
