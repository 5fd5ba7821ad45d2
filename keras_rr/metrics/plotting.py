"""PNG plots of per-class results (paper Fig. 3/5/6).

matplotlib is imported inside each function, with the non-interactive Agg backend, so
`import keras_rr` never needs it and plots work on headless machines.
"""

import os
import sys

import numpy as np

from keras_rr.metrics.analysis import frequency_order
from keras_rr.metrics.analysis import imbalance_factor

# Class names on the x axis only while they stay readable.
_MAX_TICK_LABELS = 60


def _pyplot():
    try:
        import matplotlib
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Plotting needs matplotlib: `pip install matplotlib` (extra `tools`)."
        ) from e
    # Select Agg only before pyplot is first imported, so a backend the caller already
    # chose (e.g. inline in a notebook) is kept; savefig works with any backend.
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _check_vector(name, value, k=None):
    value = np.asarray(value, dtype=np.float64).reshape(-1)
    if k is not None and value.shape != (k,):
        raise ValueError(
            f"`{name}` must have shape ({k},). Received: {name}.shape={value.shape}"
        )
    return value


def _prepare(first, second, pixel_counts, class_names, path):
    """Validates the per-class inputs, creates the PNG's folder, imports pyplot.

    Args:
        first, second: `(name, values)` pairs of per-class vectors; `first` fixes `K`.
        pixel_counts: array `(K,)` giving the class order, or None when it is `first`.

    Returns:
        `(first_values, second_values, order, path, plt)`: `order` lists the classes
        from most to least frequent (the x axis).
    """
    first_values = _check_vector(*first)
    k = first_values.shape[0]
    second_values = _check_vector(*second, k)
    counts = first_values if pixel_counts is None else _check_vector("pixel_counts", pixel_counts, k)
    if class_names is not None and len(class_names) != k:
        raise ValueError(
            f"`class_names` must have {k} entries. Received: len(class_names)="
            f"{len(class_names)}"
        )
    path = os.fspath(path)
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    return first_values, second_values, frequency_order(counts), path, _pyplot()


def _class_label(class_names, c):
    return str(c) if class_names is None else str(class_names[c])


def _label_classes(ax, class_names, order):
    """Each bar's class (its name, else its id) on the x axis, while they stay readable.

    More classes than that leave the axis unlabelled: positions are then ranks.
    """
    if len(order) <= _MAX_TICK_LABELS:
        ax.set_xticks(np.arange(len(order)))
        ax.set_xticklabels([_class_label(class_names, c) for c in order], rotation=90, fontsize=7)


def _listed(class_names, classes, limit=8):
    """`"a, b, c"` for up to `limit` classes, then `", ..."`."""
    shown = [_class_label(class_names, c) for c in classes[:limit]]
    return ", ".join(shown) + (", ..." if len(classes) > limit else "")


