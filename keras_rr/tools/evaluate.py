r"""Evaluates a saved segmenter (or Region Rebalance wrapper) on a config's validation set.

Usage:

```
python -m keras_rr.tools.evaluate --model=<segmenter.keras|model.keras> \
    --config=configs/<file>.py[:variant] [--config.section.field=value ...] \
    --mode=whole|slide|multi_scale --output_dir=DIR [--statistics=stats.json]
```

Examples:

```
python -m keras_rr.tools.evaluate --model=runs/synthetic/rr/segmenter.keras \
    --config=configs/synthetic/small_fcn_rr.py --mode=whole --output_dir=runs/synthetic/rr/eval
# ADE20K multi-scale + flip (paper's m.s. column):
python -m keras_rr.tools.evaluate --model=runs/ade20k/r50_rr/segmenter.keras \
    --config=configs/ade20k/deeplabv3plus_r50_rr.py \
    --config.data.data_dir=/data/ADEChallengeData2016 --mode=multi_scale \
    --output_dir=runs/ade20k/r50_rr/eval_ms
```

`--mode=slide` without `eval.crop_size` slides a window of the model's input size (the
size it was built for) with a stride of 2/3 of it (mmseg's 512 / 341); `--mode=multi_scale`
on such a fixed-size model slides that window over every scaled view. Set
`--config.eval.crop_size` / `--config.eval.stride` to choose others.

Writes `metrics.json` (miou, macc, aacc, per-class `iou`/`acc` lists with `null` for
NaN, class names, mode and settings, dataset, split, number of images, training pixel
and region counts when known) and `per_class.md` (per-class table sorted by training
pixel frequency). Training statistics come from `--statistics`, else
`config.data.statistics_path`, else `class_statistics.json` beside the model. All logic
is in `keras_rr.experiments.saved_model_evaluation.evaluate_saved_model`.
"""

from absl import app
from absl import flags
from absl import logging
from ml_collections import config_flags

from keras_rr.experiments.saved_model_evaluation import evaluate_saved_model
from keras_rr.tools.quiet import define_verbose_flag

define_verbose_flag()  # quiet by default; see keras_rr/tools/quiet.py
_CONFIG = config_flags.DEFINE_config_file(
    "config", None, "Config file, `path.py[:variant]`; its data and eval sections are used.", lock_config=True
)
_MODEL = flags.DEFINE_string("model", None, "A `.keras` segmenter or RegionRebalanceSegmenter.")
_MODE = flags.DEFINE_enum(
    "mode", None, ["whole", "slide", "multi_scale"], "Inference mode; defaults to config.eval.mode."
)
_OUTPUT_DIR = flags.DEFINE_string("output_dir", None, "Where metrics.json and per_class.md are written.")
_STATISTICS = flags.DEFINE_string("statistics", None, "Training ClassStatistics JSON (frequency order).")
_MAX_BATCHES = flags.DEFINE_integer("max_batches", None, "Evaluate only the first N batches.")
_PROGRESS = flags.DEFINE_bool("progress", True, "Show a progress bar.")
flags.mark_flags_as_required(["config", "model", "output_dir"])


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    logging.info("Evaluating %s", _MODEL.value)
    report = evaluate_saved_model(
        _MODEL.value,
        _CONFIG.value,
        _OUTPUT_DIR.value,
        mode=_MODE.value,
        statistics_path=_STATISTICS.value,
        max_batches=_MAX_BATCHES.value,
        progress=_PROGRESS.value,
    )

    def pct(v):
        return "nan" if v is None else f"{100 * v:.2f}"

    print(
        f"{report['dataset']} {report['split']} ({report['num_images']} images, {report['mode']}): "
        f"mIoU {pct(report['miou'])}  mAcc {pct(report['macc'])}  aAcc {pct(report['aacc'])}"
    )
    print(f"wrote {_OUTPUT_DIR.value}/metrics.json and per_class.md")
    return 0


if __name__ == "__main__":
    app.run(main)
