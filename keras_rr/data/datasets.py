"""Datasets by name, for the statistics CLI and the training configs.

`DATASETS` says what each name defaults to; `load_dataset` calls the matching loader
and `compute_dataset_statistics` counts a named dataset's labels with
`keras_rr.data.compute_class_statistics`.
"""

import typing

from keras_rr.data.ade20k import load_ade20k
from keras_rr.data.ade20k import load_ade20k_tfds
from keras_rr.data.class_names import ADE20K_CLASS_NAMES
from keras_rr.data.class_names import ADE20K_FULL_CLASS_NAMES
from keras_rr.data.class_names import COCO_STUFF_CLASS_NAMES
from keras_rr.data.class_names import read_class_names
from keras_rr.data.coco_stuff import load_coco_stuff164k
from keras_rr.data.compute_class_statistics import compute_class_statistics
from keras_rr.data.directory import load_segmentation_directory
from keras_rr.data.elements import extract_label
from keras_rr.data.ltss_datasets import ADE20K_FULL_IGNORE_CLASS
from keras_rr.data.ltss_datasets import ADE20K_FULL_NUM_CLASSES
from keras_rr.data.ltss_datasets import COCO_STUFF_LT_CLASS_NAMES
from keras_rr.data.ltss_datasets import load_ade20k_full
from keras_rr.data.ltss_datasets import load_coco_stuff_lt
from keras_rr.data.synthetic import synthetic_long_tailed
from keras_rr.data.synthetic import synthetic_long_tailed_dataset


class DatasetInfo(typing.NamedTuple):
    """What a dataset name defaults to (a tuple: `(split, num_classes, class_names)`)."""

    split: typing.Optional[str]
    num_classes: typing.Optional[int]
    class_names: typing.Optional[tuple]


DATASETS = {
    "ade20k": DatasetInfo("training", 150, ADE20K_CLASS_NAMES),
    "ade20k_full": DatasetInfo("training", ADE20K_FULL_NUM_CLASSES, ADE20K_FULL_CLASS_NAMES),
    "ade20k_tfds": DatasetInfo("train", 150, None),
    "coco_stuff164k": DatasetInfo("train2017", 171, COCO_STUFF_CLASS_NAMES),
    "coco_stuff_lt": DatasetInfo("train2017", 171, COCO_STUFF_LT_CLASS_NAMES),
    "directory": DatasetInfo(None, None, None),
    "synthetic": DatasetInfo("train", None, None),
}

# The label value of unlabeled pixels where it is not 255 (255 is a class of ADE20K-Full).
DATASET_IGNORE_CLASS = {"ade20k_full": ADE20K_FULL_IGNORE_CLASS}


def dataset_ignore_class(name):
    """The ignore value a dataset's loader returns: 65535 for `ade20k_full`, else 255."""
    return DATASET_IGNORE_CLASS.get(name, 255)


def _dataset_info(name):
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset. Expected one of {sorted(DATASETS)}. Received: name={name!r}")
    return DATASETS[name]


def load_dataset(name, data_dir=None, split=None, labels_only=False, **kwargs):
    """Loads a dataset by name: `ade20k`, `ade20k_full`, `ade20k_tfds`, `coco_stuff164k`,
    `coco_stuff_lt`, `directory`, `synthetic`.

    Args:
        name: str. One of `keras_rr.data.datasets.DATASETS`.
        data_dir: str or None. Dataset root (TFDS data dir for `ade20k_tfds`; unused
            for `directory`, which takes `image_dir`/`label_dir`, and `synthetic`).
        split: str or None. Defaults to the dataset's training split.
        labels_only: bool. Yield labels only. Defaults to `False`.
        **kwargs: passed to the loader (`load_ade20k`, `load_ade20k_tfds`,
            `load_coco_stuff164k`, `load_segmentation_directory`,
            `synthetic_long_tailed_dataset`), e.g. `options=keras_rr.data.LoaderOptions(...)`
            or its fields.

    Returns:
        A `tf.data.Dataset`.

    Example:

    ```python
    ds = keras_rr.data.load_dataset("ade20k", "/data/ADEChallengeData2016", "validation")
    ```
    """
    split = _dataset_info(name).split if split is None else split
    if name == "synthetic":
        dataset = synthetic_long_tailed_dataset(**kwargs)
        return dataset.map(lambda *element: extract_label(element)) if labels_only else dataset
    if labels_only:
        # Only when asked: a `LoaderOptions(labels_only=True)` in kwargs stays in force.
        kwargs["labels_only"] = True
    if name == "ade20k":
        return load_ade20k(data_dir, split, **kwargs)
    if name == "ade20k_tfds":
        return load_ade20k_tfds(split, data_dir=data_dir, **kwargs)
    if name == "coco_stuff164k":
        return load_coco_stuff164k(data_dir, split, **kwargs)
    if name == "ade20k_full":
        return load_ade20k_full(data_dir, split, **kwargs)
    if name == "coco_stuff_lt":
        return load_coco_stuff_lt(data_dir, split, **kwargs)
    return load_segmentation_directory(**kwargs)


