"""`ClassStatistics`: per-class pixel and region counts, their JSON file, and F(k) lookup.

The container side of the class statistics (the streaming counter that fills it is
`keras_rr.data.compute_class_statistics`): validated counts with provenance, the JSON
format written by `save` / `python -m keras_rr.tools.dataset_stats` and read by `load`,
and `resolve_region_frequency`, which turns whatever a user passes as the region
frequency F(k) (a vector, a `ClassStatistics`, a JSON path) into counts. See
docs/method.md, section 2 for the definitions of n_k and F(k).
"""

import json
import math
import os

import numpy as np

from keras_rr import validation
from keras_rr.version import __version__

# Bump when the JSON layout changes; `load` refuses files from a newer format.
FORMAT_NAME = "keras_rr.ClassStatistics"
FORMAT_VERSION = 1


def _imbalance_factor(counts):
    positive = counts[counts > 0]
    if positive.size == 0:
        return float("nan")
    return float(positive.max()) / float(positive.min())


def _as_count_vector(values, name):
    """Validates a 1-D vector of non-negative integer counts; returns it read-only int64.

    `validation.check_counts` checks the shape, finiteness and sign; here the counts
    must also be whole numbers (not booleans) and name at least one class.
    """
    array = np.asarray(values)
    if array.dtype == bool or array.dtype.kind not in "iuf":
        raise ValueError(
            f"`{name}` must hold non-negative integers. Received: {name} with dtype {array.dtype}"
        )
    validation.check_counts(array, name)
    if array.size == 0:
        raise ValueError(f"`{name}` must hold at least one class. Received: {name}=[]")
    if not np.all(array == np.round(array)):
        raise ValueError(f"`{name}` must hold non-negative integers. Received: {name}={array.tolist()}")
    array = array.astype(np.int64)
    array.setflags(write=False)
    return array


def check_class_names(class_names, num_classes):
    """Returns `class_names` as a tuple of `num_classes` str (or None), else raises.

    Args:
        class_names: sequence of str or None.
        num_classes: int. Expected number of names.

    Returns:
        tuple of str, or None.

    Example:

    >>> check_class_names(["sky", "road"], 2)
    ('sky', 'road')
    """
    if class_names is None:
        return None
    if isinstance(class_names, str):
        raise ValueError(f"`class_names` must be a sequence of str. Received: class_names={class_names!r}")
    class_names = tuple(class_names)
    if len(class_names) != num_classes or not all(isinstance(n, str) for n in class_names):
        raise ValueError(
            f"`class_names` must be num_classes={num_classes} strings, one per class. "
            f"Received: {len(class_names)} names"
        )
    return class_names


# Per-image fields, written one image per line (indent=2 would give every id a line).
_PER_IMAGE_FIELDS = ("image_classes", "image_class_pixels")


def _dumps(config):
    """`config` as indented JSON, each image's list of a per-image field on one line."""
    config = dict(config)
    per_image = {key: config.pop(key) for key in _PER_IMAGE_FIELDS if key in config}
    text = json.dumps(config, indent=2)
    if not per_image:
        return text
    parts = []
    for key, rows in per_image.items():
        body = ",\n".join("    " + json.dumps(row, separators=(",", ":")) for row in rows)
        parts.append(f'  "{key}": [\n{body}\n  ]' if rows else f'  "{key}": []')
    return text[: -len("\n}")] + ",\n" + ",\n".join(parts) + "\n}"


def _json_int_lists(values, name):
    """A JSON list of lists of non-negative ints, unchanged (None stays None), else raises."""
    if values is None:
        return None
    if not isinstance(values, list) or not all(
        isinstance(row, list)
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in row)
        for row in values
    ):
        raise ValueError(f"`{name}` must be a list of lists of non-negative integers (one list per image).")
    return values


