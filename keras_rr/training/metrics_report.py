"""The `metrics.json` of a run: a segmenter evaluated with a config's `eval` settings.

`metrics.json` holds mIoU, mAcc, aAcc (fractions), per-class IoU/Acc lists (`null`
for NaN), class names, the inference mode and settings, the dataset, split and number
of images, the evaluated ground-truth pixel counts and, when the training statistics
are known, the training pixel and region counts (`train_pixel_counts`,
`train_region_counts`) that `keras_rr.tools.compare` sorts and correlates by, with the
LTSS rare/common/frequent group tags and group mIoU by image and by pixel frequency
(`frequency_groups`, `frequency_group_miou`). `per_class.md` is the per-class table
sorted by training pixel frequency, then the group mIoU table.

The trainer writes these at the end of a run (and logs `evaluate_dataset` at every
evaluation step); `keras_rr.experiments.saved_model_evaluation` writes them for a
saved model, and `keras_rr.experiments.run_comparison` reads them.
"""

import json
import math
import os

import numpy as np

from keras_rr.inference.dataset_evaluation import evaluate_segmenter
from keras_rr.inference.predict import default_stride
from keras_rr.inference.predict import model_input_size
from keras_rr.metrics.analysis import per_class_table
from keras_rr.metrics.frequency_groups import DEFAULT_BOUNDS
from keras_rr.metrics.frequency_groups import frequency_group_miou
from keras_rr.metrics.frequency_groups import frequency_groups

METRICS_FILE = "metrics.json"
TABLE_FILE = "per_class.md"


def _json_list(values):
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(values, dtype="float64").reshape(-1)]


def _json_float(value):
    value = float(value)
    return None if not math.isfinite(value) else value


def unwrap_segmenter(model):
    """The plain segmenter of a `RegionRebalanceSegmenter` (or the model itself)."""
    return getattr(model, "segmenter", model)


class _CountingBatches:
    """Iterates a dataset's batches as NumPy and counts the images seen."""

    def __init__(self, dataset):
        self.dataset = dataset
        self.num_images = 0

    def __len__(self):
        n = int(self.dataset.cardinality()) if hasattr(self.dataset, "cardinality") else -1
        if n < 0:
            raise TypeError("unknown length")
        return n

    def __iter__(self):
        batches = self.dataset.as_numpy_iterator() if hasattr(self.dataset, "as_numpy_iterator") else self.dataset
        for batch in batches:
            images = np.asarray(batch[0])
            self.num_images += 1 if images.ndim == 3 else images.shape[0]
            yield batch


def resolve_eval_settings(segmenter, eval_config, mode=None):
    """The inference settings a segmenter is evaluated with: the `eval` section's, defaults filled in.

    `"slide"` without `eval.crop_size` uses the model's fixed input size (the size it
    was built and trained for) as the crop; a crop without `eval.stride` gets two
    thirds of it (mmseg's 512 / 341). `"multi_scale"` on a fixed-size model slides
    that window over every scaled view (`"whole"` views of other sizes cannot be fed
    to it); on a model taking any size it predicts whole views unless a crop is set.

    Args:
        segmenter: `keras.Model` (a wrapper is unwrapped).
        eval_config: the config's `eval` section.
        mode: str or None. Overrides `eval_config.mode`.

    Returns:
        dict with `mode`, `crop_size`, `stride` (None for whole-image inference),
        `scales`, `flip`.

    Raises:
        ValueError: `"slide"` on a model of any input size without `eval.crop_size`.
    """
    mode = mode or eval_config.mode
    crop = eval_config.get("crop_size")
    stride = eval_config.get("stride")
    if mode == "whole":
        crop = stride = None
    else:
        fixed = model_input_size(unwrap_segmenter(segmenter))
        if crop is None and fixed is not None:
            crop = fixed[0] if fixed[0] == fixed[1] else fixed
        if crop is None and (mode == "slide" or stride is not None):
            raise ValueError(
                f"Evaluation mode {mode!r} slides a window, but `eval.crop_size` is unset and the model "
                "takes images of any size (no fixed input size to default to). Set it, e.g. "
                "--config.eval.crop_size=512 (stride defaults to 2/3 of it), or use --config.eval.mode=whole. "
                f"Received: eval.crop_size=None, eval.stride={stride}"
            )
        if crop is not None and stride is None:
            stride = default_stride(crop)
    return {
        "mode": mode, "crop_size": crop, "stride": stride,
        "scales": tuple(float(s) for s in eval_config.scales), "flip": bool(eval_config.flip),
    }


