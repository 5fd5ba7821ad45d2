"""Repeat-factor sampling (LTSS, Li et al., TMM 2024): per-image repeat factors and epochs.

Rare classes are seen more often by repeating the images that hold them. With f(c) the
frequency of class c (the share of training images containing it, F(c) / N; or with
`frequency="pixel"` the per-image pixel fraction of c summed over images, / N), a class
gets r(c) = max(1, sqrt(t / f(c))) for a threshold t, and an image the maximum (or mean,
or sum) of r(c) over the classes it holds. An epoch holds image i floor(r_i) times plus
once more with probability frac(r_i), shuffled (`repeat_factor_epoch`).

Where the sampling lives: the trainer's step-indexed stream
(`keras_rr.training.training_data.train_batches`, config `data.repeat_factor_threshold`)
builds every epoch with `repeat_factor_epoch(factors, seed, epoch)`, so resuming mid-epoch
is exact. The tf.data loaders sample with `LoaderOptions(repeat_factors=factors, seed=...)`
(a new draw each pass over the dataset); for a hand-written loop, draw each epoch's index
list with `repeat_factor_epoch` and read those examples.
"""

import numpy as np

from keras_rr import validation

REDUCTIONS = ("max", "mean", "sum")
FREQUENCIES = ("image", "pixel")

_RECOMPUTE = (
    "Recompute the statistics with this keras_rr version, which records the classes of each image: "
    "`python -m keras_rr.tools.dataset_stats --output=...` (or delete the workdir's "
    "class_statistics.json so the trainer counts again)."
)


def class_repeat_factors(statistics, threshold, frequency="image"):
    """r(c) = max(1, sqrt(t / f(c))) per class; classes that never occur get 1.

    Args:
        statistics: `keras_rr.data.ClassStatistics` (with `image_classes` for
            `frequency="pixel"`).
        threshold: float > 0. The threshold t (LTSS: 0.0003 ADE20K-Full, 0.0012
            COCO-Stuff-LT, 0.001 with pixel frequency on ADE20K-150).
        frequency: `"image"` (f(c) = images containing c / N) or `"pixel"` (f(c) = sum
            over images of c's share of the image's labeled pixels, / N).

    Returns:
        float64 array `(K,)`.
    """
    threshold = validation.check_number(threshold, "threshold", minimum=0.0, min_inclusive=False)
    validation.check_choice(frequency, FREQUENCIES, "frequency")
    n = statistics.num_images
    if n == 0:
        return np.ones(statistics.num_classes, dtype=np.float64)
    if frequency == "image":
        freq = np.asarray(statistics.region_counts, dtype=np.float64) / n
    else:
        offsets, ids, pixels = _csr(statistics)
        image_of_entry = np.repeat(np.arange(n), np.diff(offsets))
        labeled = np.bincount(image_of_entry, weights=pixels, minlength=n)
        share = pixels / labeled[image_of_entry]
        freq = np.bincount(ids, weights=share, minlength=statistics.num_classes) / n
    factors = np.ones(statistics.num_classes, dtype=np.float64)
    present = freq > 0
    factors[present] = np.maximum(1.0, np.sqrt(threshold / freq[present]))
    return factors


def _csr(statistics):
    csr = getattr(statistics, "image_class_csr", None)
    if csr is None:
        raise ValueError(
            "Repeat-factor sampling needs the classes of every training image, which these class "
            f"statistics do not record (written by an older keras_rr, or built from counts). {_RECOMPUTE}"
        )
    return csr


