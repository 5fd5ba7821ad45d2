"""The LTSS benchmark's datasets: ADE20K-Full (847 classes) and COCO-Stuff-LT (40K images).

The folder layouts are those of the LTSS code (`caopulan/Mask2Former-LT`, which follows
Mask2Former's dataset preparation scripts):

- ADE20K-Full: `ADE20K_2021_17_01/images_detectron2/{training,validation}/*.jpg` and
  `annotations_detectron2/{training,validation}/*.tif`, the labels 16-bit TIFFs holding
  the training ids 0..846 with 65535 unlabeled (25,574 training / 2,000 validation
  images, written by Mask2Former's `prepare_ade20k_full_sem_seg.py`). TensorFlow has no
  TIFF decoder: the labels are read with Pillow inside the tf.data graph
  (`tf.numpy_function`). The ignore value stays 65535 (255 is a class here): configs set
  `data.ignore_class = 65535`.
- COCO-Stuff-LT: `coco_stuff_lt_40k/images/{train2017,val2017}/*.jpg` and
  `annotations/{train2017,val2017}/*.png`, labels the 171 COCO-Stuff training ids with
  255 unlabeled (Mask2Former's `prepare_coco_stuff_sem_seg.py` output). The training
  split is the 40,679 images listed in LTSS's split file `coco-stuff-lt.txt` (one
  image file name per line); validation is COCO-Stuff's 5,000 `val2017` images. With the
  split file in the folder (or passed as `split_file`), a full COCO-Stuff164K folder
  works too: only the listed training images are read.
"""

import os

import numpy as np

from keras_rr.data import file_datasets
from keras_rr.data.class_names import COCO_STUFF_CLASS_NAMES
from keras_rr.data.file_datasets import LoaderOptions

ADE20K_FULL_NUM_CLASSES = 847
ADE20K_FULL_IGNORE_CLASS = 65535
ADE20K_FULL_NUM_IMAGES = {"training": 25_574, "validation": 2_000}
COCO_STUFF_LT_NUM_IMAGES = {"train2017": 40_679, "val2017": 5_000}
COCO_STUFF_LT_SPLIT_FILE = "coco-stuff-lt.txt"
COCO_STUFF_LT_CLASS_NAMES = COCO_STUFF_CLASS_NAMES  # LTSS's trainIds 0..170: COCO-Stuff's order
# LTSS's rare / common / frequent tags (its dataset metadata) are thresholds on training
# counts: a class is rare below the first, common below the second, else frequent. By
# image: the images holding the class; by pixel: the sum over images of the class's share
# of the image (the pixel frequency of repeat-factor sampling) -- both over `num_images`.
# Read off LTSS's category tables (e.g. ADE20K-Full: 160 / 175 / 512 classes by image).
LTSS_GROUP_COUNTS = {
    "ade20k_full": {"num_images": 25_574, "image": (6.0, 15.0), "pixel": (0.11494986, 0.4797637)},
    "coco_stuff_lt": {"num_images": 40_679, "image": (47.0, 132.0), "pixel": (3.1430514, 15.284886)},
}
_ADE20K_FULL_SPLITS = {"training": ("training", "train"), "validation": ("validation", "val")}
_COCO_SPLITS = {"train2017": ("train2017", "train"), "val2017": ("val2017", "val", "validation")}


def ltss_frequency_groups(statistics, dataset, by="image"):
    """LTSS's frequency tags of a dataset's classes from training statistics.

    `f(c) < low / N_ltss` is rare, `< high / N_ltss` common, else frequent, with
    `(low, high)` and `N_ltss` from `LTSS_GROUP_COUNTS[dataset]` and `f(c)` the class's
    image frequency (images holding it / N) or pixel frequency (sum over images of its
    share of the image's labeled pixels / N). On LTSS's training split this gives the
    tags of its metadata (e.g. 160 rare classes of ADE20K-Full by image).

    Args:
        statistics: `keras_rr.data.ClassStatistics` (with per-image classes for
            `by="pixel"`).
        dataset: `"ade20k_full"` or `"coco_stuff_lt"`.
        by: `"image"` or `"pixel"`. Defaults to `"image"`.

    Returns:
        NumPy array `(K,)` of `"rare"`, `"common"` or `"frequent"`.

    Example:

    >>> rare = np.flatnonzero(ltss_frequency_groups(stats, "ade20k_full") == "rare")
    """
    if dataset not in LTSS_GROUP_COUNTS:
        raise ValueError(f"`dataset` must be one of {sorted(LTSS_GROUP_COUNTS)}. Received: dataset={dataset!r}")
    if by not in ("image", "pixel"):
        raise ValueError(f"`by` must be 'image' or 'pixel'. Received: by={by!r}")
    n = int(statistics.num_images)
    if n <= 0:
        raise ValueError(f"LTSS groups need statistics of at least one image. Received: num_images={n}")
    if by == "image":
        frequency = np.asarray(statistics.region_counts, np.float64) / n
    else:
        csr = getattr(statistics, "image_class_csr", None)
        if csr is None:
            raise ValueError(
                "LTSS pixel-frequency groups need the classes of every image, which these statistics do not "
                "record: recompute them with `python -m keras_rr.tools.dataset_stats`."
            )
        offsets, ids, pixels = csr
        image_of_entry = np.repeat(np.arange(n), np.diff(offsets))
        labeled = np.bincount(image_of_entry, weights=pixels, minlength=n)
        shares = np.asarray(pixels, np.float64) / labeled[image_of_entry]
        frequency = np.bincount(ids, weights=shares, minlength=statistics.num_classes) / n
    counts = LTSS_GROUP_COUNTS[dataset]
    low, high = (bound / counts["num_images"] for bound in counts[by])
    tags = np.full(frequency.shape, "frequent", dtype=object)
    tags[frequency < high] = "common"
    tags[frequency < low] = "rare"
    return tags


