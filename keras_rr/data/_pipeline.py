"""Shared tf.data plumbing of the file-based loaders (private).

TensorFlow is imported inside the functions: `import keras_rr.data` must not import it.
"""

import inspect
import os

import numpy as np

IGNORE_CLASS = 255
# How many example names an error message lists.
_MAX_LISTED = 5


def resolve_root(data_dir, subdir, dataset):
    """Returns `data_dir`, or `data_dir/subdir` when the archive folder was not entered."""
    if data_dir is None:
        raise ValueError(f"{dataset}: `data_dir` is required. Received: data_dir=None")
    data_dir = os.path.abspath(os.path.expanduser(os.fspath(data_dir)))
    if not os.path.isdir(data_dir):
        raise FileNotFoundError(f"{dataset} not found: directory {data_dir} does not exist.")
    nested = os.path.join(data_dir, subdir)
    if not os.path.isdir(os.path.join(data_dir, "images")) and os.path.isdir(nested):
        return nested
    return data_dir


def canonical_split(split, aliases, dataset):
    """Maps a split name or one of its aliases to the on-disk name."""
    for name, names in aliases.items():
        if split in names:
            return name
    choices = sorted(n for names in aliases.values() for n in names)
    raise ValueError(f"Unknown {dataset} split. Expected one of {choices}. Received: split={split!r}")


def _files_with_suffix(directory, suffixes):
    suffixes = tuple(s.lower() for s in suffixes)
    if not os.path.isdir(directory):
        return []
    return sorted(
        name
        for name in os.listdir(directory)
        if name.lower().endswith(suffixes) and os.path.isfile(os.path.join(directory, name))
    )


def _strip_suffix(name, suffixes):
    lower = name.lower()
    # Longest suffix first so "_labelTrainIds.png" wins over ".png".
    for suffix in sorted(suffixes, key=len, reverse=True):
        if lower.endswith(suffix.lower()):
            return name[: len(name) - len(suffix)]
    return name


def list_pairs(
    image_dir,
    label_dir,
    image_suffix,
    label_suffix,
    missing_message,
    exclude_label_suffix=None,
):
    """Pairs image and label files by stem.

    Args:
        image_dir, label_dir: directories.
        image_suffix: tuple of accepted image suffixes (case-insensitive).
        label_suffix: the label suffix, stripped to get the stem.
        missing_message: FileNotFoundError text when either side has no files.
        exclude_label_suffix: label files ending with this are skipped.

    Returns:
        Two sorted lists of paths, `(image_paths, label_paths)`.
    """
    if isinstance(image_suffix, str):
        image_suffix = (image_suffix,)
    images = _files_with_suffix(image_dir, image_suffix)
    labels = _files_with_suffix(label_dir, (label_suffix,))
    if exclude_label_suffix:
        labels = [n for n in labels if not n.lower().endswith(exclude_label_suffix.lower())]
    if not images or not labels:
        raise FileNotFoundError(missing_message)
    image_by_stem = {}
    for name in images:
        stem = _strip_suffix(name, image_suffix)
        if stem in image_by_stem:
            raise ValueError(
                f"Two images share the stem {stem!r} in {image_dir}: "
                f"{image_by_stem[stem]} and {name}."
            )
        image_by_stem[stem] = name
    label_by_stem = {_strip_suffix(name, (label_suffix,)): name for name in labels}
    no_label = sorted(set(image_by_stem) - set(label_by_stem))
    no_image = sorted(set(label_by_stem) - set(image_by_stem))
    if no_label or no_image:
        parts = []
        if no_label:
            parts.append(
                f"{len(no_label)} image(s) in {image_dir} have no '*{label_suffix}' label in "
                f"{label_dir}, e.g. {no_label[:_MAX_LISTED]}"
            )
        if no_image:
            parts.append(
                f"{len(no_image)} label(s) in {label_dir} have no image in {image_dir}, "
                f"e.g. {no_image[:_MAX_LISTED]}"
            )
        raise ValueError("Image and label files do not pair up by name: " + "; ".join(parts))
    stems = sorted(image_by_stem)
    return (
        [os.path.join(image_dir, image_by_stem[s]) for s in stems],
        [os.path.join(label_dir, label_by_stem[s]) for s in stems],
    )