def repeat_factors(statistics, threshold, reduce="max", frequency="image"):
    """Per-image repeat factors r(I) of LTSS repeat-factor sampling, in the loader's file order.

    r(c) = max(1, sqrt(t / f(c))) per class (`class_repeat_factors`), then r(I) is the
    `reduce` of r(c) over the classes image I holds (an image with no labeled pixel
    gets 1). Image i is the i-th image the statistics counted: for a keras_rr file
    loader, its i-th file in name order (what the trainer reads).

    Args:
        statistics: `keras_rr.data.ClassStatistics` with per-image classes (computed by
            `compute_class_statistics` / `python -m keras_rr.tools.dataset_stats`).
        threshold: float > 0. The threshold t.
        reduce: `"max"` (LTSS), `"mean"` or `"sum"`. Defaults to `"max"`.
        frequency: `"image"` or `"pixel"`. Defaults to `"image"`.

    Returns:
        float64 array `(num_images,)`, every entry >= 1.

    Raises:
        ValueError: the statistics do not record the classes of each image (says how to
            recompute them), or bad arguments.

    Example:

    ```python
    stats = keras_rr.data.ClassStatistics.load("stats/ade20k_training.json")
    factors = keras_rr.data.repeat_factors(stats, threshold=0.001, frequency="pixel")
    order = keras_rr.data.repeat_factor_epoch(factors, seed=0, epoch=3)
    ```
    """
    validation.check_choice(reduce, REDUCTIONS, "reduce")
    offsets, ids, _ = _csr(statistics)
    per_class = class_repeat_factors(statistics, threshold, frequency)
    n = statistics.num_images
    lengths = np.diff(offsets)
    values = per_class[ids]
    result = np.ones(n, dtype=np.float64)
    has = lengths > 0
    if values.size:
        starts = offsets[:-1][has]
        if reduce == "max":
            result[has] = np.maximum.reduceat(values, starts)
        else:
            sums = np.add.reduceat(values, starts)
            result[has] = sums / lengths[has] if reduce == "mean" else sums
    return result


def _check_factors(factors):
    factors = np.asarray(factors, dtype=np.float64)
    if factors.ndim != 1 or not np.all(np.isfinite(factors)) or (factors.size and factors.min() < 0):
        raise ValueError("`factors` must be a 1-D array of finite non-negative repeat factors.")
    return factors


def repeat_factor_epoch(factors, seed, epoch):
    """The example indices of one sampled epoch: a pure function of `(factors, seed, epoch)`.

    Image i appears floor(r_i) times plus once more with probability frac(r_i) (a
    Bernoulli draw), and the list is shuffled; both from a NumPy generator seeded by
    `(seed, epoch)`.

    Args:
        factors: float array `(N,)` of repeat factors (`repeat_factors`).
        seed: int.
        epoch: int >= 0.

    Returns:
        int64 array of example indices in `[0, N)`; its length varies per epoch
        (about `sum(factors)`).

    Example:

    >>> repeat_factor_epoch([1.0, 2.5], seed=0, epoch=0)  # e.g. array([1, 0, 1, 1])
    """
    factors = _check_factors(factors)
    seed = validation.check_int(seed, "seed")
    epoch = validation.check_int(epoch, "epoch", minimum=0)
    rng = np.random.default_rng([seed % (1 << 63), epoch, 0x52465321])
    whole = np.floor(factors)
    counts = whole.astype(np.int64) + (rng.random(factors.size) < factors - whole)
    indices = np.repeat(np.arange(factors.size, dtype=np.int64), counts)
    return rng.permutation(indices)


def sampled_indices(factors, seed, first, last):
    """Examples `first .. last - 1` of the stream of sampled epochs 0, 1, 2, ... back to back.

    Args:
        factors: float array `(N,)` of repeat factors.
        seed: int.
        first: int >= 0. First position in the stream.
        last: int >= first. One past the last position.

    Returns:
        int64 array `(last - first,)` of example indices.
    """
    factors = _check_factors(factors)
    if factors.size == 0 or factors.sum() <= 0:
        raise ValueError("Repeat factors must keep at least one example per epoch.")
    parts, start, epoch = [], 0, 0
    while start < last:
        indices = repeat_factor_epoch(factors, seed, epoch)
        end = start + indices.size
        if end > first:
            parts.append(indices[max(first - start, 0) : last - start])
        start, epoch = end, epoch + 1
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)