def evaluate_dataset(
    segmenter, dataset, num_classes, eval_config, mode=None, ignore_class=255, max_batches=None, progress=True
):
    """Evaluates a segmenter with the settings of a config's `eval` section.

    Args:
        segmenter: `keras.Model` (a wrapper is unwrapped).
        dataset: batched `tf.data.Dataset` (or iterable) of `(images, labels)`.
        num_classes: int.
        eval_config: the config's `eval` section (`mode`, `crop_size`, `stride`,
            `scales`, `flip`); unset window settings default as `resolve_eval_settings` says.
        mode: str or None. Overrides `eval_config.mode`.
        ignore_class: int. Defaults to `255`.
        max_batches: int or None. Stop early (intermediate evaluations).
        progress: bool. Defaults to `True`.

    Returns:
        `(keras_rr.metrics.SegmentationMetrics, number of images)`.
    """
    model = unwrap_segmenter(segmenter)
    settings = resolve_eval_settings(model, eval_config, mode)
    batches = _CountingBatches(dataset)
    metrics = evaluate_segmenter(
        model,
        batches,
        num_classes,
        mode=settings["mode"],
        ignore_class=ignore_class,
        crop_size=settings["crop_size"],
        stride=settings["stride"],
        scales=settings["scales"],
        flip=settings["flip"],
        max_batches=max_batches,
        progress=progress,
    )
    return metrics, batches.num_images


def metrics_report(metrics, class_names, mode, dataset=None, split=None, num_images=None, statistics=None, extra=None):
    """The JSON-ready dict written as `metrics.json`.

    Args:
        metrics: `keras_rr.metrics.SegmentationMetrics`.
        class_names: sequence of `K` str.
        mode: str. Inference mode.
        dataset: str or None. Dataset name.
        split: str or None.
        num_images: int or None. Images evaluated.
        statistics: `keras_rr.data.ClassStatistics` of the training set, or None.
        extra: optional dict merged into the report (e.g. inference settings).

    Returns:
        dict.

    Example:

    >>> report = metrics_report(m, names, "whole", "synthetic", "val", 200, stats)
    """
    report = {
        "miou": _json_float(metrics.miou),
        "macc": _json_float(metrics.macc),
        "aacc": _json_float(metrics.aacc),
        "num_classes": int(metrics.num_classes),
        "class_names": [str(n) for n in class_names],
        "iou": _json_list(metrics.iou),
        "acc": _json_list(metrics.acc),
        "pixel_counts": _json_list(metrics.pixel_counts),
        "mode": mode,
        "dataset": dataset,
        "split": split,
        "num_images": None if num_images is None else int(num_images),
    }
    if statistics is not None:
        report["train_pixel_counts"] = [int(c) for c in statistics.pixel_counts]
        report["train_region_counts"] = [int(c) for c in statistics.region_counts]
        report["train_num_images"] = int(statistics.num_images)
        report.update(frequency_group_report(metrics.iou, statistics))
    report.update(extra or {})
    return report


