"""ADE20K (SceneParse150) loaders: the official folder layout and TFDS `scene_parse150`."""

import os
import warnings

import numpy as np

from keras_rr.data import _pipeline

ADE20K_NUM_CLASSES = 150
_SPLITS = {"training": ("training", "train"), "validation": ("validation", "val")}
# TFDS names the ADE20K validation images "test".
_TFDS_SPLITS = {"train": ("train", "training"), "test": ("test", "validation", "val")}


def ade20k_raw_to_contiguous_lut():
    """Lookup table from raw ADE20K label values to training ids.

    Raw 0 ("other", unlabeled) becomes 255 (ignored); raw k in 1..150 becomes k-1; raw
    255 stays 255. Raw 151..254 do not occur in ADE20K and map to 255 here; the loaders
    reject them instead (see `validate_labels`).

    Returns:
        int32 NumPy array `(256,)`.

    Example:

    ```python
    lut = keras_rr.data.ade20k_raw_to_contiguous_lut()
    labels = lut[raw_png_values]
    ```
    """
    lut = np.full(256, _pipeline.IGNORE_CLASS, dtype=np.int32)
    lut[1 : ADE20K_NUM_CLASSES + 1] = np.arange(ADE20K_NUM_CLASSES, dtype=np.int32)
    return lut


def _valid_raw_values():
    valid = np.zeros(256, dtype=bool)
    valid[: ADE20K_NUM_CLASSES + 1] = True
    valid[_pipeline.IGNORE_CLASS] = True
    return valid


def load_ade20k(
    data_dir,
    split="training",
    shuffle=False,
    seed=None,
    augment=None,
    batch_size=None,
    labels_only=False,
    validate_labels=True,
):
    """Loads ADE20K (SceneParse150) from the official `ADEChallengeData2016` folder.

    Expects `images/{split}/*.jpg` and `annotations/{split}/*.png` under `data_dir`
    (or under `data_dir/ADEChallengeData2016`), paired by file name. Labels are mapped
    as in the paper and mmsegmentation: raw 0 ("other") becomes the ignore value 255,
    raw k in 1..150 becomes class k-1.

    Args:
        data_dir: str or path-like. The `ADEChallengeData2016` folder or its parent.
        split: str. `"training"` (20,210 images) or `"validation"` (2,000); `"train"`
            and `"val"` are accepted too. Defaults to `"training"`.
        shuffle: bool. Shuffle the file order each epoch. Defaults to `False`.
        seed: int or None. Seed of the shuffle and of the augmentation. Defaults to
            `None`.
        augment: None, a callable `(image, label[, seed]) -> (image, label)` such as
            `keras_rr.data.TrainAugmentation`, or a dict of `TrainAugmentation`
            arguments. Applied per example. Defaults to `None`.
        batch_size: int or None. Batch the examples (images must then share a size,
            e.g. through a crop in `augment`). Defaults to `None` (un-batched).
        labels_only: bool. Yield only labels, without reading images (for
            statistics). Defaults to `False`.
        validate_labels: bool. Fail on raw values other than 0..150 and 255 (a
            corrupt or non-ADE20K file) instead of mapping them to 255. Defaults to
            `True`.

    Returns:
        A `tf.data.Dataset` of `(image, label)`: image float32 `(H, W, 3)` in
        [0, 255], label int32 `(H, W)` with classes 0..149 and 255 ignored (or labels
        alone with `labels_only=True`).

    Example:

    ```python
    train_ds = keras_rr.data.load_ade20k(
        "/data/ADEChallengeData2016", "training", shuffle=True, seed=0,
        augment=keras_rr.data.TrainAugmentation(crop_size=512), batch_size=16)
    ```
    """
    root = _pipeline.resolve_root(data_dir, "ADEChallengeData2016", "ADE20K")
    split = _pipeline.canonical_split(split, _SPLITS, "ADE20K")
    image_dir = os.path.join(root, "images", split)
    label_dir = os.path.join(root, "annotations", split)
    missing = (
        f"ADE20K not found: expected images/{split}/*.jpg and annotations/{split}/*.png "
        f"under {root} (the ADEChallengeData2016 folder from the MIT Scene Parsing "
        "benchmark)."
    )
    image_paths, label_paths = _pipeline.list_pairs(
        image_dir, label_dir, (".jpg", ".jpeg"), ".png", missing
    )
    return _pipeline.file_dataset(
        image_paths,
        label_paths,
        ade20k_raw_to_contiguous_lut(),
        _valid_raw_values(),
        "ADE20K",
        shuffle=shuffle,
        seed=seed,
        augment=augment,
        batch_size=batch_size,
        labels_only=labels_only,
        validate_labels=validate_labels,
        hint=" 0..150 (and 255)",
    )


