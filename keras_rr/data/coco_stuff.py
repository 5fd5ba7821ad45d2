"""COCO-Stuff164K loader and the raw-id to training-id table."""

import os

from keras_rr.data import file_datasets
from keras_rr.data.file_datasets import LoaderOptions

COCO_STUFF_NUM_CLASSES = 171
# Raw COCO-Stuff label ids (pixel value = COCO category id - 1) that no class uses:
# COCO's 91 thing ids leave 12, 26, 29, 30, 45, 66, 68, 69, 71, 83 and 91 unassigned.
COCO_STUFF_UNUSED_RAW_IDS = (11, 25, 28, 29, 44, 65, 67, 68, 70, 82, 90)
_NUM_RAW_IDS = 182
_SPLITS = {"train2017": ("train2017", "train"), "val2017": ("val2017", "val", "validation")}
_TRAIN_ID_SUFFIX = "_labelTrainIds.png"


def coco_stuff_raw_to_contiguous_lut():
    """Lookup table from raw COCO-Stuff label values to the 171 contiguous training ids.

    The official `stuffthingmaps` PNGs store COCO category id - 1: 0..90 for things
    (80 used ids; 11, 25, 28, 29, 44, 65, 67, 68, 70, 82, 90 are unused) and 91..181
    for the 91 stuff classes, with 255 unlabeled. The used ids keep their order and
    become 0..170 (the mmsegmentation `_labelTrainIds` convention, matching
    `keras_rr.data.COCO_STUFF_CLASS_NAMES`); unused ids and 182..255 map to 255.

    Returns:
        int32 NumPy array `(256,)`: `lut[raw_value]` is the training id.

    Example:

    ```python
    train_ids = keras_rr.data.coco_stuff_raw_to_contiguous_lut()[raw_label]
    ```
    """
    return file_datasets.lut_from_raw_ids(i for i in range(_NUM_RAW_IDS) if i not in COCO_STUFF_UNUSED_RAW_IDS)


def load_coco_stuff164k(
    data_dir, split="train2017", raw_ids=False, label_suffix=None, options=None, **kwargs
):
    """Loads COCO-Stuff164K from `images/{split}/*.jpg` and `annotations/{split}/*.png`.

    With `raw_ids=False` labels are expected as training ids 0..170 with 255 ignored
    (mmsegmentation's converted `*_labelTrainIds.png`, picked automatically when present
    next to the raw files). With `raw_ids=True` the raw `stuffthingmaps` values (COCO
    category id - 1) are mapped through `coco_stuff_raw_to_contiguous_lut`.

    Args:
        data_dir: str or path-like. Folder holding `images/` and `annotations/`.
        split: str. `"train2017"` (118K images) or `"val2017"` (5K); `"train"`, `"val"`
            are accepted too. Defaults to `"train2017"`.
        raw_ids: bool. Labels hold raw COCO-Stuff ids (0..181, 255). Defaults to `False`.
        label_suffix: str or None. Label file suffix. Defaults to `None`: with
            `raw_ids=False`, `"_labelTrainIds.png"` if such files exist, else `".png"`;
            with `raw_ids=True`, `".png"` (skipping `*_labelTrainIds.png`).
        options: `keras_rr.data.LoaderOptions` or None. As in
            `keras_rr.data.load_ade20k`; `validate_labels` rejects values outside the
            expected ids (0..170 or raw 0..181, and 255), while raw ids that no class
            uses map to 255. Defaults to `None`.
        **kwargs: `LoaderOptions` fields (`shuffle`, `seed`, `augment`,
            `batch_size`, `labels_only`, `validate_labels`, `image_size`, `color_map`),
            overriding `options`.

    Returns:
        A `tf.data.Dataset` of `(image float32 (H, W, 3) in [0, 255], label int32
        (H, W))`, classes 0..170, 255 ignored.

    Example:

    ```python
    val_ds = keras_rr.data.load_coco_stuff164k("/data/coco_stuff164k", "val2017")
    ```
    """
    options = LoaderOptions.resolve(options, "load_coco_stuff164k", **kwargs)
    root, split, image_dir, label_dir = file_datasets.standard_layout(
        data_dir, "coco_stuff164k", "COCO-Stuff164K", split, _SPLITS
    )
    exclude = None
    if label_suffix is None:
        if raw_ids:
            label_suffix, exclude = ".png", _TRAIN_ID_SUFFIX
        elif os.path.isdir(label_dir) and any(
            n.endswith(_TRAIN_ID_SUFFIX) for n in os.listdir(label_dir)
        ):
            label_suffix = _TRAIN_ID_SUFFIX
        else:
            label_suffix = ".png"
    missing = (
        f"COCO-Stuff164K not found: expected images/{split}/*.jpg and "
        f"annotations/{split}/*{label_suffix} under {root}."
    )
    image_paths, label_paths = file_datasets.list_pairs(
        image_dir, label_dir, (".jpg", ".jpeg"), label_suffix, missing,
        exclude_label_suffix=exclude,
    )
    if raw_ids:
        table = file_datasets.LabelTable(
            coco_stuff_raw_to_contiguous_lut(),
            file_datasets.valid_values(_NUM_RAW_IDS),
            "COCO-Stuff164K",
            " raw 0..181 (and 255)",
        )
    else:
        table = file_datasets.LabelTable(
            *file_datasets.identity_lut(COCO_STUFF_NUM_CLASSES),
            "COCO-Stuff164K",
            " 0..170 (and 255); raw stuffthingmaps need raw_ids=True",
        )
    return file_datasets.file_dataset(image_paths, label_paths, table, options)