def frequency_group_report(iou, statistics):
    """The LTSS entries of `metrics.json` from per-class IoU and training statistics.

    Returns:
        dict: `frequency_groups` (`{"image": [tag per class], "pixel": [...], "bounds":
        [low, high]}`, `keras_rr.metrics.frequency_groups`) and `frequency_group_miou`
        (`{"image": {"rare", "common", "frequent"}, "pixel": {...}}`, `null` for NaN).
    """
    groups = {by: frequency_groups(statistics, by=by) for by in ("image", "pixel")}
    return {
        "frequency_groups": {
            "image": groups["image"].tolist(), "pixel": groups["pixel"].tolist(), "bounds": list(DEFAULT_BOUNDS)
        },
        "frequency_group_miou": {
            by: {g: _json_float(v) for g, v in frequency_group_miou(iou, tags).items()} for by, tags in groups.items()
        },
    }


def _frequency_group_markdown(report):
    group_miou = report.get("frequency_group_miou")
    if not group_miou:
        return ""
    low, high = report.get("frequency_groups", {}).get("bounds", DEFAULT_BOUNDS)
    lines = [
        "",
        f"## mIoU by frequency group (LTSS; training frequency: rare < {low:.0%} <= common <= {high:.0%} < frequent)",
        "",
        "| frequency | rare | common | frequent |",
        "|---|---:|---:|---:|",
    ]
    for by in ("image", "pixel"):
        values = group_miou.get(by, {})
        cells = ["nan" if values.get(g) is None else f"{100 * values[g]:.2f}" for g in ("rare", "common", "frequent")]
        lines.append(f"| {by} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def per_class_markdown(report):
    """Per-class IoU/Acc markdown table of a report, sorted by training pixel frequency."""
    iou = np.asarray([np.nan if v is None else v for v in report["iou"]], "float64")
    acc = np.asarray([np.nan if v is None else v for v in report["acc"]], "float64")
    pixel_counts = report.get("train_pixel_counts") or report.get("pixel_counts")
    pixel_counts = np.asarray([0 if v is None else v for v in pixel_counts], "float64")
    source = "training" if report.get("train_pixel_counts") else "evaluated ground-truth"
    table = per_class_table(
        {"iou": iou, "acc": acc, "aacc": np.nan if report["aacc"] is None else report["aacc"]},
        class_names=report["class_names"],
        pixel_counts=pixel_counts,
        region_counts=report.get("train_region_counts"),
    )
    header = (
        f"# Per-class results: {report.get('dataset')} {report.get('split') or ''} "
        f"({report.get('num_images')} images, mode={report['mode']})\n\n"
        f"Rows sorted by {source} pixel frequency (most frequent first). "
        "`pixels %` is that frequency; `regions` the training images containing the class.\n\n"
    )
    return header + table + "\n" + _frequency_group_markdown(report)


def write_report(report, output_dir):
    """Writes `metrics.json` and `per_class.md` into `output_dir`.

    Returns:
        dict with the paths written (`metrics`, `table`).
    """
    os.makedirs(output_dir, exist_ok=True)
    metrics_path = os.path.join(output_dir, METRICS_FILE)
    with open(metrics_path, "w") as f:
        json.dump(report, f, indent=1)
    table_path = os.path.join(output_dir, TABLE_FILE)
    with open(table_path, "w") as f:
        f.write(per_class_markdown(report))
    return {"metrics": metrics_path, "table": table_path}


def eval_settings(eval_config, mode, segmenter=None):
    """The inference settings of a mode, as stored in `metrics.json` under `eval`.

    With `segmenter`, unset window settings are the defaults it was evaluated with
    (`resolve_eval_settings`).
    """
    if segmenter is not None:
        resolved = resolve_eval_settings(segmenter, eval_config, mode)
        crop, stride = resolved["crop_size"], resolved["stride"]
    else:
        crop, stride = eval_config.get("crop_size"), eval_config.get("stride")
    settings = {"mode": mode}
    if mode != "whole":
        settings.update({"crop_size": crop, "stride": stride})
    if mode == "multi_scale":
        settings.update({"scales": [float(s) for s in eval_config.scales], "flip": bool(eval_config.flip)})
    return settings