def _image_csr(image_classes, image_class_pixels, num_images, pixel_counts, region_counts):
    """Validates the per-image classes and pixels; returns read-only `(offsets, ids, pixels)` or None."""
    if (image_classes is None) != (image_class_pixels is None):
        raise ValueError(
            "`image_classes` and `image_class_pixels` are given together or not at all. "
            f"Received: image_classes is None: {image_classes is None}, "
            f"image_class_pixels is None: {image_class_pixels is None}"
        )
    if image_classes is None:
        return None
    image_classes, image_class_pixels = list(image_classes), list(image_class_pixels)
    if len(image_classes) != num_images or len(image_class_pixels) != num_images:
        raise ValueError(
            f"`image_classes` and `image_class_pixels` need one entry per image (num_images={num_images}). "
            f"Received: {len(image_classes)} and {len(image_class_pixels)} entries"
        )
    rows = [np.asarray(c, dtype=np.int64).reshape(-1) for c in image_classes]
    pixel_rows = [np.asarray(p, dtype=np.int64).reshape(-1) for p in image_class_pixels]
    lengths = np.array([r.size for r in rows], dtype=np.int64)
    if not np.array_equal(lengths, [p.size for p in pixel_rows]):
        i = int(np.flatnonzero(lengths != [p.size for p in pixel_rows])[0])
        raise ValueError(f"Image {i} lists {rows[i].size} classes but {pixel_rows[i].size} pixel counts.")
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    num_classes = pixel_counts.size
    ids = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    pixels = np.concatenate(pixel_rows) if pixel_rows else np.zeros(0, np.int64)
    for i, row in enumerate(rows):
        if row.size and (row.min() < 0 or row.max() >= num_classes or np.any(np.diff(row) <= 0)):
            raise ValueError(
                f"Image {i}'s classes must be ascending ids in [0, {num_classes}). Received: {row.tolist()}"
            )
    if pixels.size and pixels.min() <= 0:
        raise ValueError("`image_class_pixels` must be positive (a listed class has pixels).")
    if not np.array_equal(np.bincount(ids, minlength=num_classes), region_counts):
        raise ValueError("`image_classes` disagree with `region_counts` (images holding each class).")
    if not np.array_equal(np.bincount(ids, weights=pixels, minlength=num_classes), pixel_counts):
        raise ValueError("`image_class_pixels` disagree with `pixel_counts` (summed per class).")
    for array in (offsets, ids, pixels):
        array.setflags(write=False)
    return offsets, ids, pixels


