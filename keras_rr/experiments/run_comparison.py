"""Compares two evaluation reports (`metrics.json`): per-class deltas, groups, correlations.

The paper's analyses of a baseline and a candidate (e.g. Region Rebalance):
- per-class ΔIoU and ΔAcc over classes sorted by training pixel frequency (Fig. 3/6),
- their means over head / body / tail thirds of the classes,
- Pearson ρ between class accuracy and pixel vs region frequency (Table 2), raw as in
  the paper and against log frequency (frequencies span orders of magnitude),
- the LTSS mIoU over rare / common / frequent classes by image and by pixel frequency
  (`keras_rr.metrics.frequency_groups`; by image only when the number of training
  images is known).

Frequencies come from a training `ClassStatistics` JSON when given, else from the
`train_pixel_counts` / `train_region_counts` a trainer-written report carries, else
from the evaluated ground-truth pixel counts (no region frequency then).
"""

import json
import os

import numpy as np

from keras_rr.metrics.analysis import delta_per_class
from keras_rr.metrics.analysis import head_body_tail_summary
from keras_rr.metrics.analysis import pearson_r
from keras_rr.metrics.analysis import per_class_table
from keras_rr.metrics.frequency_groups import DEFAULT_BOUNDS
from keras_rr.metrics.frequency_groups import GROUPS
from keras_rr.metrics.frequency_groups import frequency_group_miou
from keras_rr.metrics.frequency_groups import frequency_groups
from keras_rr.metrics.plotting import plot_per_class_delta

COMPARISON_JSON = "compare.json"
COMPARISON_MARKDOWN = "compare.md"
DELTA_PLOT = "delta_per_class.png"


def _array(values):
    return np.asarray([np.nan if v is None else v for v in values], dtype="float64")


def load_report(path):
    """Reads a `metrics.json`; per-class lists become float arrays (`null` -> NaN).

    Example:

    >>> report = load_report("runs/synthetic/rr/metrics.json")
    >>> report["iou"].shape
    (12,)
    """
    with open(path) as f:
        report = json.load(f)
    for key in ("iou", "acc", "pixel_counts", "train_pixel_counts", "train_region_counts"):
        if report.get(key) is not None:
            report[key] = _array(report[key])
    for key in ("miou", "macc", "aacc"):
        report[key] = np.nan if report.get(key) is None else float(report[key])
    if "iou" not in report or "acc" not in report:
        raise ValueError(f"{path} is not a metrics.json: it lacks `iou`/`acc`. Received keys: {sorted(report)}")
    return report


def _first(*candidates):
    for c in candidates:
        if c is not None:
            return np.asarray(c, dtype="float64")
    return None


def _float(value):
    value = float(value)
    return None if not np.isfinite(value) else value


