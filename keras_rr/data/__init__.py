"""keras_rr.data: class statistics, dataset loaders, augmentation, synthetic data.

- `compute_class_statistics` (module `compute_class_statistics`, the streaming counter)
  / `ClassStatistics` (module `class_statistics`, the container and its JSON file):
  per-class pixel counts and region frequencies F(k) (images containing class k), the
  prior of Region Rebalance, saved as JSON with provenance
  (`python -m keras_rr.tools.dataset_stats`).
- Loaders returning `tf.data.Dataset` of `(image float32 (H, W, 3), label int32
  (H, W))` with 255 ignored: `load_ade20k`, `load_ade20k_tfds`, `load_coco_stuff164k`,
  `load_segmentation_directory`, the LTSS benchmark's `load_ade20k_full` (847 classes,
  16-bit TIFF labels, 65535 ignored) and `load_coco_stuff_lt` (module `ltss_datasets`,
  with `ltss_frequency_groups`, LTSS's rare / common / frequent tags), `load_dataset` (by name). They share one pipeline
  (module `file_datasets`) and one options object, `LoaderOptions` (shuffle, seed,
  augment, batch_size, labels_only, validate_labels, image_size, color_map,
  repeat_factors), also
  accepted as keywords. Label PNGs: grayscale, equal-channel RGB, palette indices or
  colours through `color_map` (module `label_png`); every file checked in one pass by
  `compute_class_statistics(validate=...)` (module `file_checks`).
- `elements`: what a dataset element looks like (`IMAGE_KEYS`, `LABEL_KEYS`,
  `split_element`, `extract_label`).
- Augmentation after the paper's mmsegmentation recipe: `random_resize`,
  `random_crop`, `random_flip`, `photometric_distortion`, `pad_to_size`,
  `TrainAugmentation`, `augmentation_from_config`; their building blocks
  `resize_nearest`, `adjust_hsv`.
- `repeat_factors` / `repeat_factor_epoch` (module `repeat_factors`): LTSS repeat-factor
  sampling, per-image factors from `ClassStatistics` and one sampled epoch's indices; the
  trainer samples with them (`data.repeat_factor_threshold`), the tf.data loaders with
  `LoaderOptions(repeat_factors=...)`.
- `CopyPaste` / `rare_classes` (module `copy_paste`): LTSS class copy-paste (`random`
  and `rare` modes), a `TrainAugmentation(copy_paste=...)` option and the trainer's
  `data.copy_paste` section.
- `synthetic_long_tailed`: an offline long-tailed dataset for demos and tests.

TensorFlow is imported only by the functions that build tf.data pipelines or augment;
TensorFlow Datasets only by `load_ade20k_tfds`.
"""

from keras_rr.data.ade20k import ade20k_raw_to_contiguous_lut
from keras_rr.data.ade20k import load_ade20k
from keras_rr.data.ade20k import load_ade20k_tfds
from keras_rr.data.augmentation import TrainAugmentation
from keras_rr.data.augmentation import adjust_hsv
from keras_rr.data.augmentation import augmentation_from_config
from keras_rr.data.augmentation import pad_to_size
from keras_rr.data.augmentation import photometric_distortion
from keras_rr.data.augmentation import random_crop
from keras_rr.data.augmentation import random_flip
from keras_rr.data.augmentation import random_resize
from keras_rr.data.augmentation import resize_nearest
from keras_rr.data.class_names import ADE20K_CLASS_NAMES
from keras_rr.data.class_names import ADE20K_FULL_CLASS_NAMES
from keras_rr.data.class_names import COCO_STUFF_CLASS_NAMES
from keras_rr.data.class_names import read_class_names
from keras_rr.data.class_statistics import ClassStatistics
from keras_rr.data.coco_stuff import coco_stuff_raw_to_contiguous_lut
from keras_rr.data.coco_stuff import load_coco_stuff164k
from keras_rr.data.compute_class_statistics import compute_class_statistics
from keras_rr.data.copy_paste import CopyPaste
from keras_rr.data.copy_paste import rare_classes
from keras_rr.data.datasets import compute_dataset_statistics
from keras_rr.data.datasets import load_dataset
from keras_rr.data.directory import load_segmentation_directory
from keras_rr.data.file_datasets import LoaderOptions
from keras_rr.data.ltss_datasets import load_ade20k_full
from keras_rr.data.ltss_datasets import load_coco_stuff_lt
from keras_rr.data.ltss_datasets import ltss_frequency_groups
from keras_rr.data.repeat_factors import repeat_factor_epoch
from keras_rr.data.repeat_factors import repeat_factors
from keras_rr.data.synthetic import synthetic_long_tailed
from keras_rr.data.synthetic import synthetic_long_tailed_dataset
from keras_rr.data.synthetic_spec import SyntheticSpec

__all__ = [
    "ADE20K_CLASS_NAMES",
    "ADE20K_FULL_CLASS_NAMES",
    "COCO_STUFF_CLASS_NAMES",
    "ClassStatistics",
    "CopyPaste",
    "LoaderOptions",
    "SyntheticSpec",
    "TrainAugmentation",
    "ade20k_raw_to_contiguous_lut",
    "adjust_hsv",
    "augmentation_from_config",
    "coco_stuff_raw_to_contiguous_lut",
    "compute_class_statistics",
    "compute_dataset_statistics",
    "load_ade20k",
    "load_ade20k_full",
    "load_ade20k_tfds",
    "load_coco_stuff164k",
    "load_coco_stuff_lt",
    "load_dataset",
    "load_segmentation_directory",
    "ltss_frequency_groups",
    "pad_to_size",
    "photometric_distortion",
    "random_crop",
    "random_flip",
    "random_resize",
    "rare_classes",
    "read_class_names",
    "repeat_factor_epoch",
    "repeat_factors",
    "resize_nearest",
    "synthetic_long_tailed",
    "synthetic_long_tailed_dataset",
]


def __dir__():
    return sorted(__all__)