def compute_dataset_statistics(
    name, data_dir=None, split=None, num_classes=None, ignore_class=None, max_images=None, progress=True,
    validate=None, **kwargs
):
    """Loads a dataset by name and counts its per-class pixels and regions.

    Reads labels only, unless `validate` checks the files (then every image is decoded
    once too). The result carries the dataset name, split and class names (when known)
    as provenance.

    Args:
        name: str. See `load_dataset`.
        data_dir: str or None. See `load_dataset`.
        split: str or None. Defaults to the dataset's training split.
        num_classes: int or None. Defaults to the dataset's class count (150 ADE20K,
            171 COCO-Stuff, the names file for `directory`, the generator's for
            `synthetic`).
        ignore_class: int or None. Defaults to `None`: the dataset's
            (`dataset_ignore_class`: 65535 for `ade20k_full`, else 255).
        max_images: int or None. Count only the first images. Defaults to `None`.
        progress: bool. Defaults to `True`.
        validate: bool or None. As in `keras_rr.data.compute_class_statistics`:
            `None` checks the files of the file datasets (`ade20k`, `coco_stuff164k`,
            `directory`) and nothing else; `True` fails for the others. Defaults to
            `None`.
        **kwargs: loader arguments (e.g. `image_dir`, `label_dir`, `class_names_file`
            for `directory`; `num_images`, `image_size`, `imbalance`, `seed` for
            `synthetic`; `raw_ids` for `coco_stuff164k`).

    Returns:
        A `keras_rr.data.ClassStatistics`.

    Example:

    ```python
    stats = keras_rr.data.compute_dataset_statistics("ade20k", "/data/ADEChallengeData2016")
    ```
    """
    info = _dataset_info(name)
    split = info.split if split is None else split
    if ignore_class is None:
        ignore_class = dataset_ignore_class(name)
    if name == "synthetic":
        if num_classes is not None:
            kwargs["num_classes"] = num_classes
        _, labels, spec = synthetic_long_tailed(return_spec=True, **kwargs)
        labels_or_dataset, num_classes, class_names = labels, spec.num_classes, spec.class_names
    else:
        default_classes, class_names = info.num_classes, info.class_names
        if name == "directory" and kwargs.get("class_names_file") is not None:
            class_names = read_class_names(kwargs["class_names_file"])
            default_classes = len(class_names)
        num_classes = default_classes if num_classes is None else num_classes
        if num_classes is None:
            raise ValueError(
                f"`num_classes` is required for dataset {name!r} (or a class-names file). "
                "Received: num_classes=None"
            )
        if class_names is not None and len(class_names) != num_classes:
            class_names = None
        if name == "directory":
            kwargs.setdefault("num_classes", num_classes)
            kwargs.setdefault("ignore_class", ignore_class)
        labels_or_dataset = load_dataset(name, data_dir, split, labels_only=True, **kwargs)
    return compute_class_statistics(
        labels_or_dataset,
        num_classes=num_classes,
        ignore_class=ignore_class,
        dataset_name=name,
        split=split,
        class_names=class_names,
        progress=progress,
        max_images=max_images,
        validate=validate,
    )
