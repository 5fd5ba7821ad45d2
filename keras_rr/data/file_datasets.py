"""File-based datasets: `LoaderOptions` and the pipeline every loader shares.

Every `(image, label)` loader of keras_rr (`load_ade20k`, `load_ade20k_tfds`,
`load_coco_stuff164k`, `load_segmentation_directory`, and
`synthetic_long_tailed_dataset` for its last steps) builds its `tf.data` pipeline here:

1. sources: paired image/label files (`list_pairs`) or encoded TFDS examples;
2. `shuffle` (of the sources, so the buffer holds paths or encoded bytes);
3. decode (`decode_example`): the label PNG (read as `keras_rr.data.label_png` says:
   grayscale, equal-channel RGB, palette indices, or colours through `color_map`)
   through a `LabelTable` (raw value -> training id, and which raw values are valid),
   the image as float32 RGB; a file that is not a complete PNG/JPEG fails naming it;
4. augment (`keras_rr.data.augmentation_from_config`, one seed pair per element);
5. resize to `image_size` (images bilinear, labels nearest), so batches have a static
   shape;
6. `batch` (images of different sizes fail with an error naming `image_size`),
   `prefetch`.

The file loaders' datasets remember their files (`dataset_files`), so
`keras_rr.data.compute_class_statistics` can check every file in one pass.

What a caller may set about steps 2-5 is one `LoaderOptions` object, which the loaders
also accept as keyword arguments (`load_ade20k(root, shuffle=True, batch_size=16)`).

TensorFlow is imported inside the functions: `import keras_rr.data` must not import it.

Example:

```python
options = keras_rr.data.LoaderOptions(shuffle=True, seed=0, batch_size=16,
                                      augment={"crop_size": 512})
train_ds = keras_rr.data.load_ade20k("/data/ADEChallengeData2016", "training", options)
```
"""

import dataclasses
import inspect
import os

import numpy as np

from keras_rr import validation
from keras_rr.data.augmentation import augmentation_from_config
from keras_rr.data.augmentation import resize_nearest
from keras_rr.data.elements import extract_label
from keras_rr.data.elements import split_element
from keras_rr.data.label_png import PNG_END
from keras_rr.data.label_png import PNG_SIGNATURE
from keras_rr.data.label_png import check_color_map
from keras_rr.data.label_png import decode_label_values
from keras_rr.data.label_png import png_header
from keras_rr.data.repeat_factors import repeat_factor_epoch

IGNORE_CLASS = 255
# How many example names an error message lists.
_MAX_LISTED = 5


def _check_repeat_factors(value):
    if value is None:
        return None
    factors = np.asarray(value, dtype=np.float64)
    if factors.ndim != 1 or factors.size == 0 or not np.all(np.isfinite(factors)) or factors.min() < 0:
        raise ValueError(
            "`repeat_factors` must be a non-empty 1-D sequence of finite factors >= 0, one per example. "
            f"Received: repeat_factors with shape {factors.shape}"
        )
    return tuple(float(f) for f in factors)


def _sampled_sources(sources, factors, seed):
    """`sources` in repeat-factor sampled order, a new draw every pass (epoch)."""
    import tensorflow as tf

    count = int(sources.cardinality())
    if count != len(factors):
        raise ValueError(
            f"`repeat_factors` needs one factor per example: {len(factors)} factors for {count} examples."
        )
    factors = np.asarray(factors)

    def epoch_indices(epoch_seed):
        return repeat_factor_epoch(factors, int(epoch_seed), 0)

    # One seed per pass: reproducible for a given `seed`, new every epoch.
    epoch_seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
    indices = epoch_seeds.flat_map(
        lambda s: tf.data.Dataset.from_tensor_slices(tf.numpy_function(epoch_indices, [s], tf.int64, stateful=False))
    )
    return indices.map(lambda i: tf.data.experimental.at(sources, i), num_parallel_calls=tf.data.AUTOTUNE)


