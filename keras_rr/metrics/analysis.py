"""Helpers that compare and summarise per-class results (paper Fig. 3/6, Table 2).

All NumPy; used by the demo and compare tools. Values are fractions in [0, 1]; tables
print them as percentages. Means over classes skip NaN (absent classes) with
`nanmean`, as the metrics themselves do (`docs/method.md`, section 5).
"""

import numpy as np

from keras_rr.metrics.segmentation_metrics import nanmean


def _entry(metrics, key):
    """`metrics[key]` of a `SegmentationMetrics` or a dict (or attribute), else None."""
    try:
        return metrics[key]
    except (KeyError, TypeError, IndexError):
        return getattr(metrics, key, None)


def _per_class(metrics, key):
    """Reads a per-class array from a `SegmentationMetrics`, a dict or an array."""
    if isinstance(metrics, (np.ndarray, list, tuple)):
        return np.asarray(metrics, dtype=np.float64)
    value = _entry(metrics, key)
    if value is None:
        raise ValueError(
            f"Expected metrics with a per-class `{key}` entry. Received: "
            f"metrics={type(metrics).__name__}"
        )
    return np.asarray(value, dtype=np.float64)


def delta_per_class(metrics_a, metrics_b):
    """Per-class ΔIoU and ΔAcc of run `b` over run `a` (b - a).

    Args:
        metrics_a: `SegmentationMetrics` or dict with `iou` and `acc` arrays `(K,)`; the
            reference run (e.g. the baseline).
        metrics_b: same, for the compared run (e.g. Region Rebalance).

    Returns:
        dict with `iou` and `acc` arrays `(K,)` (NaN where either run is NaN) and the
        scalar differences `miou`, `macc`, `aacc` where both inputs have them.

    Example:

    ```python
    d = keras_rr.metrics.delta_per_class(baseline_metrics, rr_metrics)
    keras_rr.metrics.plot_per_class_delta(d["iou"], d["acc"], pixel_counts, "d.png")
    ```
    """
    out = {}
    for key in ("iou", "acc"):
        a = _per_class(metrics_a, key)
        b = _per_class(metrics_b, key)
        if a.shape != b.shape:
            raise ValueError(
                f"Both runs need the same number of classes. Received: {key} shapes "
                f"{a.shape} and {b.shape}"
            )
        out[key] = b - a
    for key in ("miou", "macc", "aacc"):
        a, b = _entry(metrics_a, key), _entry(metrics_b, key)
        if a is not None and b is not None:
            out[key] = float(b) - float(a)
    return out