def _read_tiff_label(path):
    from PIL import Image  # Pillow reads 16-bit TIFFs; TensorFlow cannot

    with Image.open(path.decode() if isinstance(path, bytes) else path) as image:
        label = np.asarray(image)
    if label.ndim != 2:
        raise ValueError(f"ADE20K-Full: label {path!r} is not a single-channel image (shape {label.shape}).")
    return label.astype(np.int32)


def _ade20k_full_root(data_dir):
    root = file_datasets.resolve_root(data_dir, "ADE20K_2021_17_01", "ADE20K-Full")
    if not os.path.isdir(os.path.join(root, "images_detectron2")):
        nested = os.path.join(root, "ADE20K_2021_17_01")
        if os.path.isdir(nested):
            root = nested
    return root


def ade20k_full_files(data_dir, split="training"):
    """The paired `(image_paths, label_paths)` of an ADE20K-Full split, in file-name order.

    Args:
        data_dir: str or path-like. `ADE20K_2021_17_01` or the folder holding it.
        split: str. `"training"` or `"validation"` (`"train"`, `"val"` too).

    Returns:
        `(image_paths, label_paths)`, lists of str.
    """
    root = _ade20k_full_root(data_dir)
    split = file_datasets.canonical_split(split, _ADE20K_FULL_SPLITS, "ADE20K-Full")
    image_dir = os.path.join(root, "images_detectron2", split)
    label_dir = os.path.join(root, "annotations_detectron2", split)
    missing = (
        f"ADE20K-Full not found: expected images_detectron2/{split}/*.jpg and annotations_detectron2/{split}/*.tif "
        f"under {root} (ADE20K_2021_17_01 prepared by Mask2Former's prepare_ade20k_full_sem_seg.py, as LTSS uses)."
    )
    return file_datasets.list_pairs(image_dir, label_dir, (".jpg", ".jpeg"), ".tif", missing)


def load_ade20k_full(data_dir, split="training", options=None, **kwargs):
    """Loads ADE20K-Full (847 classes) in LTSS's layout.

    Args:
        data_dir: str or path-like. `ADE20K_2021_17_01` or the folder holding it.
        split: str. `"training"` (25,574 images) or `"validation"` (2,000); `"train"`,
            `"val"` accepted. Defaults to `"training"`.
        options: `keras_rr.data.LoaderOptions` or None. `validate_labels` rejects
            label values other than 0..846 and 65535. Defaults to `None`.
        **kwargs: `LoaderOptions` fields, overriding `options` (`color_map` does not
            apply to TIFF labels).

    Returns:
        A `tf.data.Dataset` of `(image float32 (H, W, 3) in [0, 255], label int32
        (H, W))`, classes 0..846, 65535 ignored (or labels alone with
        `labels_only=True`). Pass `ignore_class=65535` to augmentation, statistics and
        training (`data.ignore_class`).

    Example:

    ```python
    train_ds = keras_rr.data.load_ade20k_full(
        "/data/ADE20K_2021_17_01", "training", shuffle=True, seed=0,
        augment=keras_rr.data.TrainAugmentation(512, ignore_class=65535), batch_size=16)
    ```
    """
    import tensorflow as tf

    options = LoaderOptions.resolve(options, "load_ade20k_full", **kwargs)
    if options.color_map is not None:
        raise ValueError("ADE20K-Full labels are class-id TIFFs: `color_map` does not apply. Received: color_map set")
    image_paths, label_paths = ade20k_full_files(data_dir, split)

    def load(image_path, label_path):
        label = tf.numpy_function(_read_tiff_label, [label_path], tf.int32, stateful=False)
        label.set_shape([None, None])
        if options.validate_labels:
            valid = tf.logical_or(label < ADE20K_FULL_NUM_CLASSES, tf.equal(label, ADE20K_FULL_IGNORE_CLASS))
            tf.debugging.Assert(
                tf.reduce_all(tf.logical_and(valid, label >= 0)),
                ["ADE20K-Full: label file holds values outside 0..846 (and 65535). File:", label_path,
                 "largest value:", tf.reduce_max(label)],
            )
        if options.labels_only:
            return label
        image = file_datasets.decode_image(tf.io.read_file(image_path), image_path)
        tf.debugging.Assert(
            tf.reduce_all(tf.equal(tf.shape(image)[:2], tf.shape(label))),
            ["Image and label sizes differ for", image_path, "image:", tf.shape(image), "label:", tf.shape(label)],
        )
        return image, label

    sources = tf.data.Dataset.from_tensor_slices((image_paths, label_paths))
    return file_datasets.build_pipeline(sources, options, len(image_paths), load)