def load_ade20k_tfds(
    split="train",
    data_dir=None,
    download=False,
    shuffle=False,
    seed=None,
    augment=None,
    batch_size=None,
    labels_only=False,
    validate_labels=True,
    shuffle_buffer_size=1024,
):
    """Loads ADE20K through TensorFlow Datasets (`scene_parse150`).

    The label is the first (red) channel of the TFDS `annotation` image, mapped like
    `load_ade20k` (0 -> 255, k -> k-1).

    Caution: TFDS `scene_parse150` 1.0.0 builds `annotation` from the Places
    Challenge 2017 `annotations_instance` files, whose red channel holds the
    instance-task category id (100 object categories), not the 150 scene-parsing
    classes of `ADEChallengeData2016`. Statistics and training on this source are
    therefore not comparable with the paper's ADE20K numbers; prefer `load_ade20k`
    on the official folder. A `UserWarning` repeats this once per call.

    Args:
        split: str. `"train"` or `"test"` (TFDS's name for the ADE20K validation
            images); `"training"`, `"validation"`, `"val"` are accepted too. TFDS
            slicing such as `"train[:10%]"` passes through. Defaults to `"train"`.
        data_dir: str or None. TFDS data directory. Defaults to `None` (TFDS default).
        download: bool. Let TFDS download and prepare the data when missing. Off by
            default: without network access a download retries for minutes.
        shuffle, seed, augment, batch_size, labels_only, validate_labels: as in
            `load_ade20k`.
        shuffle_buffer_size: int. Examples held by the shuffle buffer (encoded bytes).
            Defaults to `1024`.

    Returns:
        A `tf.data.Dataset` of `(image float32 (H, W, 3), label int32 (H, W))`.

    Example:

    ```python
    val_ds = keras_rr.data.load_ade20k_tfds("validation", data_dir="~/tensorflow_datasets")
    ```
    """
    import tensorflow as tf
    import tensorflow_datasets as tfds

    base, sep, slicing = str(split).partition("[")
    tfds_split = _pipeline.canonical_split(base, _TFDS_SPLITS, "scene_parse150") + sep + slicing
    if labels_only and augment is not None:
        raise ValueError(
            "`augment` needs images; it cannot be combined with `labels_only=True`. "
            f"Received: augment={augment!r}"
        )
    warnings.warn(
        "TFDS scene_parse150 annotations come from the ADE20K *instance* challenge "
        "(100 categories in the red channel), not the 150-class SceneParse labels; use "
        "keras_rr.data.load_ade20k on ADEChallengeData2016 for paper-comparable data.",
        UserWarning,
        stacklevel=2,
    )
    skip = tfds.decode.SkipDecoding()
    try:
        dataset = tfds.load(
            "scene_parse150",
            split=tfds_split,
            data_dir=data_dir,
            download=download,
            shuffle_files=shuffle,
            read_config=tfds.ReadConfig(shuffle_seed=seed),
            # Decode ourselves after the shuffle, so the buffer holds encoded bytes.
            decoders={"image": skip, "annotation": skip},
        )
    except AssertionError as error:  # TFDS signals missing prepared data this way
        raise FileNotFoundError(
            "TFDS scene_parse150 not found in "
            f"{data_dir or 'the default TFDS data directory'}: prepare it with "
            "`load_ade20k_tfds(..., download=True)` (needs network access), or use "
            f"`load_ade20k` on the ADEChallengeData2016 folder. TFDS said: {error}"
        ) from None
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, seed=seed, reshuffle_each_iteration=True)
    lut, valid = ade20k_raw_to_contiguous_lut(), _valid_raw_values()

    def load(example):
        label = _pipeline.decode_label(
            example["annotation"], lut, valid, tf.constant("scene_parse150 example"),
            "ADE20K (TFDS)", validate_labels, " 0..150 (and 255)",
        )
        if labels_only:
            return label
        image = _pipeline.decode_image(example["image"])
        _pipeline.check_same_size(image, label, tf.constant("scene_parse150 example"))
        return image, label

    dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = _pipeline.apply_augment(dataset, augment, seed)
    return _pipeline.finish(dataset, batch_size)