def compare_reports(
    baseline,
    candidate,
    pixel_counts=None,
    region_counts=None,
    class_names=None,
    baseline_name="baseline",
    candidate_name="candidate",
    num_images=None,
):
    """Per-class deltas, head/body/tail summaries and accuracy-frequency correlations.

    Args:
        baseline: report dict (`load_report`) of the reference run.
        candidate: report dict of the compared run.
        pixel_counts: array `(K,)` of training pixel counts, or None (from the reports).
        region_counts: array `(K,)` of training region counts F(k), or None.
        class_names: sequence of `K` str, or None (from the reports).
        baseline_name: str. Label of the baseline. Defaults to `"baseline"`.
        candidate_name: str. Label of the candidate. Defaults to `"candidate"`.
        num_images: int or None. Training images, for the image-frequency groups;
            None: `train_num_images` of the reports, else no image groups.

    Returns:
        JSON-ready dict with `names`, `frequency_source`, `summary` (mIoU/mAcc/aAcc
        of both runs and Δ), `delta` (per-class `iou`/`acc` lists, in class order),
        `groups` (head/body/tail/all means of `delta_iou`, `delta_acc`,
        `baseline_iou`, `candidate_iou`) and `pearson` (for `baseline` and
        `candidate`: ρ of class Acc with pixel and region frequency, raw and log),
        `frequency_groups` (`bounds` and, `by` `"image"` / `"pixel"`, the class tags
        and the rare/common/frequent mIoU of both runs and Δ; `"image"` is None
        without region counts and an image count).
        Runs are keyed `baseline`/`candidate`; `names` holds their labels.

    Example:

    ```python
    result = compare_reports(load_report("base/metrics.json"), load_report("rr/metrics.json"))
    print(result["groups"]["delta_iou"]["tail"])
    ```
    """
    k = baseline["iou"].shape[0]
    if candidate["iou"].shape[0] != k:
        raise ValueError(
            "Both reports need the same number of classes. Received: "
            f"{k} and {candidate['iou'].shape[0]}"
        )
    source = "statistics"
    if pixel_counts is None:
        pixel_counts = _first(baseline.get("train_pixel_counts"), candidate.get("train_pixel_counts"))
        source = "training counts in metrics.json"
        if pixel_counts is None:
            pixel_counts = _first(baseline.get("pixel_counts"), candidate.get("pixel_counts"))
            source = "evaluated ground-truth pixels"
    if region_counts is None:
        region_counts = _first(baseline.get("train_region_counts"), candidate.get("train_region_counts"))
    pixel_counts = None if pixel_counts is None else np.asarray(pixel_counts, "float64").reshape(-1)
    region_counts = None if region_counts is None else np.asarray(region_counts, "float64").reshape(-1)
    for name, counts in (("pixel_counts", pixel_counts), ("region_counts", region_counts)):
        if counts is not None and counts.shape != (k,):
            raise ValueError(f"`{name}` must have shape ({k},). Received: {name}.shape={counts.shape}")
    if pixel_counts is None:
        raise ValueError("No class frequencies: pass a statistics JSON or reports with pixel counts.")
    names = list(class_names or baseline.get("class_names") or candidate.get("class_names") or range(k))
    names = [str(n) for n in names]

    delta = delta_per_class(baseline, candidate)
    groups = {
        "delta_iou": head_body_tail_summary(delta["iou"], pixel_counts),
        "delta_acc": head_body_tail_summary(delta["acc"], pixel_counts),
        "baseline_iou": head_body_tail_summary(baseline["iou"], pixel_counts),
        "candidate_iou": head_body_tail_summary(candidate["iou"], pixel_counts),
    }
    pearson = {}
    for run_name, report in (("baseline", baseline), ("candidate", candidate)):
        entry = {
            "acc_vs_pixel": pearson_r(report["acc"], pixel_counts),
            "acc_vs_log_pixel": pearson_r(report["acc"], pixel_counts, log=True),
        }
        if region_counts is not None:
            entry["acc_vs_region"] = pearson_r(report["acc"], region_counts)
            entry["acc_vs_log_region"] = pearson_r(report["acc"], region_counts, log=True)
        pearson[run_name] = {key: _float(v) for key, v in entry.items()}
    if num_images is None:
        num_images = baseline.get("train_num_images") or candidate.get("train_num_images")
    ltss = {"bounds": list(DEFAULT_BOUNDS), "image": None, "pixel": None}
    by_counts = {"pixel": pixel_counts}
    if region_counts is not None and num_images:
        by_counts["image"] = region_counts
    for by, counts in by_counts.items():
        tags = frequency_groups(counts=counts, by=by, num_images=num_images)
        base_g, cand_g = frequency_group_miou(baseline["iou"], tags), frequency_group_miou(candidate["iou"], tags)
        ltss[by] = {
            "groups": tags.tolist(),
            **{
                g: {"baseline": _float(base_g[g]), "candidate": _float(cand_g[g]), "delta": _float(cand_g[g] - base_g[g])}
                for g in GROUPS
            },
        }
    summary = {}
    for key in ("miou", "macc", "aacc"):
        summary[key] = {
            "baseline": _float(baseline[key]),
            "candidate": _float(candidate[key]),
            "delta": _float(candidate[key] - baseline[key]),
        }
    return {
        "names": {"baseline": baseline_name, "candidate": candidate_name},
        "class_names": names,
        "frequency_source": source,
        "pixel_counts": pixel_counts.tolist(),
        "region_counts": None if region_counts is None else region_counts.tolist(),
        "summary": summary,
        "delta": {key: [_float(v) for v in delta[key]] for key in ("iou", "acc")},
        "groups": {g: {k2: _float(v) for k2, v in d.items()} for g, d in groups.items()},
        "pearson": pearson,
        "frequency_groups": ltss,
    }


def _pct(value, signed=False):
    if value is None:
        return "nan"
    return f"{100 * value:+.2f}" if signed else f"{100 * value:.2f}"


