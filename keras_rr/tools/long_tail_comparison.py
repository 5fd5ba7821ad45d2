r"""The long-tail toolkit compared on synthetic data: RR, RFS, copy-paste, BLV and combinations.

Trains the same small CNN with eight recipes (baseline, RR, RFS, copy-paste (rare), BLV,
RR + RFS, RR + copy-paste, RR + BLV) over paired seeds on the synthetic default and on a
steeper tail, and writes a report: mIoU, head / tail and the LTSS frequency groups, each
with the paired difference to the baseline and its 95% interval.

Usage:
  python -m keras_rr.tools.long_tail_comparison --output_dir=outputs/long_tail
  python -m keras_rr.tools.long_tail_comparison --quick      # a reduced run (tests)

All logic is in `keras_rr.experiments.long_tail_comparison.run_long_tail_comparison`.
"""

from absl import app
from absl import flags

from keras_rr.experiments.long_tail_comparison import run_long_tail_comparison
from keras_rr.tools.quiet import define_verbose_flag

define_verbose_flag()  # quiet by default; see keras_rr/tools/quiet.py
_OUTPUT_DIR = flags.DEFINE_string("output_dir", "outputs/long_tail", "Where the report goes.")
_SETTINGS = flags.DEFINE_list("settings", ["default", "steep"], "Synthetic settings (SETTINGS names).")
flags.DEFINE_integer("seeds", 3, "Number of paired seeds.")
flags.DEFINE_integer("epochs", 8, "Training epochs per run.")
flags.DEFINE_integer("train_images", 300, "Synthetic training images.")
flags.DEFINE_integer("val_images", 150, "Synthetic validation images.")
flags.DEFINE_integer("image_size", 32, "Image size.")
flags.DEFINE_integer("num_classes", 12, "Number of classes.")
flags.DEFINE_integer("batch_size", 16, "Batch size.")
flags.DEFINE_float("learning_rate", 0.02, "Initial SGD learning rate (poly decay).")
flags.DEFINE_float("repeat_factor_threshold", 0.3, "RFS threshold t (image frequency).")
flags.DEFINE_float("loss_weight", 0.3, "λ, the region loss weight.")
flags.DEFINE_float("rare_bound", 0.05, "Copy-paste pastes the classes in fewer than this share of images.")
_QUICK = flags.DEFINE_bool("quick", False, "Tiny sizes for a smoke run (seconds).")
_RUN_ARGS = ("seeds", "epochs", "train_images", "val_images", "image_size", "num_classes", "batch_size",
             "learning_rate", "repeat_factor_threshold", "loss_weight", "rare_bound")


def main(argv):
    del argv
    kwargs = {name: flags.FLAGS[name].value for name in _RUN_ARGS}
    if _QUICK.value:
        kwargs.update(seeds=2, epochs=1, train_images=32, val_images=16, image_size=32, num_classes=6)
    output = run_long_tail_comparison(_OUTPUT_DIR.value, settings=tuple(_SETTINGS.value), **kwargs)
    print(output["report"])
    print("\nwritten:", ", ".join(output["paths"].values()))


if __name__ == "__main__":
    app.run(main)