class ClassStatistics:
    """Per-class pixel and region counts of a segmentation dataset, with provenance.

    Region Rebalance needs the region frequency F(k) of every class: the number of
    training images whose label map contains class k (docs/method.md, section 2). This container
    holds F(k) next to the pixel counts n_k, the number of images, and where the numbers
    came from (dataset, split, class names), and round-trips through a small JSON file
    so a long pass over a dataset is done once (`python -m keras_rr.tools.dataset_stats`).

    Compute it with `keras_rr.data.compute_class_statistics`, build it from known numbers
    with `ClassStatistics.from_counts`, or read it with `ClassStatistics.load`.

    Imbalance factors follow the paper: max_k N_k / min_k N_k over the classes with
    N_k > 0 (absent classes are skipped); `nan` when no class has a positive count, and
    1.0 when exactly one class does.

    Args:
        pixel_counts: array-like `(K,)` of non-negative ints. Labeled pixels per class.
        region_counts: array-like `(K,)` of non-negative ints. Images containing each
            class, F(k). Each must be `<= num_images`, and positive exactly where the
            pixel count is positive (a region is a non-empty set of pixels).
        num_images: int. Number of label maps counted.
        class_names: sequence of `K` str or None. Defaults to `None`.
        dataset_name: str or None. Provenance, e.g. `"ade20k"`. Defaults to `None`.
        split: str or None. Provenance, e.g. `"training"`. Defaults to `None`.
        ignore_class: int or None. The label value that was not counted. Defaults to
            `255`.
        num_ignored_pixels: int or None. Pixels equal to `ignore_class`. Defaults to
            `None` (unknown).
        max_classes_per_image: int or None. The largest number of classes one label
            map holds; `RegionRebalanceHead` classifies that many regions per image
            instead of K (a crop never holds more classes than its image). Defaults to
            `None` (unknown).
        image_classes: sequence of `num_images` int sequences, or None. The classes
            each image holds (ascending ids), image `i` being the loader's file `i`;
            needed by `keras_rr.data.repeat_factors`. Defaults to `None` (not
            recorded; files written before keras_rr recorded them load this way).
        image_class_pixels: sequence of `num_images` int sequences, or None. The
            labeled pixels of each class in `image_classes`, entry for entry (the
            per-image pixel fractions of `repeat_factors(frequency="pixel")`). Given
            exactly when `image_classes` is. Defaults to `None`.

    Example:

    ```python
    stats = keras_rr.data.compute_class_statistics(train_ds, num_classes=150)
    stats.save("stats/ade20k_training.json")
    stats = keras_rr.data.ClassStatistics.load("stats/ade20k_training.json")
    print(stats.pixel_imbalance_factor, stats.region_imbalance_factor)
    model = keras_rr.models.RegionRebalanceSegmenter(
        segmenter, num_classes=150, region_frequency=stats)
    ```
    """

    def __init__(
        self, pixel_counts, region_counts, num_images, class_names=None, dataset_name=None, split=None,
        ignore_class=255, num_ignored_pixels=None, max_classes_per_image=None, image_classes=None,
        image_class_pixels=None,
    ):
        pixel_counts = _as_count_vector(pixel_counts, "pixel_counts")
        region_counts = _as_count_vector(region_counts, "region_counts")
        if pixel_counts.shape != region_counts.shape:
            raise ValueError(
                "`pixel_counts` and `region_counts` must have one entry per class. "
                f"Received: len(pixel_counts)={pixel_counts.size}, "
                f"len(region_counts)={region_counts.size}"
            )
        num_images = validation.check_int(num_images, "num_images", minimum=0)
        too_many = np.flatnonzero(region_counts > num_images)
        if too_many.size:
            k = int(too_many[0])
            raise ValueError(
                "A region count cannot exceed the number of images (a class is counted at "
                f"most once per image). Class {k} has region count {int(region_counts[k])} "
                f"> num_images={num_images}."
            )
        inconsistent = np.flatnonzero((pixel_counts > 0) != (region_counts > 0))
        if inconsistent.size:
            k = int(inconsistent[0])
            raise ValueError(
                "Pixel and region counts disagree on which classes occur: class "
                f"{k} has pixel count {int(pixel_counts[k])} but region count "
                f"{int(region_counts[k])}."
            )
        class_names = check_class_names(class_names, pixel_counts.size)
        ignore_class = validation.check_ignore_class(ignore_class)
        num_ignored_pixels = validation.check_int(
            num_ignored_pixels, "num_ignored_pixels", minimum=0, allow_none=True
        )
        present = int(np.count_nonzero(region_counts))
        max_classes_per_image = validation.check_int(
            max_classes_per_image, "max_classes_per_image", minimum=0, maximum=present, allow_none=True
        )
        if max_classes_per_image == 0 and present:
            raise ValueError(
                "`max_classes_per_image` is 0 but some class occurs. Received: max_classes_per_image=0"
            )
        self._max_classes_per_image = max_classes_per_image
        self._image_csr = _image_csr(
            image_classes, image_class_pixels, num_images, pixel_counts, region_counts
        )
        self._pixel_counts = pixel_counts
        self._region_counts = region_counts
        self._num_images = num_images
        self._class_names = class_names
        self._dataset_name = None if dataset_name is None else str(dataset_name)
        self._split = None if split is None else str(split)
        self._ignore_class = ignore_class
        self._num_ignored_pixels = num_ignored_pixels

    @classmethod
    def from_counts(
        cls, pixel_counts, region_counts, num_images=None, class_names=None, dataset_name=None, split=None,
        ignore_class=255, num_ignored_pixels=None, max_classes_per_image=None, image_classes=None,
        image_class_pixels=None,
    ):
        """Builds statistics from known counts (lists, tuples or arrays).

        Args:
            pixel_counts: array-like `(K,)` of non-negative ints.
            region_counts: array-like `(K,)` of non-negative ints.
            num_images: int or None. Defaults to `max(region_counts)`, the smallest
                image count the region counts allow.
            class_names: as in the constructor.
            dataset_name: as in the constructor.
            split: as in the constructor.
            ignore_class: as in the constructor.
            num_ignored_pixels: as in the constructor.
            max_classes_per_image: as in the constructor.
            image_classes: as in the constructor.
            image_class_pixels: as in the constructor.

        Returns:
            A `ClassStatistics`.

        Example:

        ```python
        stats = keras_rr.data.ClassStatistics.from_counts(
            pixel_counts=[9000, 300, 12], region_counts=[40, 10, 2], num_images=40)
        ```
        """
        region_array = _as_count_vector(region_counts, "region_counts")
        if num_images is None:
            num_images = int(region_array.max())
        return cls(
            pixel_counts=pixel_counts,
            region_counts=region_array,
            num_images=num_images,
            class_names=class_names,
            dataset_name=dataset_name,
            split=split,
            ignore_class=ignore_class,
            num_ignored_pixels=num_ignored_pixels,
            max_classes_per_image=max_classes_per_image,
            image_classes=image_classes,
            image_class_pixels=image_class_pixels,
        )

    @property
    def has_image_classes(self):
        """bool: whether the classes of each image were recorded (`image_classes`)."""
        return self._image_csr is not None

    @property
    def image_class_csr(self):
        """`(offsets (N+1,), class_ids, pixels)` int64 arrays, or None when not recorded.

        Image `i` holds classes `class_ids[offsets[i]:offsets[i + 1]]` (ascending) with
        `pixels[offsets[i]:offsets[i + 1]]` labeled pixels each (read-only).
        """
        return self._image_csr

    @property
    def image_classes(self):
        """list of `N` int64 arrays (the classes of each image), or None when not recorded."""
        if self._image_csr is None:
            return None
        offsets, ids, _ = self._image_csr
        return np.split(ids, offsets[1:-1])

    @property
    def image_class_pixels(self):
        """list of `N` int64 arrays (pixels of each of `image_classes`), or None."""
        if self._image_csr is None:
            return None
        offsets, _, pixels = self._image_csr
        return np.split(pixels, offsets[1:-1])

    @property
    def max_classes_per_image(self):
        """int or None: the largest number of classes in one label map."""
        return self._max_classes_per_image

    @property
    def pixel_counts(self):
        """int64 array `(K,)`: labeled pixels of each class, n_k (read-only)."""
        return self._pixel_counts

    @property
    def region_counts(self):
        """int64 array `(K,)`: images containing each class, F(k) (read-only)."""
        return self._region_counts

    @property
    def num_images(self):
        """int: number of label maps counted."""
        return self._num_images

    @property
    def num_classes(self):
        """int: number of classes K."""
        return int(self._pixel_counts.size)

    @property
    def class_names(self):
        """tuple of str or None."""
        return self._class_names

    @property
    def dataset_name(self):
        """str or None."""
        return self._dataset_name

    @property
    def split(self):
        """str or None."""
        return self._split

    @property
    def ignore_class(self):
        """int or None: the label value that was not counted."""
        return self._ignore_class

    @property
    def num_ignored_pixels(self):
        """int or None: pixels equal to `ignore_class` (None when unknown)."""
        return self._num_ignored_pixels

    @property
    def num_labeled_pixels(self):
        """int: total of `pixel_counts`."""
        return int(self._pixel_counts.sum())

    @property
    def pixel_imbalance_factor(self):
        """float: PIF, max/min pixel count over present classes (nan if none)."""
        return _imbalance_factor(self._pixel_counts)

    @property
    def region_imbalance_factor(self):
        """float: RIF, max/min region count over present classes (nan if none)."""
        return _imbalance_factor(self._region_counts)

    @property
    def pixel_frequencies(self):
        """float64 array `(K,)`: share of labeled pixels per class (zeros if none)."""
        total = self._pixel_counts.sum()
        if total == 0:
            return np.zeros(self.num_classes, dtype=np.float64)
        return self._pixel_counts / float(total)

    @property
    def region_frequencies(self):
        """float64 array `(K,)`: share of images containing each class, F(k)/N."""
        if self._num_images == 0:
            return np.zeros(self.num_classes, dtype=np.float64)
        return self._region_counts / float(self._num_images)

    @property
    def absent_classes(self):
        """int array: classes that never occur (count 0)."""
        return np.flatnonzero(self._region_counts == 0)

    def to_dict(self):
        """Returns the JSON-ready dict that `save` writes (plain Python types)."""
        def _finite_or_none(value):
            return None if math.isnan(value) else value

        config = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "keras_rr_version": __version__,
            "dataset": self._dataset_name,
            "split": self._split,
            "num_images": self._num_images,
            "num_classes": self.num_classes,
            "ignore_class": self._ignore_class,
            "num_ignored_pixels": self._num_ignored_pixels,
            "max_classes_per_image": self._max_classes_per_image,
            "class_names": None if self._class_names is None else list(self._class_names),
            "pixel_counts": [int(c) for c in self._pixel_counts],
            "region_counts": [int(c) for c in self._region_counts],
            # Derived, written for people reading the file; `load` recomputes them.
            "pixel_imbalance_factor": _finite_or_none(self.pixel_imbalance_factor),
            "region_imbalance_factor": _finite_or_none(self.region_imbalance_factor),
        }
        if self._image_csr is not None:
            # Per image (the loader's file order): its class ids, and their labeled pixels.
            config["image_classes"] = [c.tolist() for c in self.image_classes]
            config["image_class_pixels"] = [p.tolist() for p in self.image_class_pixels]
        return config

    @classmethod
    def from_dict(cls, config, num_classes=None, source="dict"):
        """Builds statistics from a dict written by `to_dict`, validating every field.

        Args:
            config: dict, as written by `to_dict` / `save`.
            num_classes: int or None. When given, the class count the caller expects;
                a different count raises. Defaults to `None`.
            source: str. Named in error messages (the file path for `load`).

        Returns:
            A `ClassStatistics`.
        """
        if not isinstance(config, dict):
            raise ValueError(
                f"Class statistics in {source} must be a JSON object. "
                f"Received: {type(config).__name__}"
            )
        fmt = config.get("format", FORMAT_NAME)
        if fmt != FORMAT_NAME:
            raise ValueError(
                f"{source} is not a keras_rr class statistics file. "
                f"Received: format={fmt!r}, expected {FORMAT_NAME!r}"
            )
        try:
            version = validation.check_int(config.get("format_version"), "format_version", minimum=1)
            if version > FORMAT_VERSION:
                raise ValueError(
                    f"format_version={version} is newer than this keras_rr understands "
                    f"({FORMAT_VERSION}). Upgrade keras_rr."
                )
            for key in ("pixel_counts", "region_counts", "num_images"):
                if config.get(key) is None:
                    raise ValueError(f"missing `{key}`.")
            for key in ("pixel_counts", "region_counts"):
                # Stricter than the constructor: a JSON file holds plain integers only.
                values = config[key]
                if not isinstance(values, list) or not all(
                    isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values
                ):
                    raise ValueError(f"`{key}` must be a list of non-negative integers. Received: {key}={values!r}")
            stored_classes = validation.check_int(
                config.get("num_classes", len(config["pixel_counts"])), "num_classes", minimum=1
            )
            for key in ("pixel_counts", "region_counts"):
                if len(config[key]) != stored_classes:
                    raise ValueError(
                        f"the file declares num_classes={stored_classes} but `{key}` has "
                        f"{len(config[key])} entries."
                    )
            if num_classes is not None and stored_classes != validation.check_num_classes(num_classes):
                raise ValueError(
                    f"the file holds statistics for {stored_classes} classes, but "
                    f"num_classes={num_classes} was expected."
                )
            return cls(
                pixel_counts=config["pixel_counts"],
                region_counts=config["region_counts"],
                num_images=config["num_images"],
                class_names=config.get("class_names"),
                dataset_name=config.get("dataset"),
                split=config.get("split"),
                ignore_class=config.get("ignore_class", 255),
                num_ignored_pixels=config.get("num_ignored_pixels"),
                max_classes_per_image=config.get("max_classes_per_image"),
                image_classes=_json_int_lists(config.get("image_classes"), "image_classes"),
                image_class_pixels=_json_int_lists(config.get("image_class_pixels"), "image_class_pixels"),
            )
        except ValueError as error:
            raise ValueError(f"Invalid class statistics in {source}: {error}") from None

    def save(self, path):
        """Writes the statistics and their provenance to a JSON file.

        Creates missing parent directories.

        Args:
            path: str or path-like. Destination `.json` file.

        Returns:
            The path written, as a str.

        Example:

        ```python
        stats.save("stats/ade20k_training.json")
        ```
        """
        path = os.fspath(path)
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(_dumps(self.to_dict()))
            f.write("\n")
        return path

    @classmethod
    def load(cls, path, num_classes=None):
        """Reads and validates a statistics JSON file written by `save`.

        Args:
            path: str or path-like.
            num_classes: int or None. Expected class count; a file with another count
                raises. Defaults to `None` (any count).

        Returns:
            A `ClassStatistics`.

        Raises:
            FileNotFoundError: the file does not exist.
            ValueError: the file is not valid JSON, misses counts, has a wrong class
                count, negative counts, or a region count above the image count.

        Example:

        ```python
        stats = keras_rr.data.ClassStatistics.load("stats/ade20k_training.json",
                                                   num_classes=150)
        ```
        """
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"Class statistics file not found: {path}. Write one with "
                "`python -m keras_rr.tools.dataset_stats --output=...`."
            )
        with open(path, "r", encoding="utf-8") as f:
            text = f.read()
        try:
            config = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"Class statistics file {path} is not valid JSON: {error}") from None
        return cls.from_dict(config, num_classes=num_classes, source=path)

    def summary(self, max_rows=None):
        """Returns a short human-readable report (provenance, PIF/RIF, per-class rows).

        Args:
            max_rows: int or None. Print at most this many class rows, most frequent
                first. Defaults to `None` (all classes).

        Returns:
            str.
        """
        lines = [
            f"dataset={self._dataset_name} split={self._split} images={self._num_images} "
            f"classes={self.num_classes} ignore_class={self._ignore_class}",
            f"pixel imbalance factor (PIF): {self.pixel_imbalance_factor:.1f}",
            f"region imbalance factor (RIF): {self.region_imbalance_factor:.1f}",
        ]
        if self._max_classes_per_image is not None:
            lines.append(f"most classes in one image: {self._max_classes_per_image}")
        if self.absent_classes.size:
            lines.append(f"absent classes: {self.absent_classes.tolist()}")
        order = np.argsort(-self._pixel_counts, kind="stable")
        if max_rows is not None:
            order = order[:max_rows]
        lines.append(f"{'class':>5}  {'name':<24} {'pixels':>14} {'regions':>9}")
        for k in order:
            name = self._class_names[k] if self._class_names else ""
            lines.append(
                f"{int(k):>5}  {name[:24]:<24} {int(self._pixel_counts[k]):>14} "
                f"{int(self._region_counts[k]):>9}"
            )
        return "\n".join(lines)

    def __repr__(self):
        return (
            f"ClassStatistics(dataset_name={self._dataset_name!r}, split={self._split!r}, "
            f"num_classes={self.num_classes}, num_images={self._num_images}, "
            f"pixel_imbalance_factor={self.pixel_imbalance_factor:.4g}, "
            f"region_imbalance_factor={self.region_imbalance_factor:.4g})"
        )


def resolve_region_frequency(region_frequency, num_classes):
    """Turns a frequency vector, a `ClassStatistics` or a statistics JSON path into counts.

    Args:
        region_frequency: array-like `(K,)`, an object with `region_counts` (such as
            `keras_rr.data.ClassStatistics`), or a path to a statistics JSON file.
        num_classes: int. Expected number of classes.

    Returns:
        List of `K` floats (F(k), number of training images containing class k).

    Example:

    >>> resolve_region_frequency("stats/ade20k_train.json", 150)
    """
    if isinstance(region_frequency, (str, os.PathLike)):
        region_frequency = ClassStatistics.load(region_frequency, num_classes=num_classes)
    if hasattr(region_frequency, "region_counts"):
        region_frequency = region_frequency.region_counts
    counts = validation.check_counts(region_frequency, "region_frequency", num_classes)
    return [float(c) for c in counts]
