"""The long-tail toolkit compared: RR, repeat-factor sampling, copy-paste, BLV and combinations.

`run_long_tail_comparison` trains the same small CNN on a synthetic long-tailed set with
eight recipes over paired seeds (`keras_rr.experiments.run_paired_experiment`: same
initial weights and data order per seed): baseline, RR, RFS, copy-paste (rare), BLV,
RR + RFS, RR + copy-paste, RR + BLV. For each it reports mIoU, head / tail mIoU (thirds
of the classes by training pixel frequency) and the LTSS frequency groups (rare /
common / frequent by image and by pixel frequency, `keras_rr.metrics.frequency_groups`),
each as the seed mean and the paired difference to the baseline with a 95% t-interval.
It runs on one or more synthetic settings (`SETTINGS`: the demo's default and a steeper
tail).

The command line is `python -m keras_rr.tools.long_tail_comparison`.
"""

import dataclasses
import json
import os
import time

import numpy as np

from keras_rr.data.compute_class_statistics import compute_class_statistics
from keras_rr.data.copy_paste import rare_classes
from keras_rr.data.repeat_factors import repeat_factors
from keras_rr.data.synthetic import synthetic_long_tailed
from keras_rr.experiments.paired_experiment import run_paired_experiment
from keras_rr.experiments.paired_report import paired_difference
from keras_rr.metrics.analysis import head_body_tail_summary
from keras_rr.metrics.frequency_groups import GROUPS
from keras_rr.metrics.frequency_groups import frequency_group_miou
from keras_rr.metrics.frequency_groups import frequency_groups
from keras_rr.networks.segmenters.small_fcn import small_fcn
from keras_rr.training.variant import Variant

# Synthetic settings: `synthetic_long_tailed` arguments. "default" is the demo's set
# (imbalance 30); "steep" makes the rarest class 10x rarer still.
SETTINGS = {
    "default": {"imbalance": 30.0},
    "steep": {"imbalance": 300.0},
}


def long_tail_variants(repeat_factor_threshold=0.3, loss_weight=0.3, rare_bound=0.05):
    """The eight recipes of the comparison, baseline first.

    Args:
        repeat_factor_threshold: float. RFS threshold t (f(c) is an image frequency;
            with 12 synthetic classes the LTSS values 0.0003-0.0012 repeat nothing).
            Defaults to `0.3`.
        loss_weight: float. λ of Region Rebalance. Defaults to `0.3`.
        rare_bound: float. Copy-paste `rare` pastes the classes in fewer than this share
            of the training images (the synthetic default has no class under the 1% of
            the frequency groups). Defaults to `0.05`.

    Returns:
        list of `keras_rr.training.Variant`.
    """
    rr = {"region_rebalance": True, "loss_weight": loss_weight}
    rfs = {"repeat_factor_threshold": repeat_factor_threshold}
    paste = {"copy_paste": "rare", "copy_paste_rare_bound": rare_bound}
    return [
        Variant("baseline"),
        Variant("RR", **rr),
        Variant("RFS", **rfs),
        Variant("copy-paste (rare)", **paste),
        Variant("BLV", pixel_loss="blv"),
        Variant("RR + RFS", **rr, **rfs),
        Variant("RR + copy-paste", **rr, **paste),
        Variant("RR + BLV", **rr, pixel_loss="blv"),
    ]


def _metric_columns(runs, statistics):
    """Per-seed values of every reported metric, in points: dict column -> array (seeds,)."""
    groups = {by: frequency_groups(statistics, by=by) for by in ("image", "pixel")}
    columns = {"mIoU": [], "head": [], "tail": []}
    for by in ("image", "pixel"):
        for group in GROUPS:
            columns[f"{group} ({by})"] = []
    for metrics in runs:
        columns["mIoU"].append(metrics.miou)
        split = head_body_tail_summary(metrics.iou, statistics.pixel_counts)
        columns["head"].append(split["head"])
        columns["tail"].append(split["tail"])
        for by, tags in groups.items():
            for group, value in frequency_group_miou(metrics.iou, tags).items():
                columns[f"{group} ({by})"].append(value)
    return {name: 100 * np.asarray(values, "float64") for name, values in columns.items()}


def comparison_rows(results, statistics, baseline="baseline"):
    """One dict per variant: column -> `(mean, delta, half_width)` in points.

    `delta` and `half_width` are the paired difference to `baseline` and its 95%
    t-interval half width (None for the baseline itself; NaN where a group has no
    class).

    Args:
        results: dict variant -> list of `SegmentationMetrics` (paired by seed).
        statistics: `ClassStatistics` of the training set.
        baseline: str. Defaults to `"baseline"`.

    Returns:
        list of `(variant, {column: (mean, delta, half)})`.
    """
    reference = _metric_columns(results[baseline], statistics)
    rows = []
    for name, runs in results.items():
        columns = _metric_columns(runs, statistics)
        row = {}
        for column, values in columns.items():
            if name == baseline:
                row[column] = (float(np.mean(values)), None, None)
            elif np.all(np.isfinite(values)) and np.all(np.isfinite(reference[column])):
                delta, half = paired_difference(values, reference[column])
                row[column] = (float(np.mean(values)), delta, half)
            else:
                row[column] = (float(np.nanmean(values)) if np.isfinite(values).any() else float("nan"),
                               float("nan"), float("nan"))
        rows.append((name, row))
    return rows


