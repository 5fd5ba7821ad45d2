"""ADE20K (SceneParse150) loaders: the official folder layout and TFDS `scene_parse150`.

Both loaders share the label table (raw 0 "other" -> 255, raw k -> k-1, docs/method.md,
section 6) and the decode/augment/batch pipeline of `keras_rr.data.file_datasets`.
"""

import warnings

from keras_rr.data import file_datasets
from keras_rr.data.file_datasets import LoaderOptions

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
    return file_datasets.lut_from_raw_ids(range(1, ADE20K_NUM_CLASSES + 1))


def _label_table(dataset_name, red_channel=False):
    valid = file_datasets.valid_values(ADE20K_NUM_CLASSES + 1)
    return file_datasets.LabelTable(
        ade20k_raw_to_contiguous_lut(), valid, dataset_name, " 0..150 (and 255)", red_channel=red_channel
    )


def load_ade20k(data_dir, split="training", options=None, **kwargs):
    """Loads ADE20K (SceneParse150) from the official `ADEChallengeData2016` folder.

    Expects `images/{split}/*.jpg` and `annotations/{split}/*.png` under `data_dir`
    (or under `data_dir/ADEChallengeData2016`), paired by file name. Labels are mapped
    as in the paper and mmsegmentation: raw 0 ("other") becomes the ignore value 255,
    raw k in 1..150 becomes class k-1.

    Args:
        data_dir: str or path-like. The `ADEChallengeData2016` folder or its parent.
        split: str. `"training"` (20,210 images) or `"validation"` (2,000); `"train"`
            and `"val"` are accepted too. Defaults to `"training"`.
        options: `keras_rr.data.LoaderOptions` or None. Shuffle, seed, augmentation,
            batching, `labels_only` and `validate_labels` (which here rejects raw
            values other than 0..150 and 255: a corrupt or non-ADE20K file). Defaults
            to `None` (the `LoaderOptions` defaults).
        **kwargs: `LoaderOptions` fields (`shuffle`, `seed`, `augment`,
            `batch_size`, `labels_only`, `validate_labels`, `image_size`, `color_map`),
            overriding `options`.

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
    options = LoaderOptions.resolve(options, "load_ade20k", **kwargs)
    root, split, image_dir, label_dir = file_datasets.standard_layout(
        data_dir, "ADEChallengeData2016", "ADE20K", split, _SPLITS
    )
    missing = (
        f"ADE20K not found: expected images/{split}/*.jpg and annotations/{split}/*.png "
        f"under {root} (the ADEChallengeData2016 folder from the MIT Scene Parsing "
        "benchmark)."
    )
    image_paths, label_paths = file_datasets.list_pairs(image_dir, label_dir, (".jpg", ".jpeg"), ".png", missing)
    return file_datasets.file_dataset(image_paths, label_paths, _label_table("ADE20K"), options)


def load_ade20k_tfds(
    split="train", data_dir=None, download=False, options=None, shuffle_buffer_size=1024, **kwargs
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
        options: `keras_rr.data.LoaderOptions` or None. As in `load_ade20k`
            (`shuffle` also shuffles the TFDS files). Defaults to `None`.
        shuffle_buffer_size: int. Examples held by the shuffle buffer (encoded bytes).
            Defaults to `1024`.
        **kwargs: `LoaderOptions` fields, overriding `options`.

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
    tfds_split = file_datasets.canonical_split(base, _TFDS_SPLITS, "scene_parse150") + sep + slicing
    options = LoaderOptions.resolve(options, "load_ade20k_tfds", **kwargs)
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
            shuffle_files=options.shuffle,
            read_config=tfds.ReadConfig(shuffle_seed=options.seed),
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
    # TFDS stores the class in the red channel and instance ids in the others.
    table = _label_table("ADE20K (TFDS)", red_channel=True)
    source = tf.constant("scene_parse150 example")

    def load(example):
        return file_datasets.decode_example(example["image"], example["annotation"], table, options, source)

    return file_datasets.build_pipeline(dataset, options, shuffle_buffer_size, load)
