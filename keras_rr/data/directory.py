"""Generic loader: an image folder and a label folder paired by file name."""

import os

from keras_rr import validation
from keras_rr.data import file_datasets
from keras_rr.data.class_names import read_class_names
from keras_rr.data.file_datasets import LoaderOptions


def load_segmentation_directory(
    image_dir,
    label_dir,
    class_names_file=None,
    num_classes=None,
    image_suffix=(".jpg", ".png", ".jpeg"),
    label_suffix=".png",
    ignore_class=255,
    options=None,
    **kwargs,
):
    """Loads any segmentation dataset stored as two folders of files paired by stem.

    `image_dir/abc.jpg` pairs with `label_dir/abc.png` (the stem is the name without
    `image_suffix` / `label_suffix`). Labels are PNGs of class ids, with `ignore_class`
    for unlabeled pixels, used as stored: 8-bit grayscale, RGB with equal channels, or
    palette PNGs read by their indices; coloured labels through `color_map=`
    (`keras_rr.data.label_png`). For a fixed-size segmenter, `image_size=` resizes
    every example (images bilinear, labels nearest) so batches have a static shape.

    Args:
        image_dir: str or path-like. Folder of images (JPEG or PNG).
        label_dir: str or path-like. Folder of label PNGs.
        class_names_file: str or None. Text file with one class name per line; when
            given, `num_classes` defaults to its length (read the names with
            `keras_rr.data.read_class_names`). Defaults to `None`.
        num_classes: int or None. When known (directly or from the names file),
            values outside `[0, num_classes)` other than `ignore_class` raise.
            Defaults to `None`.
        image_suffix: str or tuple of str. Image file suffixes. Defaults to
            `(".jpg", ".png", ".jpeg")`.
        label_suffix: str. Label file suffix. Defaults to `".png"`.
        ignore_class: int. Unlabeled value. Defaults to `255`.
        options: `keras_rr.data.LoaderOptions` or None. As in
            `keras_rr.data.load_ade20k`. Defaults to `None`.
        **kwargs: `LoaderOptions` fields (`shuffle`, `seed`, `augment`,
            `batch_size`, `labels_only`, `validate_labels`, `image_size`,
            `color_map`), overriding `options`.

    Returns:
        A `tf.data.Dataset` of `(image float32 (H, W, 3) in [0, 255], label int32 (H, W))`.

    Example:

    ```python
    ds = keras_rr.data.load_segmentation_directory(
        "data/images", "data/labels", class_names_file="data/classes.txt",
        image_size=512, shuffle=True, batch_size=8)
    ```
    """
    options = LoaderOptions.resolve(options, "load_segmentation_directory", **kwargs)
    if class_names_file is not None:
        names = read_class_names(class_names_file)
        if num_classes is not None and num_classes != len(names):
            raise ValueError(
                f"`num_classes` disagrees with {class_names_file} ({len(names)} names). "
                f"Received: num_classes={num_classes}"
            )
        num_classes = len(names)
    # 8-bit label PNGs hold at most 256 class ids.
    num_classes = validation.check_int(num_classes, "num_classes", minimum=1, maximum=256, allow_none=True)
    ignore_class = validation.check_ignore_class(ignore_class, num_classes)
    image_dir = os.path.abspath(os.path.expanduser(os.fspath(image_dir)))
    label_dir = os.path.abspath(os.path.expanduser(os.fspath(label_dir)))
    if isinstance(image_suffix, str):
        image_suffix = (image_suffix,)
    missing = (
        f"Segmentation data not found: expected images ({', '.join('*' + s for s in image_suffix)}) "
        f"in {image_dir} and labels (*{label_suffix}) in {label_dir}."
    )
    image_paths, label_paths = file_datasets.list_pairs(image_dir, label_dir, tuple(image_suffix), label_suffix, missing)
    lut, valid = file_datasets.identity_lut(num_classes, ignore_class)
    hint = "" if num_classes is None else f" [0, {num_classes}) (and {ignore_class})"
    table = file_datasets.LabelTable(lut, valid, "segmentation directory", hint)
    return file_datasets.file_dataset(image_paths, label_paths, table, options)
