"""Reports of paired comparisons (baseline vs Region Rebalance and ablations).

Small-data results swing by several mIoU points from seed to seed, so a variant is
compared with the baseline through the per-seed *paired* differences (same initial
weights and batches per seed, `keras_rr.experiments.run_paired_experiment`):
`paired_difference` gives their mean with a 95% Student-t interval; `summary_table` and
`per_class_comparison` are the markdown tables of the demo's report.
"""

import math

import numpy as np

from keras_rr.metrics.analysis import head_body_tail_summary
from keras_rr.metrics.analysis import per_class_table

# Two-sided Student t quantiles t_{0.975, df} for small df (no SciPy needed).
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
        10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 30: 2.042}


def t975(df):
    """`t_{0.975, df}` from `T975`: the next tabulated df above (conservative), 1.96 past 30."""
    larger = [k for k in sorted(T975) if k >= df]
    return T975[larger[0]] if larger else 1.96


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
    half = t975(diff.size - 1) * diff.std(ddof=1) / math.sqrt(diff.size)
    return float(diff.mean()), float(half)


def _mean_std(values):
    values = 100 * np.asarray(values, dtype="float64")
    if values.size < 2:
        return f"{values.mean():.2f}"
    return f"{values.mean():.2f} ± {values.std(ddof=1):.2f}"


def _head_tail(metrics, pixel_counts):
    split = head_body_tail_summary(metrics.iou, pixel_counts)
    return split["head"], split["tail"]


def summary_rows(results, pixel_counts, baseline="baseline"):
    """One dict per variant: mean ± std of the summary metrics and the paired Δ mIoU.

    Args:
        results: dict variant name -> list of `SegmentationMetrics` (paired by seed).
        pixel_counts: array `(K,)` training pixel counts (defines head / tail classes).
        baseline: str. Name of the reference variant. Defaults to `"baseline"`.

    Returns:
        list of dicts with keys `variant`, `miou`, `macc`, `aacc`, `head_miou`,
        `tail_miou` (formatted strings) and `delta_miou` (mean, half width) in points.
    """
    rows = []
    for name, runs in results.items():
        heads, tails = zip(*(_head_tail(m, pixel_counts) for m in runs))
        row = {
            "variant": name,
            "miou": _mean_std([m.miou for m in runs]),
            "macc": _mean_std([m.macc for m in runs]),
            "aacc": _mean_std([m.aacc for m in runs]),
            "head_miou": _mean_std(heads),
            "tail_miou": _mean_std(tails),
            "delta_miou": None,
        }
        if name != baseline and baseline in results:
            mean, half = paired_difference([m.miou for m in runs], [m.miou for m in results[baseline]])
            row["delta_miou"] = (100 * mean, 100 * half)
        rows.append(row)
    return rows


def summary_table(results, pixel_counts, baseline="baseline"):
    """Markdown table of `summary_rows` (values in %, mean ± std over seeds).

    Example:

    >>> print(summary_table(results, stats.pixel_counts))
    """
    num_seeds = len(next(iter(results.values())))
    lines = [
        f"| variant | mIoU | mAcc | aAcc | head mIoU | tail mIoU | Δ mIoU vs {baseline} (95% CI, {num_seeds} paired seeds) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in summary_rows(results, pixel_counts, baseline):
        if row["delta_miou"] is None:
            delta = "—"
        else:
            mean, half = row["delta_miou"]
            delta = f"{mean:+.2f} ± {half:.2f}" if np.isfinite(half) else f"{mean:+.2f}"
        lines.append(
            f"| {row['variant']} | {row['miou']} | {row['macc']} | {row['aacc']} | "
            f"{row['head_miou']} | {row['tail_miou']} | {delta} |"
        )
    return "\n".join(lines)


def mean_per_class(runs):
    """Per-class IoU and Acc averaged over seeds (NaN-aware).

    Returns:
        dict with `iou` and `acc` arrays `(K,)`.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # classes NaN in every seed
        iou = np.nanmean(np.stack([m.iou for m in runs]), axis=0) if runs else None
        acc = np.nanmean(np.stack([m.acc for m in runs]), axis=0) if runs else None
    return {"iou": iou, "acc": acc}


def per_class_comparison(results, statistics, candidate, baseline="baseline", class_names=None):
    """Per-class table (seed means) of the baseline with the candidate's ΔIoU / ΔAcc columns.

    Rows are sorted by training pixel frequency, most frequent first.
    """
    base = mean_per_class(results[baseline])
    cand = mean_per_class(results[candidate])
    return per_class_table(
        {"iou": cand["iou"], "acc": cand["acc"]},
        class_names=class_names,
        pixel_counts=statistics.pixel_counts,
        region_counts=statistics.region_counts,
        extra_columns={
            f"{baseline} IoU": base["iou"],
            "ΔIoU": cand["iou"] - base["iou"],
            "ΔAcc": cand["acc"] - base["acc"],
        },
    )