def comparison_table(rows):
    """Markdown table: the baseline's values, then each variant's mean and Δ ± 95% half width."""
    columns = list(rows[0][1])
    lines = ["| variant | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for name, row in rows:
        cells = []
        for column in columns:
            mean, delta, half = row[column]
            if delta is None:
                cells.append(f"{mean:.1f}" if np.isfinite(mean) else "—")
            elif not np.isfinite(delta):
                cells.append("—")
            else:
                cells.append(f"{mean:.1f} ({delta:+.1f} ± {half:.1f})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_long_tail_comparison(output_dir, settings=("default", "steep"), seeds=3, epochs=8, train_images=300,
                             val_images=150, image_size=32, num_classes=12, batch_size=16, learning_rate=0.02,
                             repeat_factor_threshold=0.3, loss_weight=0.3, rare_bound=0.05, progress=True):
    """Trains the eight recipes on each synthetic setting over paired seeds; writes the report.

    Args:
        output_dir: str. Folder for `report.md` and `results.json`.
        settings: sequence of `SETTINGS` names. Defaults to `("default", "steep")`.
        seeds: int. Paired seeds 0 .. seeds-1. Defaults to `3`.
        epochs: int. Epochs per run (RFS epochs are longer: sum of the factors).
            Defaults to `8`.
        train_images: int. Defaults to `300`.
        val_images: int. Defaults to `150`.
        image_size: int. Defaults to `32`.
        num_classes: int. Defaults to `12`.
        batch_size: int. Defaults to `16`.
        learning_rate: float. Initial SGD learning rate (poly decay). Defaults to `0.02`.
        repeat_factor_threshold: float. RFS threshold. Defaults to `0.3`.
        loss_weight: float. λ of RR. Defaults to `0.3`.
        rare_bound: float. Image-frequency bound of copy-paste's rare classes.
            Defaults to `0.05`.
        progress: bool. Defaults to `True`.

    Returns:
        dict with `report` (markdown str), `results` (setting -> rows) and `paths`.

    Example:

    >>> run_long_tail_comparison("outputs/long_tail", seeds=2, epochs=2, train_images=48)
    """
    start = time.time()
    os.makedirs(output_dir, exist_ok=True)
    variants = long_tail_variants(repeat_factor_threshold, loss_weight, rare_bound)
    sections, summaries = [], {}
    for setting in settings:
        if setting not in SETTINGS:
            raise ValueError(f"Unknown setting. Expected names from {sorted(SETTINGS)}. Received: {setting!r}")
        data_kwargs = dict(image_size=image_size, num_classes=num_classes, class_seed=0, **SETTINGS[setting])
        train = synthetic_long_tailed(num_images=train_images, seed=0, **data_kwargs)
        val = synthetic_long_tailed(num_images=val_images, seed=10_000, **data_kwargs)
        stats = compute_class_statistics(train[1], num_classes, progress=False)
        setting_start = time.time()
        results = run_paired_experiment(
            variants, list(range(seeds)), train, val, stats, num_classes,
            model_fn=lambda k: small_fcn(k, image_size=image_size), epochs=epochs, batch_size=batch_size,
            learning_rate=learning_rate, progress=progress,
        )
        rows = comparison_rows(results, stats)
        groups = {by: frequency_groups(stats, by=by) for by in ("image", "pixel")}
        pasted = rare_classes(stats, rare_bound).tolist()
        counts = ", ".join(
            f"{by}: " + " / ".join(f"{int(np.sum(tags == g))} {g}" for g in GROUPS) for by, tags in groups.items()
        )
        sections.append(
            f"## Setting `{setting}` ({', '.join(f'{k}={v}' for k, v in SETTINGS[setting].items())})\n\n"
            f"{train_images} train / {val_images} val images, {image_size} px, {num_classes} classes, "
            f"PIF {stats.pixel_imbalance_factor:.0f}, RIF {stats.region_imbalance_factor:.0f}; classes per "
            f"group ({counts}); copy-paste pastes classes {pasted}; RFS epochs hold on average "
            f"{repeat_factors(stats, repeat_factor_threshold).mean():.2f} copies per image; "
            f"{(time.time() - setting_start) / 60:.1f} min.\n\n{comparison_table(rows)}"
        )
        summaries[setting] = [
            {"variant": name, **{c: list(v) for c, v in row.items()},
             # Per seed, so any two recipes can be compared paired afterwards.
             "seed_miou": [float(m.miou) for m in results[name]]}
            for name, row in rows
        ]
    header = (
        "# The long-tail toolkit on synthetic data\n\n"
        f"Small FCN, SGD lr {learning_rate} poly, {epochs} epochs, batch {batch_size}, {seeds} paired seeds; "
        f"RR λ = {loss_weight}; RFS t = {repeat_factor_threshold} (image frequency, max; every run trains the same number of "
        f"steps); copy-paste `rare` (classes in < {100 * rare_bound:g}% of the training images); BLV σ = 4. Values in %: the seed mean, then in brackets "
        f"the paired difference to the baseline ± its 95% t half width. Total {(time.time() - start) / 60:.1f} min."
    )
    text = "\n\n".join([header, *sections])
    paths = {"report": os.path.join(output_dir, "report.md"), "results": os.path.join(output_dir, "results.json")}
    with open(paths["report"], "w") as f:
        f.write(text + "\n")
    with open(paths["results"], "w") as f:
        json.dump({"seeds": seeds, "epochs": epochs, "variants": [dataclasses.asdict(v) for v in variants],
                   "results": summaries}, f, indent=1, default=str)
    return {"report": text, "results": summaries, "paths": paths}
