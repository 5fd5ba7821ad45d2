"""LTSS frequency groups: mIoU over the rare / common / frequent classes.

The LTSS benchmark (Li et al., TMM 2024) reports mIoU over the classes tagged rare,
common and frequent, once by *image* frequency and once by *pixel* frequency; its
evaluator reads the tags from dataset metadata and does not define the boundaries. The
boundaries here are **our choice**, relative to the training set and the same for both
frequencies:

- image frequency `f(c) = images containing c / training images` (the region counts
  F(c) over `num_images`);
- pixel frequency `f(c) = pixels of c / labeled training pixels`;
- rare: `f < 1%`, common: `1% <= f <= 10%`, frequent: `f > 10%`
  (`DEFAULT_BOUNDS = (0.01, 0.10)`; a class absent from training is rare).

`frequency_group_miou` averages the per-class IoU of each group over the classes whose
IoU is defined (NaN, i.e. absent from the evaluated ground truth and never predicted,
is left out); a group with no such class gives NaN.
"""

import numpy as np

GROUPS = ("rare", "common", "frequent")
DEFAULT_BOUNDS = (0.01, 0.10)
FREQUENCY_KINDS = ("image", "pixel")


def class_frequencies(statistics=None, by="image", counts=None, num_images=None):
    """Per-class frequency in [0, 1] by images (`region_counts / num_images`) or pixels.

    Args:
        statistics: object with `pixel_counts`, `region_counts` and `num_images` (a
            `keras_rr.data.ClassStatistics`), or None when `counts` is given.
        by: `"image"` or `"pixel"`. Defaults to `"image"`.
        counts: array-like `(K,)` of counts used instead of `statistics`: images
            containing each class (`by="image"`, needs `num_images`) or pixels.
        num_images: int. Training images, for `counts` with `by="image"`.

    Returns:
        float64 NumPy array `(K,)`.
    """
    if by not in FREQUENCY_KINDS:
        raise ValueError(f"`by` must be one of {FREQUENCY_KINDS}. Received: by={by!r}")
    if (statistics is None) == (counts is None):
        raise ValueError("Pass exactly one of `statistics` and `counts`.")
    if statistics is not None:
        counts = statistics.region_counts if by == "image" else statistics.pixel_counts
        num_images = statistics.num_images if by == "image" else None
    counts = np.asarray(counts, "float64").reshape(-1)
    if counts.size == 0 or not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ValueError(f"`counts` must be non-empty, finite and non-negative. Received: counts={counts.tolist()}")
    if by == "image":
        if num_images is None or num_images <= 0:
            raise ValueError(f"Image frequencies need `num_images` > 0. Received: num_images={num_images}")
        return counts / float(num_images)
    total = counts.sum()
    return counts / total if total > 0 else np.zeros_like(counts)


def frequency_groups(statistics=None, by="image", counts=None, num_images=None, bounds=DEFAULT_BOUNDS):
    """Tags every class `"rare"`, `"common"` or `"frequent"` (LTSS groups, our boundaries).

    Args:
        statistics: as in `class_frequencies`.
        by: as in `class_frequencies`.
        counts: as in `class_frequencies`.
        num_images: as in `class_frequencies`.
        bounds: `(low, high)`: rare `f < low`, frequent `f > high`, else common.
            Defaults to `(0.01, 0.10)`.

    Returns:
        NumPy array `(K,)` of str.

    Example:

    >>> frequency_groups(stats, by="pixel")  # array(['frequent', 'common', 'rare', ...])
    """
    low, high = (float(b) for b in bounds)
    if not 0.0 <= low <= high:
        raise ValueError(f"`bounds` must be (low, high) with 0 <= low <= high. Received: bounds={bounds}")
    f = class_frequencies(statistics, by, counts, num_images)
    tags = np.full(f.shape, "common", dtype=object)
    tags[f < low] = "rare"
    tags[f > high] = "frequent"
    return tags.astype(str)


def frequency_group_miou(iou_per_class, groups):
    """mIoU of each frequency group: `{"rare": .., "common": .., "frequent": ..}`.

    Args:
        iou_per_class: array-like `(K,)` of IoU fractions, NaN where undefined.
        groups: array-like `(K,)` of tags from `frequency_groups`.

    Returns:
        dict group -> float (NaN classes excluded; NaN for a group with none left).

    Example:

    >>> frequency_group_miou([0.9, 0.5, np.nan], ["frequent", "rare", "rare"])
    {'rare': 0.5, 'common': nan, 'frequent': 0.9}
    """
    iou = np.asarray(iou_per_class, "float64").reshape(-1)
    groups = np.asarray(groups).reshape(-1)
    if iou.shape != groups.shape:
        raise ValueError(
            f"`iou_per_class` and `groups` need one entry per class. Received: {iou.size} and {groups.size}"
        )
    unknown = sorted(set(groups.tolist()) - set(GROUPS))
    if unknown:
        raise ValueError(f"Unknown frequency groups {unknown}; expected {GROUPS}.")
    result = {}
    for group in GROUPS:
        values = iou[(groups == group) & np.isfinite(iou)]
        result[group] = float(values.mean()) if values.size else float("nan")
    return result