def _save(plt, fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_per_class_delta(
    delta_iou, delta_acc, pixel_counts, path, class_names=None, title=None
):
    """Writes a PNG with per-class ΔIoU and ΔAcc bars sorted by pixel frequency.

    Classes run from most to least frequent (left to right), as in paper Fig. 3 and 6;
    gains are green, losses red. Values are fractions, drawn in percentage points.
    Each bar is labelled with its class name (or id) while `K <= 60`.

    Args:
        delta_iou: array-like `(K,)` ΔIoU per class. A NaN class (absent from the
            ground truth and the predictions of a run) gets no bar but a grey cross on
            the zero line, labelled in the legend, so it is not read as "no change".
            Classes whose ΔIoU and ΔAcc are both NaN (absent from the ground truth the
            runs were scored on: nothing to compare) are left out of the axis, and the
            axis label names them.
        delta_acc: array-like `(K,)` ΔAcc per class.
        pixel_counts: array-like `(K,)` used for the order (training-set counts match
            the paper).
        path: str or path-like, the PNG file to write (parent folders are created).
        class_names: optional sequence of `K` names for the x axis (shown when at
            most 60 classes are drawn; class ids otherwise).
        title: optional figure title.

    Returns:
        The path written, as a str.

    Example:

    ```python
    d = keras_rr.metrics.delta_per_class(baseline, rr)
    keras_rr.metrics.plot_per_class_delta(
        d["iou"], d["acc"], train_pixel_counts, "runs/delta.png")
    ```
    """
    delta_iou, delta_acc, order, path, plt = _prepare(
        ("delta_iou", delta_iou), ("delta_acc", delta_acc), pixel_counts, class_names, path
    )
    absent = order[np.isnan(delta_iou[order]) & np.isnan(delta_acc[order])]
    order = order[~(np.isnan(delta_iou[order]) & np.isnan(delta_acc[order]))]
    k, x = order.size, np.arange(order.size)
    fig, axes = plt.subplots(2, 1, figsize=(max(6.0, min(0.12 * k + 2, 24.0)), 6), sharex=True)
    for ax, values, label in ((axes[0], delta_iou, "ΔIoU"), (axes[1], delta_acc, "ΔAcc")):
        v = 100.0 * values[order]
        missing = np.isnan(v)  # nothing to measure in a run: no bar, a grey cross
        colors = np.where(v >= 0, "tab:green", "tab:red")
        ax.bar(x[~missing], v[~missing], color=colors[~missing], width=0.8)
        if missing.any():
            ax.scatter(x[missing], np.zeros(int(missing.sum())), marker="x", color="tab:gray",
                       zorder=3, label=f"{label} NaN (class absent)")
            ax.legend(loc="best", fontsize=7)
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.set_ylabel(f"{label} (points)")
        ax.grid(axis="y", alpha=0.3)
    _label_classes(axes[1], class_names, order)
    xlabel = "classes, sorted by pixel frequency (descending)"
    if absent.size:
        xlabel += f"\nnot shown, no ground truth in either run: {_listed(class_names, absent)}"
    axes[1].set_xlabel(xlabel)
    if title:
        fig.suptitle(title)
    return _save(plt, fig, path)


def plot_frequency_histogram(
    pixel_counts, region_counts, path, class_names=None, title=None
):
    """Writes a PNG of per-class pixel vs region frequency (paper Fig. 5).

    Both curves are normalised by their largest value and drawn on a log scale, with
    classes sorted by descending pixel frequency, so the right end of each curve sits
    at 1 / imbalance factor. The legend gives PIF and RIF (max / min over classes with a
    positive count). Each class is labelled with its name (or id) while `K <= 60`; a
    class with no pixels, which a log axis cannot show, keeps its place at the right
    end, marked by a grey cross at the bottom of the axis.

    Args:
        pixel_counts: array-like `(K,)` labeled pixels per class.
        region_counts: array-like `(K,)` regions (images containing the class) per class.
        path: str or path-like, the PNG file to write (parent folders are created).
        class_names: see `plot_per_class_delta`.
        title: see `plot_per_class_delta`.

    Returns:
        The path written, as a str.

    Example:

    ```python
    keras_rr.metrics.plot_frequency_histogram(
        stats.pixel_counts, stats.region_counts, "runs/freq.png")
    ```
    """
    pixel_counts, region_counts, order, path, plt = _prepare(
        ("pixel_counts", pixel_counts), ("region_counts", region_counts), None, class_names, path
    )
    k, x = order.size, np.arange(order.size)

    def normalised(counts):
        peak = counts.max()
        v = counts[order] / peak if peak > 0 else np.zeros(k)
        # Zero counts cannot sit on a log axis; leave gaps rather than fake values.
        return np.where(v > 0, v, np.nan)

    pif = imbalance_factor(pixel_counts)
    rif = imbalance_factor(region_counts)
    fig, ax = plt.subplots(figsize=(max(6.0, min(0.08 * k + 3, 16.0)), 4))
    missing = pixel_counts[order] <= 0
    ax.bar(x[~missing], normalised(pixel_counts)[~missing], width=1.0, alpha=0.55, color="tab:blue",
           label=f"pixel frequency (PIF={pif:.0f})")
    ax.plot(x, normalised(region_counts), color="tab:orange", marker=".",
            label=f"region frequency (RIF={rif:.0f})")
    if missing.any():
        # x in data units, y in axes units: the bottom of the log axis, whatever its range.
        ax.scatter(x[missing], np.full(int(missing.sum()), 0.03), marker="x", color="tab:gray", zorder=3,
                   transform=ax.get_xaxis_transform(), clip_on=False, label="class absent (0 pixels)")
    ax.set_yscale("log")
    ax.set_ylabel("normalised frequency")
    ax.set_xlabel("classes, sorted by pixel frequency (descending)")
    _label_classes(ax, class_names, order)
    ax.legend()
    ax.grid(axis="y", alpha=0.3, which="both")
    if title:
        ax.set_title(title)
    return _save(plt, fig, path)