def _check_image_size(value):
    if value is None:
        return None
    size = (value, value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    try:
        size = tuple(validation.check_int(v, "image_size", minimum=1) for v in size)
    except (TypeError, ValueError):
        size = ()
    if len(size) != 2:
        raise ValueError(
            "`image_size` must be an int or an (height, width) pair of positive ints. "
            f"Received: image_size={value!r}"
        )
    return size


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"`{name}` must be a bool. Received: {name}={value!r}")
    return bool(value)


@dataclasses.dataclass(frozen=True)
class LoaderOptions:
    """How a loader shuffles, augments, batches and checks its `(image, label)` elements.

    One object instead of the same six keyword arguments on every loader. Each loader
    takes `options=` and also the fields as keyword arguments, which override the
    object's: `load_ade20k(root, options=opts, batch_size=8)`.

    Args:
        shuffle: bool. Shuffle the examples each epoch. Defaults to `False`.
        seed: int or None. Seed of the shuffle and of the augmentation. Defaults to
            `None`.
        augment: None, a callable `(image, label[, seed]) -> (image, label)` such as
            `keras_rr.data.TrainAugmentation`, or a dict / `ConfigDict` of
            `TrainAugmentation` arguments (converted by
            `keras_rr.data.augmentation_from_config`). Applied per example. Defaults
            to `None`.
        batch_size: int or None. Batch the examples (images must then share a size,
            e.g. through a crop in `augment`). Defaults to `None` (un-batched).
        labels_only: bool. Yield only labels, without reading images (for
            statistics); cannot be combined with `augment`. Defaults to `False`.
        validate_labels: bool. Fail on label values the dataset does not define
            instead of mapping them to the ignore value. Defaults to `True`.
        image_size: None, an int or `(height, width)`. Resize every example to this
            size after `augment` (images bilinear, labels nearest, so no new label
            values), which gives batches a static shape: what fixed-size segmenters
            (KerasHub DeepLabV3, SegFormer) need to trace on TensorFlow, and what lets
            images of different sizes be batched. Labels-only datasets are resized
            too. Evaluate at the labels' own size with `image_size=None` and
            `batch_size=None`. Defaults to `None` (sizes as stored).
        color_map: None or a dict `{(r, g, b): label value}` (keys may also be
            `"r,g,b"` or `"#rrggbb"` strings, as config files need). Read coloured
            label PNGs: each colour becomes its value, then the dataset's own label
            mapping applies. A colour the map does not list fails, naming the file
            and the colour; map it to `255` to ignore it. Without it, coloured labels
            fail (see `keras_rr.data.label_png`). Stored as a sorted tuple of
            `((r, g, b), value)` pairs. Defaults to `None`.
        repeat_factors: None or a float sequence `(N,)`, one factor >= 0 per example
            in the loader's order, e.g. `keras_rr.data.repeat_factors(stats, 0.001)`.
            Repeat-factor sampling: each pass over the dataset (epoch) holds example i
            floor(r_i) times plus once with probability frac(r_i), shuffled (so
            `shuffle` is implied); the draw comes from `seed` and changes every
            epoch (`keras_rr.data.repeat_factor_epoch`). Needs a source with random
            access (the file loaders, `synthetic_long_tailed_dataset`); the dataset's
            length then varies per epoch (cardinality unknown). Stored as a tuple of
            floats. Defaults to `None` (no sampling).

    Example:

    ```python
    options = keras_rr.data.LoaderOptions(
        shuffle=True, seed=0, augment=keras_rr.data.TrainAugmentation(512), batch_size=16)
    train_ds = keras_rr.data.load_ade20k(root, "training", options)
    ```
    """

    shuffle: bool = False
    seed: object = None
    augment: object = None
    batch_size: object = None
    labels_only: bool = False
    validate_labels: bool = True
    image_size: object = None
    color_map: object = None
    repeat_factors: object = None

    def __post_init__(self):
        augment = augmentation_from_config(self.augment)
        values = {
            "shuffle": _check_bool(self.shuffle, "shuffle"),
            "seed": validation.check_int(self.seed, "seed", allow_none=True),
            "augment": augment,
            "batch_size": validation.check_int(self.batch_size, "batch_size", minimum=1, allow_none=True),
            "labels_only": _check_bool(self.labels_only, "labels_only"),
            "validate_labels": _check_bool(self.validate_labels, "validate_labels"),
            "image_size": _check_image_size(self.image_size),
            "color_map": check_color_map(self.color_map),
            "repeat_factors": _check_repeat_factors(self.repeat_factors),
        }
        if values["labels_only"] and augment is not None:
            raise ValueError(
                "`augment` needs images; it cannot be combined with `labels_only=True`. "
                f"Received: augment={self.augment!r}"
            )
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @classmethod
    def resolve(cls, options=None, caller="loader", **kwargs):
        """Returns the options a loader runs with: `options` updated by `kwargs`.

        Args:
            options: `LoaderOptions` or None (the defaults).
            caller: str. The loader's name, used in error messages.
            **kwargs: `LoaderOptions` fields; they override the fields of `options`.

        Returns:
            A `LoaderOptions`.

        Raises:
            TypeError: a keyword is not a `LoaderOptions` field, or `options` is not a
                `LoaderOptions`.

        Example:

        >>> LoaderOptions.resolve(None, "load_ade20k", batch_size=4).batch_size
        4
        """
        if options is None:
            options = cls()
        elif not isinstance(options, cls):
            raise TypeError(
                f"`options` of {caller} must be a keras_rr.data.LoaderOptions or None. "
                f"Received: options={options!r}"
            )
        fields = tuple(field.name for field in dataclasses.fields(cls))
        unknown = sorted(set(kwargs) - set(fields))
        if unknown:
            raise TypeError(
                f"Unrecognized keyword arguments passed to {caller}: {unknown}. Expected the "
                f"dataset's own arguments or LoaderOptions fields {fields}."
            )
        return dataclasses.replace(options, **kwargs) if kwargs else options