def read_split_file(path):
    """The image file names of a split file (one per line; blank lines skipped)."""
    with open(path) as f:
        names = [line.strip() for line in f if line.strip()]
    if not names:
        raise ValueError(f"The split file {path} lists no images.")
    return names


def load_coco_stuff_lt(data_dir, split="train2017", split_file=None, options=None, **kwargs):
    """Loads COCO-Stuff-LT (LTSS's 40,679-image long-tailed COCO-Stuff training subset).

    Args:
        data_dir: str or path-like. The `coco_stuff_lt_40k` folder (or the folder holding
            it), or a COCO-Stuff164K folder in the same layout together with the split file.
        split: str. `"train2017"` (the LT subset) or `"val2017"` (all 5,000 validation
            images); `"train"`, `"val"` accepted. Defaults to `"train2017"`.
        split_file: str or None. LTSS's `coco-stuff-lt.txt`. Defaults to `None`: the
            file in `data_dir` if there, else every image of `images/train2017` (LTSS's
            prepared folder holds only the subset). Every listed image must exist.
        options: `keras_rr.data.LoaderOptions` or None. `validate_labels` rejects values
            other than 0..170 and 255. Defaults to `None`.
        **kwargs: `LoaderOptions` fields, overriding `options`.

    Returns:
        A `tf.data.Dataset` of `(image float32 (H, W, 3), label int32 (H, W))`, classes
        0..170, 255 ignored.

    Example:

    ```python
    train_ds = keras_rr.data.load_coco_stuff_lt("/data/coco_stuff_lt_40k", "train2017")
    ```
    """
    options = LoaderOptions.resolve(options, "load_coco_stuff_lt", **kwargs)
    root, split, image_dir, label_dir = file_datasets.standard_layout(
        data_dir, "coco_stuff_lt_40k", "COCO-Stuff-LT", split, _COCO_SPLITS
    )
    missing = (
        f"COCO-Stuff-LT not found: expected images/{split}/*.jpg and annotations/{split}/*.png under {root} "
        "(coco_stuff_lt_40k prepared as LTSS's prepare_coco_stuff_lt_40k_sem_seg.py does)."
    )
    image_paths, label_paths = file_datasets.list_pairs(image_dir, label_dir, (".jpg", ".jpeg"), ".png", missing)
    if split == "train2017":
        if split_file is None and os.path.isfile(os.path.join(root, COCO_STUFF_LT_SPLIT_FILE)):
            split_file = os.path.join(root, COCO_STUFF_LT_SPLIT_FILE)
        if split_file is not None:
            listed = read_split_file(split_file)
            by_name = {os.path.basename(p): i for i, p in enumerate(image_paths)}
            absent = [name for name in listed if name not in by_name]
            if absent:
                raise FileNotFoundError(
                    f"COCO-Stuff-LT: {len(absent)} images of the split file {split_file} are not in {image_dir} "
                    f"(with their labels), e.g. {absent[:3]}."
                )
            keep = sorted(by_name[name] for name in set(listed))
            image_paths = [image_paths[i] for i in keep]
            label_paths = [label_paths[i] for i in keep]
    table = file_datasets.LabelTable(
        *file_datasets.identity_lut(len(COCO_STUFF_LT_CLASS_NAMES)), "COCO-Stuff-LT", " 0..170 (and 255)"
    )
    return file_datasets.file_dataset(image_paths, label_paths, table, options)