def pearson_r(x, y, log=False):
    """Pearson correlation coefficient, skipping pairs with a NaN or infinite entry.

    Paper Table 2 correlates class accuracy (`x`) with class frequency (`y`); frequencies
    span orders of magnitude, so `log=True` correlates with `log(y)` instead (classes
    with `y <= 0` are then skipped).

    Args:
        x: array-like `(K,)`, e.g. per-class accuracy.
        y: array-like `(K,)`, e.g. pixel or region counts per class.
        log: bool. Correlate with the natural log of `y`. Defaults to `False`.

    Returns:
        float in [-1, 1]; NaN with fewer than 2 usable pairs or zero variance.

    Example:

    ```python
    rho_pixel = keras_rr.metrics.pearson_r(m.acc, pixel_counts, log=True)
    rho_region = keras_rr.metrics.pearson_r(m.acc, region_counts, log=True)
    ```
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if x.shape != y.shape:
        raise ValueError(
            f"`x` and `y` must have the same length. Received: x.shape={x.shape}, "
            f"y.shape={y.shape}"
        )
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.where(y > 0, np.log(np.where(y > 0, y, 1.0)), np.nan)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size < 2:
        return float("nan")
    dx, dy = x - x.mean(), y - y.mean()
    denom = np.sqrt((dx * dx).sum() * (dy * dy).sum())
    if denom == 0:
        return float("nan")
    return float((dx * dy).sum() / denom)


def imbalance_factor(counts):
    """max_k N_k / min_k N_k over classes with N_k > 0 (PIF for pixels, RIF for regions).

    Args:
        counts: array-like `(K,)` of per-class counts.

    Returns:
        float; NaN when no class has a positive count.

    Example:

    ```python
    pif = keras_rr.metrics.imbalance_factor(pixel_counts)
    ```
    """
    counts = np.asarray(counts, dtype=np.float64).reshape(-1)
    positive = counts[counts > 0]
    if positive.size == 0:
        return float("nan")
    return float(positive.max() / positive.min())


def frequency_order(pixel_counts):
    """Class indices sorted by descending count (ties keep class order).

    Args:
        pixel_counts: array-like `(K,)`.

    Returns:
        int array `(K,)`.

    Example:

    ```python
    order = keras_rr.metrics.frequency_order(pixel_counts)  # most frequent first
    ```
    """
    counts = np.asarray(pixel_counts, dtype=np.float64).reshape(-1)
    return np.argsort(-counts, kind="stable")


def head_body_tail_split(pixel_counts, fractions=(1 / 3, 1 / 3, 1 / 3)):
    """Splits classes into frequency groups (head = most frequent).

    Args:
        pixel_counts: array-like `(K,)`; the frequency used for sorting (usually the
            training-set pixel counts).
        fractions: sequence of positive floats, one per group, normalised to sum 1.
            Defaults to thirds. Three fractions give groups `head`, `body`, `tail`;
            any other number gives `group0`, `group1`, ...

    Returns:
        dict group name -> int array of class indices (most frequent first).

    Example:

    ```python
    groups = keras_rr.metrics.head_body_tail_split(pixel_counts)
    tail_miou = np.nanmean(m.iou[groups["tail"]])
    ```
    """
    fractions = np.asarray(fractions, dtype=np.float64).reshape(-1)
    if fractions.size == 0 or np.any(fractions <= 0) or not np.all(np.isfinite(fractions)):
        raise ValueError(
            f"`fractions` must be positive numbers. Received: fractions={tuple(fractions)}"
        )
    order = frequency_order(pixel_counts)
    k = order.size
    bounds = np.round(np.cumsum(fractions / fractions.sum()) * k).astype(int)
    bounds[-1] = k
    starts = np.concatenate([[0], bounds[:-1]])
    names = (
        ["head", "body", "tail"]
        if fractions.size == 3
        else [f"group{i}" for i in range(fractions.size)]
    )
    return {name: order[s:e] for name, s, e in zip(names, starts, bounds)}


def head_body_tail_summary(values, pixel_counts, fractions=(1 / 3, 1 / 3, 1 / 3)):
    """NaN-skipping mean of per-class `values` over head/body/tail frequency groups.

    Args:
        values: array-like `(K,)`, e.g. per-class IoU or ΔIoU.
        pixel_counts: array-like `(K,)` used to sort classes.
        fractions: see `head_body_tail_split`.

    Returns:
        dict group name -> float (NaN for a group with no finite value), plus `all`.

    Example:

    ```python
    keras_rr.metrics.head_body_tail_summary(m.iou, train_pixel_counts)
    # {"head": 0.61, "body": 0.38, "tail": 0.21, "all": 0.40}
    ```
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    counts = np.asarray(pixel_counts).reshape(-1)
    if values.shape != counts.shape:
        raise ValueError(
            "`values` and `pixel_counts` must have the same length. Received: "
            f"values.shape={values.shape}, pixel_counts.shape={counts.shape}"
        )
    groups = head_body_tail_split(counts, fractions)
    out = {name: nanmean(values[idx]) for name, idx in groups.items()}
    out["all"] = nanmean(values)
    return out


