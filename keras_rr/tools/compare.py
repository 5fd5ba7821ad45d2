r"""Compares two evaluation reports: per-class ΔIoU/ΔAcc plot, head/body/tail, Pearson ρ.

Usage:

```
python -m keras_rr.tools.compare --baseline=<metrics.json> --candidate=<metrics.json> \
    --output_dir=DIR [--statistics=train_stats.json] \
    [--baseline_name=baseline --candidate_name=rr]
```

Example:

```
python -m keras_rr.tools.compare --baseline=runs/synthetic/baseline/metrics.json \
    --candidate=runs/synthetic/rr/metrics.json \
    --statistics=runs/synthetic/baseline/class_statistics.json \
    --output_dir=runs/synthetic/compare --candidate_name=region_rebalance
```

Writes `delta_per_class.png` (ΔIoU and ΔAcc per class, sorted by training pixel
frequency: paper Fig. 3/6), `compare.md` (mIoU/mAcc/aAcc, head/body/tail means,
Pearson ρ of class accuracy with pixel vs region frequency, raw and log: paper Table 2,
per-class deltas) and `compare.json`, and prints the markdown. Frequencies come from
`--statistics`, else the training counts stored in the reports. All logic is in
`keras_rr.experiments.run_comparison`.
"""

from absl import app
from absl import flags

from keras_rr.data.class_statistics import ClassStatistics
from keras_rr.experiments import run_comparison
from keras_rr.tools.quiet import define_verbose_flag

define_verbose_flag()  # quiet by default; see keras_rr/tools/quiet.py
_BASELINE = flags.DEFINE_string("baseline", None, "metrics.json of the reference run.")
_CANDIDATE = flags.DEFINE_string("candidate", None, "metrics.json of the compared run.")
_OUTPUT_DIR = flags.DEFINE_string("output_dir", None, "Where the PNG, markdown and JSON are written.")
_STATISTICS = flags.DEFINE_string("statistics", None, "Training ClassStatistics JSON (frequencies).")
_BASELINE_NAME = flags.DEFINE_string("baseline_name", "baseline", "Label of the baseline run.")
_CANDIDATE_NAME = flags.DEFINE_string("candidate_name", "candidate", "Label of the compared run.")
flags.mark_flags_as_required(["baseline", "candidate", "output_dir"])


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    baseline = run_comparison.load_report(_BASELINE.value)
    candidate = run_comparison.load_report(_CANDIDATE.value)
    pixel_counts = region_counts = class_names = num_images = None
    if _STATISTICS.value:
        stats = ClassStatistics.load(_STATISTICS.value, num_classes=len(baseline["iou"]))
        pixel_counts, region_counts, class_names = stats.pixel_counts, stats.region_counts, stats.class_names
        num_images = stats.num_images
    result = run_comparison.compare_reports(
        baseline, candidate, pixel_counts=pixel_counts, region_counts=region_counts, class_names=class_names,
        baseline_name=_BASELINE_NAME.value, candidate_name=_CANDIDATE_NAME.value, num_images=num_images,
    )
    paths = run_comparison.write_comparison(result, _OUTPUT_DIR.value)
    print(run_comparison.comparison_markdown(result))
    for name, path in sorted(paths.items()):
        print(f"wrote {name}: {path}")
    return 0


if __name__ == "__main__":
    app.run(main)