@dataclasses.dataclass(frozen=True)
class LabelTable:
    """How a dataset's stored label values become training ids.

    Args:
        lut: int32 NumPy array `(256,)`. Training id of each stored 8-bit value.
        valid: bool NumPy array `(256,)`. Stored values the dataset defines; others
            fail when `LoaderOptions.validate_labels` is on.
        dataset_name: str. Named in error messages.
        hint: str. The valid values in words, appended to error messages.
        red_channel: bool. Labels are RGB and the class is the red channel, whatever
            the others hold (TFDS `scene_parse150` keeps instance ids there); else
            coloured labels are rejected or go through `color_map`. Defaults to
            `False`.

    Example:

    >>> table = LabelTable(*identity_lut(num_classes=3), "toy", " [0, 3) (and 255)")
    """

    lut: np.ndarray
    valid: np.ndarray
    dataset_name: str
    hint: str = ""
    red_channel: bool = False


def resolve_root(data_dir, subdir, dataset):
    """Returns `data_dir`, or `data_dir/subdir` when the archive folder was not entered.

    Args:
        data_dir: str or path-like.
        subdir: str. The folder name of the unpacked archive.
        dataset: str. Named in error messages.

    Returns:
        str. An absolute path.

    Example:

    >>> resolve_root("/data", "ADEChallengeData2016", "ADE20K")
    '/data/ADEChallengeData2016'
    """
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
    """Maps a split name or one of its aliases to the on-disk name.

    Args:
        split: str.
        aliases: dict `{on-disk name: accepted names}`.
        dataset: str. Named in error messages.

    Returns:
        str.

    Example:

    >>> canonical_split("val", {"validation": ("validation", "val")}, "ADE20K")
    'validation'
    """
    for name, names in aliases.items():
        if split in names:
            return name
    choices = sorted(n for names in aliases.values() for n in names)
    raise ValueError(f"Unknown {dataset} split. Expected one of {choices}. Received: split={split!r}")