def per_class_table(
    metrics,
    class_names=None,
    pixel_counts=None,
    sort_by_frequency=True,
    region_counts=None,
    extra_columns=None,
):
    """Markdown table of per-class IoU and Acc (in %), most frequent class first.

    Each row starts with the class id (its index in the label maps, not its rank in the
    table) and its name. A class with nothing to measure shows `nan`, never 0.

    Args:
        metrics: `SegmentationMetrics` or dict with `iou`, `acc` (and optionally `miou`,
            `macc`, `aacc`, `pixel_counts`).
        class_names: optional sequence of `K` names. Defaults to class indices.
        pixel_counts: optional array `(K,)` used for the frequency column and the sort
            order (pass training-set counts to match the paper's figures). Defaults to
            the evaluated ground-truth counts in `metrics`, when present.
        sort_by_frequency: bool. Sort rows by descending `pixel_counts`. Defaults to
            `True`.
        region_counts: optional array `(K,)` shown as a column.
        extra_columns: optional dict column title -> array `(K,)` of fractions shown in %
            (e.g. `{"ΔIoU": delta["iou"]}`).

    Returns:
        str, a markdown table with one row per class and a final `mean` row.

    Example:

    ```python
    print(keras_rr.metrics.per_class_table(m, class_names=names))
    ```
    """
    iou = _per_class(metrics, "iou")
    acc = _per_class(metrics, "acc")
    k = iou.shape[0]
    if class_names is None:
        class_names = [str(i) for i in range(k)]
    class_names = list(class_names)
    if len(class_names) != k:
        raise ValueError(
            f"`class_names` must have {k} entries. Received: len(class_names)="
            f"{len(class_names)}"
        )
    if pixel_counts is None:
        pixel_counts = _entry(metrics, "pixel_counts")
    columns = ["id", "class"]
    if pixel_counts is not None:
        pixel_counts = np.asarray(pixel_counts, dtype=np.float64).reshape(-1)
        if pixel_counts.shape != (k,):
            raise ValueError(
                f"`pixel_counts` must have shape ({k},). Received: "
                f"pixel_counts.shape={pixel_counts.shape}"
            )
        columns.append("pixels %")
    if region_counts is not None:
        region_counts = np.asarray(region_counts).reshape(-1)
        columns.append("regions")
    columns += ["IoU", "Acc"]
    extra_columns = dict(extra_columns or {})
    extra = {t: np.asarray(v, dtype=np.float64).reshape(-1) for t, v in extra_columns.items()}
    columns += list(extra)

    if sort_by_frequency and pixel_counts is not None:
        order = frequency_order(pixel_counts)
    else:
        order = np.arange(k)
    total = pixel_counts.sum() if pixel_counts is not None else 0.0

    def pct(v):
        return "nan" if np.isnan(v) else f"{100.0 * v:.2f}"

    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---:" if c not in ("class",) else ":---" for c in columns) + "|",
    ]
    for c in order:
        row = [str(int(c)), str(class_names[c])]
        if pixel_counts is not None:
            row.append(pct(pixel_counts[c] / total) if total > 0 else "nan")
        if region_counts is not None:
            row.append(f"{region_counts[c]:g}")
        row += [pct(iou[c]), pct(acc[c])]
        row += [pct(v[c]) for v in extra.values()]
        lines.append("| " + " | ".join(row) + " |")
    mean_row = ["", "mean"]
    if pixel_counts is not None:
        mean_row.append("")
    if region_counts is not None:
        mean_row.append("")
    mean_row += [pct(nanmean(iou)), pct(nanmean(acc))]
    mean_row += [pct(nanmean(v)) for v in extra.values()]
    lines.append("| " + " | ".join(mean_row) + " |")
    aacc = _entry(metrics, "aacc")
    if aacc is not None:
        lines.append("")
        lines.append(f"mIoU {pct(nanmean(iou))} | mAcc {pct(nanmean(acc))} | aAcc {pct(float(aacc))}")
    return "\n".join(lines)

