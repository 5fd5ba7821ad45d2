r"""Counts per-class pixels and regions of a segmentation dataset and writes them as JSON.

The JSON file (provenance, pixel counts n_k, region counts F(k)) is what
`keras_rr.models.RegionRebalanceSegmenter(region_frequency=...)` and the loss
baselines read. Prints the pixel and region imbalance factors (PIF/RIF, paper Fig. 5).

Usage:

```
python -m keras_rr.tools.dataset_stats --dataset=ade20k \
    --data_dir=/data/ADEChallengeData2016 --split=training --output=stats/ade20k.json
python -m keras_rr.tools.dataset_stats --dataset=coco_stuff164k \
    --data_dir=/data/coco_stuff164k --split=train2017 --output=stats/coco_stuff.json
python -m keras_rr.tools.dataset_stats --dataset=directory --image_dir=imgs \
    --label_dir=labels --class_names_file=classes.txt --output=stats/mine.json
# labels only, without checking the files (see --validate)
python -m keras_rr.tools.dataset_stats --dataset=ade20k --data_dir=/data/ADEChallengeData2016 \
    --novalidate
python -m keras_rr.tools.dataset_stats --dataset=synthetic --num_images=600 \
    --output=stats/synthetic.json
```
"""

from absl import app
from absl import flags
from absl import logging

from keras_rr.data.datasets import DATASETS
from keras_rr.data.datasets import compute_dataset_statistics
from keras_rr.tools.quiet import define_verbose_flag

define_verbose_flag()  # quiet by default; see keras_rr/tools/quiet.py
_DATASET = flags.DEFINE_enum("dataset", "synthetic", sorted(DATASETS), "Dataset to count.")
_DATA_DIR = flags.DEFINE_string(
    "data_dir", None, "Dataset root (TFDS data dir for ade20k_tfds; unused for directory/synthetic)."
)
_SPLIT = flags.DEFINE_string("split", None, "Split; defaults to the dataset's training split.")
_NUM_CLASSES = flags.DEFINE_integer(
    "num_classes", None, "Number of classes; defaults to the dataset's (150 ADE20K, 171 COCO-Stuff)."
)
_IGNORE_CLASS = flags.DEFINE_integer(
    "ignore_class", None, "Label value that is not a class; defaults to the dataset's (65535 ade20k_full, else 255)."
)
_OUTPUT = flags.DEFINE_string("output", None, "Where to write the JSON file (optional).")
_MAX_IMAGES = flags.DEFINE_integer("max_images", None, "Count only the first N images.")
_PROGRESS = flags.DEFINE_bool("progress", True, "Show a progress bar.")
_VALIDATE = flags.DEFINE_bool(
    "validate", None,
    "Decode every image and label once and list every bad file (undecodable, image/label sizes "
    "differ, coloured or 16-bit label, values outside the classes) in one error. Default: on for "
    "file datasets (ade20k, coco_stuff164k, directory); --novalidate counts labels only.",
)
_TOP = flags.DEFINE_integer("top", 20, "Class rows to print (most frequent first); -1 for all.")
# directory
_IMAGE_DIR = flags.DEFINE_string("image_dir", None, "directory: folder of images.")
_LABEL_DIR = flags.DEFINE_string("label_dir", None, "directory: folder of label PNGs.")
_CLASS_NAMES_FILE = flags.DEFINE_string(
    "class_names_file", None, "directory: text file with one class name per line."
)
# coco_stuff164k / ade20k_tfds
_RAW_IDS = flags.DEFINE_bool("raw_ids", False, "coco_stuff164k: labels hold raw COCO-Stuff ids.")
_DOWNLOAD = flags.DEFINE_bool("download", False, "ade20k_tfds: let TFDS download (needs network).")
# synthetic
_NUM_IMAGES = flags.DEFINE_integer("num_images", 600, "synthetic: number of images.")
_IMAGE_SIZE = flags.DEFINE_integer("image_size", 64, "synthetic: image height and width.")
_IMBALANCE = flags.DEFINE_float("imbalance", 30.0, "synthetic: max/min class image frequency.")
_SEED = flags.DEFINE_integer("seed", 0, "synthetic: seed of the images.")


def _loader_kwargs():
    name = _DATASET.value
    if name == "directory":
        if not _IMAGE_DIR.value or not _LABEL_DIR.value:
            raise app.UsageError("--dataset=directory needs --image_dir and --label_dir.")
        return {
            "image_dir": _IMAGE_DIR.value,
            "label_dir": _LABEL_DIR.value,
            "class_names_file": _CLASS_NAMES_FILE.value,
        }
    if name == "coco_stuff164k":
        return {"raw_ids": _RAW_IDS.value}
    if name == "ade20k_tfds":
        return {"download": _DOWNLOAD.value}
    if name == "synthetic":
        return {
            "num_images": _NUM_IMAGES.value,
            "image_size": _IMAGE_SIZE.value,
            "imbalance": _IMBALANCE.value,
            "seed": _SEED.value,
        }
    return {}


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    logging.info("Counting classes of dataset=%s split=%s", _DATASET.value, _SPLIT.value)
    stats = compute_dataset_statistics(
        _DATASET.value, data_dir=_DATA_DIR.value, split=_SPLIT.value, num_classes=_NUM_CLASSES.value,
        ignore_class=_IGNORE_CLASS.value, max_images=_MAX_IMAGES.value, progress=_PROGRESS.value,
        validate=_VALIDATE.value,
        **_loader_kwargs(),
    )
    top = None if _TOP.value < 0 else _TOP.value
    print(stats.summary(max_rows=top))
    if _OUTPUT.value:
        path = stats.save(_OUTPUT.value)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    app.run(main)