def standard_layout(data_dir, archive, dataset, split, aliases):
    """Finds `images/{split}` and `annotations/{split}` of an mmsegmentation-style dataset.

    Args:
        data_dir: str or path-like. The dataset folder or the folder holding it.
        archive: str. The dataset folder's name (see `resolve_root`).
        dataset: str. Named in error messages.
        split: str. A split name or alias.
        aliases: dict `{on-disk name: accepted names}`.

    Returns:
        `(root, split, image_dir, label_dir)`: str paths and the on-disk split name.

    Example:

    >>> root, split, image_dir, label_dir = standard_layout(
    ...     "/data", "ADEChallengeData2016", "ADE20K", "val", {"validation": ("val",)})
    """
    root = resolve_root(data_dir, archive, dataset)
    split = canonical_split(split, aliases, dataset)
    return root, split, os.path.join(root, "images", split), os.path.join(root, "annotations", split)


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


def _unpaired_error(image_dir, label_dir, label_suffix, no_label, no_image):
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
    return ValueError("Image and label files do not pair up by name: " + "; ".join(parts))


def list_pairs(image_dir, label_dir, image_suffix, label_suffix, missing_message, exclude_label_suffix=None):
    """Pairs image and label files by stem (the name without its suffix).

    Args:
        image_dir: str. Folder of images.
        label_dir: str. Folder of labels.
        image_suffix: str or tuple of str. Accepted image suffixes (case-insensitive).
        label_suffix: str. The label suffix, stripped to get the stem.
        missing_message: str. `FileNotFoundError` text when either side has no files.
        exclude_label_suffix: str or None. Label files ending with this are skipped.
            Defaults to `None`.

    Returns:
        Two sorted lists of paths, `(image_paths, label_paths)`.

    Example:

    >>> images, labels = list_pairs("data/img", "data/lab", (".jpg",), ".png", "no data")
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
                f"Two images share the stem {stem!r} in {image_dir}: {image_by_stem[stem]} and {name}."
            )
        image_by_stem[stem] = name
    label_by_stem = {_strip_suffix(name, (label_suffix,)): name for name in labels}
    no_label = sorted(set(image_by_stem) - set(label_by_stem))
    no_image = sorted(set(label_by_stem) - set(image_by_stem))
    if no_label or no_image:
        raise _unpaired_error(image_dir, label_dir, label_suffix, no_label, no_image)
    stems = sorted(image_by_stem)
    return (
        [os.path.join(image_dir, image_by_stem[s]) for s in stems],
        [os.path.join(label_dir, label_by_stem[s]) for s in stems],
    )


def check_label_png(path):
    """Rejects a label file the loaders cannot read as class ids, before any pipeline runs.

    Palette PNGs are read by their indices and RGB PNGs with equal channels as
    grayscale (`keras_rr.data.label_png`); this header check catches what can be seen
    without decoding: not a PNG, or 16-bit channels. Coloured pixels are checked when
    the loader decodes them.

    Args:
        path: str. A label file.

    Example:

    >>> check_label_png("annotations/training/ADE_train_00000001.png")
    """
    with open(path, "rb") as f:
        header = f.read(33)
    _, _, bit_depth, _ = png_header(header, path)
    if bit_depth == 16:
        raise ValueError(
            f"Label file {path} has 16-bit channels; 8-bit grayscale or palette PNGs are expected "
            "(convert with PIL: Image.fromarray(ids.astype(np.uint8), mode='L').save(path))."
        )


def valid_values(count, ignore_class=IGNORE_CLASS):
    """Bool table `(256,)` of the 8-bit label values `0..count-1` and `ignore_class`.

    Args:
        count: int. Number of valid values from 0.
        ignore_class: int or None. Also valid. Defaults to `255`.

    Returns:
        bool NumPy array `(256,)`.

    Example:

    >>> valid = valid_values(151)  # ADE20K raw values 0..150 and 255
    """
    valid = np.zeros(256, dtype=bool)
    valid[: min(count, 256)] = True
    if ignore_class is not None and 0 <= ignore_class < 256:
        valid[ignore_class] = True
    return valid


def lut_from_raw_ids(raw_ids, ignore_class=IGNORE_CLASS):
    """Lookup table `(256,)` sending the listed raw values to `0, 1, ...` in order.

    Every other 8-bit value goes to `ignore_class`.

    Args:
        raw_ids: sequence of ints in [0, 256). Raw value of training id 0, 1, ...
        ignore_class: int. Defaults to `255`.

    Returns:
        int32 NumPy array `(256,)`.

    Example:

    >>> lut = lut_from_raw_ids(range(1, 151))  # ADE20K: raw 0 ignored, k -> k - 1
    """
    raw_ids = list(raw_ids)
    lut = np.full(256, ignore_class, dtype=np.int32)
    lut[raw_ids] = np.arange(len(raw_ids), dtype=np.int32)
    return lut


def identity_lut(num_classes=None, ignore_class=IGNORE_CLASS):
    """`(lut, valid)` tables for labels already stored as training ids.

    Args:
        num_classes: int or None. When given, only `[0, num_classes)` and
            `ignore_class` are valid; else every 8-bit value is. Defaults to `None`.
        ignore_class: int or None. Defaults to `255`.

    Returns:
        `(lut int32 (256,), valid bool (256,))`.

    Example:

    >>> lut, valid = identity_lut(num_classes=150)
    """
    valid = np.ones(256, dtype=bool) if num_classes is None else valid_values(num_classes, ignore_class)
    return np.arange(256, dtype=np.int32), valid


def _accepts_seed(fn):
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "seed" in parameters or any(p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def apply_augment(dataset, augment, seed, source_of=None):
    """Maps `augment` over `(image, label)` elements, with per-element seeds if it takes them.

    Args:
        dataset: `tf.data.Dataset` of un-batched `(image, label)`.
        augment: anything `keras_rr.data.augmentation_from_config` accepts.
        seed: int or None. Seed of the per-element seed stream.
        source_of: callable `seed -> (image, label)` or None. The example a
            copy-pasting augmentation (`TrainAugmentation(copy_paste=...)`) pastes from,
            drawn from the element's seed. Defaults to `None`.

    Returns:
        A `tf.data.Dataset`.

    Example:

    >>> dataset = apply_augment(dataset, {"crop_size": 512}, seed=0)
    """
    import tensorflow as tf

    augment = augmentation_from_config(augment)
    if augment is None:
        return dataset
    if _accepts_seed(augment):
        # One stateless seed pair per element: reproducible for a given `seed`, and
        # different every epoch (a fixed sequence would repeat the same crops).
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        dataset = tf.data.Dataset.zip((dataset, seeds))
        if source_of is not None:
            return dataset.map(
                lambda element, s: augment(*split_element(element), seed=s, source=source_of(s)),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
        return dataset.map(
            lambda element, s: augment(*split_element(element), seed=s),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return dataset.map(augment, num_parallel_calls=tf.data.AUTOTUNE)


def resize_example(element, image_size):
    """Resizes an `(image, label)` pair (or a label) to `image_size`.

    Images bilinear (float32), labels nearest (`keras_rr.data.resize_nearest`), so a
    label holds no value it did not hold before.

    Args:
        element: `(image (H, W, C), label (H, W))` tensors, or a label `(H, W)`.
        image_size: `(height, width)` ints.

    Returns:
        The same structure at `image_size`, with a static shape.

    Example:

    >>> image, label = resize_example((image, label), (512, 512))
    """
    import tensorflow as tf

    def resize_label(label):
        resized = resize_nearest(label[..., None], image_size)[..., 0]
        return tf.ensure_shape(resized, tuple(image_size))

    if not isinstance(element, tuple):
        return resize_label(element)
    image, label = split_element(element)
    image = tf.image.resize(tf.cast(image, tf.float32), image_size, method="bilinear")
    image = tf.ensure_shape(image, tuple(image_size) + (image.shape[-1],))
    return image, resize_label(label)


def _check_one_size(dataset, batch_size):
    """Fails with an error naming `image_size` when examples of one batch differ in size.

    Mirrors `batch`: the examples `i * batch_size ...` form batch `i`, so a batch of one
    (or a dataset of one size) never fails.
    """
    import tensorflow as tf

    spec = extract_label(dataset.element_spec)
    if batch_size == 1 or (spec.shape.rank is not None and spec.shape.rank >= 2 and None not in spec.shape[:2]):
        return dataset

    def check(state, element):
        position, first = state[0], state[1:]
        size = tf.shape(extract_label(element))[:2]
        first = tf.where(tf.equal(position, 0), size, first)
        tf.debugging.Assert(
            tf.reduce_all(tf.equal(size, first)),
            ["Examples of different sizes cannot be batched: an example of size", size,
             "follows one of size", first, ". Set `image_size=` (a keras_rr.data.LoaderOptions field, also a "
             "loader keyword and a `data.loader_kwargs` entry) to resize every example, crop with "
             "`augment={'crop_size': ...}`, or use `batch_size=1` / None."],
        )
        return tf.concat([[(position + 1) % batch_size], first], 0), element

    return dataset.scan(tf.constant([0, -1, -1]), check)


def build_pipeline(sources, options, shuffle_buffer_size, load=None):
    """Shuffles `sources`, maps `load` over them, augments, resizes, batches and prefetches.

    The one pipeline of every loader: the file loaders, `load_ade20k_tfds` and
    `synthetic_long_tailed_dataset` differ only in their sources and `load`.

    Args:
        sources: `tf.data.Dataset` of what `load` reads (paths, encoded examples) or,
            with `load=None`, of `(image, label)` already.
        options: `LoaderOptions`.
        shuffle_buffer_size: int. Elements held by the shuffle buffer (used with
            `options.shuffle`).
        load: callable or None. Maps one source element to `(image, label)` (or a
            label with `options.labels_only`). Defaults to `None` (no map).

    Returns:
        A `tf.data.Dataset`.

    Example:

    >>> sources = tf.data.Dataset.from_tensor_slices((images, labels))
    >>> dataset = build_pipeline(sources, LoaderOptions(batch_size=8), len(images))
    """
    import tensorflow as tf

    augment = augmentation_from_config(options.augment)
    source_of = None
    if getattr(augment, "copy_paste", None) is not None:
        source_of = _copy_paste_sources(sources, load)
    if options.repeat_factors is not None:
        sources = _sampled_sources(sources, options.repeat_factors, options.seed)
    elif options.shuffle:
        sources = sources.shuffle(shuffle_buffer_size, seed=options.seed, reshuffle_each_iteration=True)
    dataset = sources if load is None else sources.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = apply_augment(dataset, augment, options.seed, source_of)
    if options.image_size is not None:
        size = options.image_size
        dataset = dataset.map(lambda *element: resize_example(element if len(element) > 1 else element[0], size),
                              num_parallel_calls=tf.data.AUTOTUNE)
    if options.batch_size is not None:
        dataset = _check_one_size(dataset, options.batch_size).batch(options.batch_size)
    return dataset.prefetch(tf.data.AUTOTUNE)


def _copy_paste_sources(sources, load):
    """`seed -> (image, label)`: a source example drawn uniformly (copy-paste), read by index."""
    import tensorflow as tf

    count = int(sources.cardinality())
    try:
        tf.data.experimental.at(sources, 0)
    except tf.errors.OpError:  # no random access (e.g. TFDS records)
        count = -1
    if count < 1:
        raise ValueError(
            "Copy-paste draws its source examples by index and needs a source with random access and a known "
            "size: the keras_rr file loaders and in-memory arrays have one, TFDS records do not. "
            f"Received: a source of cardinality {int(sources.cardinality())}"
        )

    def source_of(seed):
        seed = tf.random.experimental.stateless_fold_in(tf.cast(seed, tf.int64), 3)
        index = tf.random.stateless_uniform([], seed, minval=0, maxval=count, dtype=tf.int64)
        element = tf.data.experimental.at(sources, index)
        if load is None:
            return split_element(element)
        return load(*element) if isinstance(element, tuple) else load(element)

    return source_of


def file_damage(contents, kind="label"):
    """What is wrong with a file's bytes that TensorFlow's decoder would report without a name.

    Graph-safe and cheap (a few bytes compared): a label must be a PNG that ends with
    the PNG end chunk (a truncated download does not); an image must start like a
    PNG, JPEG, GIF or BMP, and a PNG image must end with the end chunk. Damage inside
    complete files is found by decoding them (`keras_rr.data.compute_class_statistics`
    with `validate=True`).

    Args:
        contents: scalar string tensor.
        kind: `"label"` or `"image"`.

    Returns:
        scalar string tensor, `""` when nothing is wrong.

    Example:

    >>> tf.debugging.Assert(tf.equal(file_damage(data), ""), [path, file_damage(data)])
    """
    import tensorflow as tf

    is_png = tf.equal(tf.strings.substr(contents, 0, 8), PNG_SIGNATURE)
    tail = tf.strings.substr(contents, tf.maximum(tf.strings.length(contents) - 8, 0), 8)
    complete = tf.equal(tail, PNG_END)
    truncated = tf.where(
        tf.logical_and(is_png, tf.logical_not(complete)),
        "is truncated or damaged: it does not end with the PNG end chunk (IEND)", "",
    )
    if kind == "label":
        return tf.where(is_png, truncated, "is not a PNG file (labels must be PNG files)")
    head = tf.strings.substr(contents, 0, 3)
    known = tf.reduce_any(tf.stack([
        is_png, tf.equal(head, b"\xff\xd8\xff"), tf.equal(head, b"GIF"), tf.equal(tf.strings.substr(contents, 0, 2), b"BM"),
    ]))
    return tf.where(known, truncated, "is not a JPEG, PNG, GIF or BMP image")


def _assert_no_problem(problem, prefix, source):
    import tensorflow as tf

    return tf.debugging.Assert(tf.equal(problem, ""), [prefix, source, problem])


def decode_label(contents, table, source, validate_labels=True, color_map=None):
    """Decodes a label PNG to int32 `(H, W)` through `table`, rejecting invalid ids.

    How the file's pixels become stored values (grayscale, equal-channel RGB,
    palette indices, `color_map`) is `keras_rr.data.label_png.decode_label_values`;
    a file it cannot read fails here, naming `source`.

    Args:
        contents: scalar string tensor, the encoded PNG.
        table: `LabelTable`.
        source: scalar string tensor naming the file, for error messages.
        validate_labels: bool. Fail (when the element is read) on values `table`
            does not define. Defaults to `True`.
        color_map: as `LoaderOptions.color_map`. Defaults to `None`.

    Returns:
        int32 tensor `(H, W)`.

    Example:

    >>> label = decode_label(tf.io.read_file(path), table, path)
    """
    import tensorflow as tf

    damage = _assert_no_problem(file_damage(contents, "label"), f"{table.dataset_name}: label file", source)
    with tf.control_dependencies([damage]):
        raw, problem = decode_label_values(contents, check_color_map(color_map), table.red_channel)
    with tf.control_dependencies([_assert_no_problem(problem, f"{table.dataset_name}: label file", source)]):
        raw = tf.identity(raw)
    if validate_labels:
        is_valid = tf.gather(tf.constant(table.valid), raw)
        tf.debugging.Assert(
            tf.reduce_all(is_valid),
            [f"{table.dataset_name}: label file holds values outside the expected ids{table.hint}. File:",
             source, "first invalid value (largest):", tf.reduce_max(tf.where(is_valid, -1, raw))],
        )
    return tf.gather(tf.constant(table.lut), raw)


def decode_image(contents, source=None):
    """Decodes a JPEG or PNG to float32 `(H, W, 3)` in [0, 255].

    Args:
        contents: scalar string tensor.
        source: scalar string tensor or None. Names the file when its bytes are not a
            complete image (see `file_damage`). Defaults to `None` (no check).

    Returns:
        float32 tensor `(H, W, 3)`.

    Example:

    >>> image = decode_image(tf.io.read_file("images/a.jpg"))
    """
    import tensorflow as tf

    checks = [] if source is None else [_assert_no_problem(file_damage(contents, "image"), "Image file", source)]
    with tf.control_dependencies(checks):
        image = tf.io.decode_image(contents, channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return tf.cast(image, tf.float32)


def decode_example(image_contents, label_contents, table, options, label_source, image_source=None):
    """Decodes one `(image, label)` pair (or the label alone with `options.labels_only`).

    Args:
        image_contents: scalar string tensor or None (with `labels_only`).
        label_contents: scalar string tensor.
        table: `LabelTable`.
        options: `LoaderOptions`.
        label_source: scalar string tensor naming the label, for error messages.
        image_source: scalar string tensor naming the image. Defaults to
            `label_source`.

    Returns:
        `(image float32 (H, W, 3), label int32 (H, W))`, or the label.

    Example:

    >>> image, label = decode_example(image_bytes, label_bytes, table, options, label_path)
    """
    import tensorflow as tf

    label = decode_label(label_contents, table, label_source, options.validate_labels, options.color_map)
    if options.labels_only:
        return label
    source = label_source if image_source is None else image_source
    image = decode_image(image_contents, source)
    tf.debugging.Assert(
        tf.reduce_all(tf.equal(tf.shape(image)[:2], tf.shape(label)[:2])),
        ["Image and label sizes differ for", source, "image:", tf.shape(image), "label:", tf.shape(label)],
    )
    return image, label


@dataclasses.dataclass(frozen=True)
class DatasetFiles:
    """The files behind a file loader's dataset, and how it reads them.

    Kept on the dataset a file loader returns (`dataset_files(dataset)`) so that
    `keras_rr.data.compute_class_statistics` can check every file once.

    Args:
        image_paths: tuple of str.
        label_paths: tuple of str, paired with `image_paths`.
        table: `LabelTable`.
        options: `LoaderOptions`.
    """

    image_paths: tuple
    label_paths: tuple
    table: LabelTable
    options: LoaderOptions


_FILES_ATTRIBUTE = "_keras_rr_dataset_files"


def dataset_files(dataset):
    """The `DatasetFiles` of a dataset returned by a file loader, else None.

    Only the loader's own dataset carries them: `dataset.take(10)` or `.map(...)` is
    another dataset, whose elements the files no longer describe.

    Args:
        dataset: anything.

    Returns:
        `DatasetFiles` or None.

    Example:

    >>> dataset_files(keras_rr.data.load_ade20k(root, labels_only=True)).label_paths[:1]
    """
    return getattr(dataset, _FILES_ATTRIBUTE, None)


def file_dataset(image_paths, label_paths, table, options):
    """The `(image, label)` dataset of paired files.

    Args:
        image_paths: list of str.
        label_paths: list of str, paired with `image_paths`.
        table: `LabelTable`.
        options: `LoaderOptions`.

    Returns:
        A `tf.data.Dataset`, carrying its `DatasetFiles` (see `dataset_files`).

    Example:

    >>> ds = file_dataset(*list_pairs(...), LabelTable(*identity_lut(3), "toy"), LoaderOptions())
    """
    import tensorflow as tf

    check_label_png(label_paths[0])

    def load(image_path, label_path):
        image_contents = None if options.labels_only else tf.io.read_file(image_path)
        return decode_example(image_contents, tf.io.read_file(label_path), table, options, label_path, image_path)

    sources = tf.data.Dataset.from_tensor_slices((image_paths, label_paths))
    # Shuffling paths is cheap, so the buffer holds the whole split.
    dataset = build_pipeline(sources, options, len(image_paths), load)
    setattr(dataset, _FILES_ATTRIBUTE, DatasetFiles(tuple(image_paths), tuple(label_paths), table, options))
    return dataset