def comparison_markdown(result):
    """Markdown report of `compare_reports` output (summary, groups, Pearson, per class)."""
    base, cand = result["names"]["baseline"], result["names"]["candidate"]
    lines = [f"# {cand} vs {base}", "", "| metric | " + base + " | " + cand + " | Δ |", "|:---|---:|---:|---:|"]
    for key, label in (("miou", "mIoU"), ("macc", "mAcc"), ("aacc", "aAcc")):
        row = result["summary"][key]
        lines.append(
            f"| {label} | {_pct(row['baseline'])} | {_pct(row['candidate'])} | {_pct(row['delta'], True)} |"
        )
    lines += ["", f"## Head / body / tail (classes split in thirds by {result['frequency_source']})", ""]
    groups = result["groups"]
    lines += ["| group | " + base + " IoU | " + cand + " IoU | ΔIoU | ΔAcc |", "|:---|---:|---:|---:|---:|"]
    for group in ("head", "body", "tail", "all"):
        lines.append(
            f"| {group} | {_pct(groups['baseline_iou'][group])} | {_pct(groups['candidate_iou'][group])} | "
            f"{_pct(groups['delta_iou'][group], True)} | {_pct(groups['delta_acc'][group], True)} |"
        )
    ltss = result.get("frequency_groups")
    if ltss:
        low, high = ltss["bounds"]
        lines += [
            "",
            f"## LTSS mIoU by frequency group (rare < {low:.0%} <= common <= {high:.0%} < frequent)",
            "",
            "| frequency | group | classes | " + base + " | " + cand + " | Δ |",
            "|:---|:---|---:|---:|---:|---:|",
        ]
        for by in ("image", "pixel"):
            entry = ltss.get(by)
            if entry is None:
                lines.append(f"| {by} | (needs region counts and the number of training images) | | | | |")
                continue
            for group in GROUPS:
                row = entry[group]
                lines.append(
                    f"| {by} | {group} | {entry['groups'].count(group)} | {_pct(row['baseline'])} | "
                    f"{_pct(row['candidate'])} | {_pct(row['delta'], True)} |"
                )
    lines += ["", "## Pearson ρ between class accuracy and class frequency (paper Table 2)", ""]
    lines += ["| run | pixel | region | log pixel | log region |", "|:---|---:|---:|---:|---:|"]
    for key, run_name in (("baseline", base), ("candidate", cand)):
        p = result["pearson"][key]
        lines.append(
            f"| {run_name} | {_pct(p['acc_vs_pixel'])} | {_pct(p.get('acc_vs_region'))} | "
            f"{_pct(p['acc_vs_log_pixel'])} | {_pct(p.get('acc_vs_log_region'))} |"
        )
    lines += ["", "ρ in %. The paper reports 35.0 (pixel) vs 41.3 (region) on ADE20K.", "",
              "## Per class (sorted by pixel frequency)", ""]
    delta_iou, delta_acc = _array(result["delta"]["iou"]), _array(result["delta"]["acc"])
    lines.append(
        per_class_table(
            {"iou": delta_iou, "acc": delta_acc},
            class_names=result["class_names"],
            pixel_counts=np.asarray(result["pixel_counts"]),
            region_counts=result["region_counts"],
        ).replace("| IoU | Acc |", "| ΔIoU | ΔAcc |", 1)
    )
    return "\n".join(lines) + "\n"


def write_comparison(result, output_dir, plot=True):
    """Writes `compare.json`, `compare.md` and (with `plot`) `delta_per_class.png`.

    Returns:
        dict of the paths written (`json`, `markdown`, `plot`).

    Example:

    >>> write_comparison(compare_reports(base, rr), "runs/compare")
    """
    os.makedirs(output_dir, exist_ok=True)
    paths = {
        "json": os.path.join(output_dir, COMPARISON_JSON),
        "markdown": os.path.join(output_dir, COMPARISON_MARKDOWN),
    }
    with open(paths["json"], "w") as f:
        json.dump(result, f, indent=1)
    with open(paths["markdown"], "w") as f:
        f.write(comparison_markdown(result))
    if plot:
        names = result["names"]
        paths["plot"] = plot_per_class_delta(
            _array(result["delta"]["iou"]),
            _array(result["delta"]["acc"]),
            np.asarray(result["pixel_counts"]),
            os.path.join(output_dir, DELTA_PLOT),
            class_names=result["class_names"],
            title=f"{names['candidate']} − {names['baseline']}: per-class ΔIoU / ΔAcc",
        )
    return paths