def check_label_png(path):
    """Rejects palette and 16-bit label PNGs, which TF would decode to wrong class ids."""
    with open(path, "rb") as f:
        header = f.read(26)
    if len(header) < 26 or header[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"Label file {path} is not a PNG image.")
    bit_depth, color_type = header[24], header[25]
    if color_type == 3:
        raise ValueError(
            f"Label file {path} is a palette PNG: TensorFlow decodes palettes to colours, "
            "not class indices. Save labels as 8-bit grayscale PNGs (PIL mode 'L')."
        )
    if bit_depth != 8:
        raise ValueError(
            f"Label file {path} has {bit_depth}-bit channels; 8-bit grayscale PNGs are "
            "expected."
        )


def identity_lut(num_classes=None, ignore_class=IGNORE_CLASS):
    """`(lut, valid)` tables for labels already in [0, K) plus `ignore_class`."""
    lut = np.arange(256, dtype=np.int32)
    if num_classes is None:
        valid = np.ones(256, dtype=bool)
    else:
        valid = np.zeros(256, dtype=bool)
        valid[: min(num_classes, 256)] = True
        if ignore_class is not None and 0 <= ignore_class < 256:
            valid[ignore_class] = True
    return lut, valid


def _accepts_seed(fn):
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "seed" in parameters or any(
        p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


def apply_augment(dataset, augment, seed):
    """Maps `augment` over `(image, label)` elements, with per-element seeds if it takes them."""
    import tensorflow as tf

    from keras_rr.data.augmentation import augmentation_from_config

    augment = augmentation_from_config(augment)
    if augment is None:
        return dataset
    if _accepts_seed(augment):
        # One stateless seed pair per element: reproducible for a given `seed`, and
        # different every epoch (a fixed sequence would repeat the same crops).
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        dataset = tf.data.Dataset.zip((dataset, seeds))
        return dataset.map(
            lambda pair, s: augment(pair[0], pair[1], seed=s),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return dataset.map(augment, num_parallel_calls=tf.data.AUTOTUNE)


def finish(dataset, batch_size):
    import tensorflow as tf

    if batch_size is not None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or (
            batch_size < 1
        ):
            raise ValueError(
                f"`batch_size` must be a positive int or None. Received: batch_size={batch_size!r}"
            )
        dataset = dataset.batch(int(batch_size))
    return dataset.prefetch(tf.data.AUTOTUNE)


def decode_label(contents, lut, valid, source, dataset, validate_labels, hint=""):
    """Decodes an 8-bit label PNG to int32 `(H, W)` through `lut`, rejecting invalid ids."""
    import tensorflow as tf

    # The first channel holds the class id (grayscale PNGs have only that channel).
    raw = tf.cast(tf.io.decode_png(contents, channels=0)[..., 0], tf.int32)
    if validate_labels:
        ok = tf.reduce_all(tf.gather(tf.constant(valid), raw))
        bad_value = tf.reduce_max(tf.where(tf.gather(tf.constant(valid), raw), -1, raw))
        tf.debugging.Assert(
            ok,
            [f"{dataset}: label file holds values outside the expected ids{hint}. File:",
             source, "first invalid value (largest):", bad_value],
        )
    return tf.gather(tf.constant(lut), raw)


def decode_image(contents):
    import tensorflow as tf

    image = tf.io.decode_image(contents, channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return tf.cast(image, tf.float32)


def check_same_size(image, label, source):
    import tensorflow as tf

    tf.debugging.Assert(
        tf.reduce_all(tf.equal(tf.shape(image)[:2], tf.shape(label)[:2])),
        ["Image and label sizes differ for", source, "image:", tf.shape(image),
         "label:", tf.shape(label)],
    )


def file_dataset(
    image_paths,
    label_paths,
    lut,
    valid,
    dataset_name,
    shuffle=False,
    seed=None,
    augment=None,
    batch_size=None,
    labels_only=False,
    validate_labels=True,
    hint="",
):
    """Builds the `(image, label)` tf.data pipeline over paired files."""
    import tensorflow as tf

    if labels_only and augment is not None:
        raise ValueError(
            "`augment` needs images; it cannot be combined with `labels_only=True`. "
            f"Received: augment={augment!r}"
        )
    check_label_png(label_paths[0])
    dataset = tf.data.Dataset.from_tensor_slices((image_paths, label_paths))
    if shuffle:
        # Shuffling paths is cheap, so the buffer can hold the whole split.
        dataset = dataset.shuffle(len(image_paths), seed=seed, reshuffle_each_iteration=True)

    def load(image_path, label_path):
        label = decode_label(
            tf.io.read_file(label_path), lut, valid, label_path, dataset_name,
            validate_labels, hint,
        )
        if labels_only:
            return label
        image = decode_image(tf.io.read_file(image_path))
        check_same_size(image, label, image_path)
        return image, label

    dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = apply_augment(dataset, augment, seed)
    return finish(dataset, batch_size)
