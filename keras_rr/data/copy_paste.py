"""Class copy-paste (LTSS, Li et al., TMM 2024): paste whole-class masks of another image.

After the destination and a source image have both been augmented and cropped to the
same size, the pixels of some of the source's classes overwrite the destination's image
and label, with no blending or rescaling. The source is drawn uniformly from the
training set. Which classes are pasted:

- `"random"`: k classes of the source, chosen without replacement, where k is drawn
  uniformly from `0 .. min(max_classes, n) - 1` and n is the number of classes in the
  source (NumPy's `randint(0, min(100, n))`, whose upper end is excluded, as LTSS
  draws it; a source with one class pastes nothing);
- `"rare"`: every source class on the rare-class list (`rare_classes`: LTSS's
  image-frequency "rare" tag).

The source's ignored pixels are never pasted. `CopyPaste` does the paste on tensors, in
the tf.data graph, with stateless draws (a pure function of its seed);
`TrainAugmentation(copy_paste=...)` augments the source like the destination and pastes;
the trainer (`data.copy_paste.mode`) draws the source index from the example's seed.
"""

import numpy as np

from keras_rr import validation

COPY_PASTE_MODES = ("none", "random", "rare")
# The image-frequency bound of the "rare" tag: the rare / common boundary of
# `keras_rr.metrics.frequency_groups` (`DEFAULT_BOUNDS[0]`; equal, tested). Not imported:
# `keras_rr.metrics` imports Keras, and `keras_rr.data` must stay light.
RARE_IMAGE_FREQUENCY = 0.01


def rare_classes(statistics, bound=RARE_IMAGE_FREQUENCY):
    """Class ids tagged rare by image frequency: `region_counts / num_images < bound`.

    The tag of `keras_rr.metrics.frequency_groups(statistics, by="image")` (a class
    absent from training is rare), i.e. the list LTSS's `rare` copy-paste reads from
    its dataset metadata. For ADE20K-Full and COCO-Stuff-LT, LTSS's own tags are
    `keras_rr.data.LTSS_IMAGE_FREQUENCY_TAGS`.

    Args:
        statistics: `keras_rr.data.ClassStatistics` of the training labels.
        bound: float in [0, 1]. Defaults to `0.01`.

    Returns:
        int32 NumPy array of class ids, ascending.

    Example:

    >>> keras_rr.data.rare_classes(stats)  # e.g. array([ 9, 10, 11], dtype=int32)
    """
    bound = validation.check_number(bound, "bound", 0.0, 1.0)
    n = int(statistics.num_images)
    if n <= 0:
        raise ValueError(f"Rare classes need statistics of at least one image. Received: num_images={n}")
    frequency = np.asarray(statistics.region_counts, dtype=np.float64) / n
    return np.flatnonzero(frequency < bound).astype(np.int32)


def _tf():
    import tensorflow as tf  # lazy: importing keras_rr.data must not import TF

    return tf


class CopyPaste:
    """Pastes whole-class masks of a source `(image, label)` onto a destination of the same size.

    LTSS's copy-paste (see the module docstring): `"random"` pastes k classes of the
    source chosen without replacement, k uniform in `0 .. min(max_classes, n) - 1`;
    `"rare"` pastes every source class in `rare_classes`. Image and label are
    overwritten under the union of the pasted masks.

    Draws (stateless, from the shape `(2,)` seed): `k` from
    `stateless_uniform([], s0, 0, max(min(max_classes, n), 1), int32)`, then the
    source's classes (ascending) are ordered by `stateless_uniform([n], s1)` and the
    first k are pasted; `s0, s1 = stateless_split(seed, 2)`.

    Args:
        mode: `"random"` or `"rare"`.
        max_classes: int >= 1. Most classes `"random"` may paste (LTSS: 100).
            Defaults to `100`.
        rare_classes: sequence of class ids, or None. The classes `"rare"` pastes
            (`keras_rr.data.rare_classes(statistics)`); required by `"rare"`.
            Defaults to `None`.
        ignore_class: int. Source pixels with this label are never pasted. Defaults
            to `255`.

    Example:

    ```python
    paste = keras_rr.data.CopyPaste("rare", rare_classes=keras_rr.data.rare_classes(stats))
    image, label = paste(image, label, source_image, source_label, seed=(0, 7))
    ```
    """

    def __init__(self, mode, max_classes=100, rare_classes=None, ignore_class=255):
        self.mode = validation.check_choice(mode, COPY_PASTE_MODES[1:], "mode")
        self.max_classes = validation.check_int(max_classes, "max_classes", minimum=1)
        self.ignore_class = validation.check_int(ignore_class, "ignore_class")
        if rare_classes is not None:
            rare = np.asarray(rare_classes).reshape(-1)
            if rare.size and (not np.issubdtype(rare.dtype, np.integer) or rare.min() < 0):
                raise ValueError(
                    f"`rare_classes` must be non-negative integer class ids. Received: rare_classes={rare_classes!r}"
                )
            rare_classes = tuple(int(c) for c in np.unique(rare))
        if self.mode == "rare" and rare_classes is None:
            raise ValueError(
                "Copy-paste mode 'rare' needs `rare_classes` (e.g. keras_rr.data.rare_classes(statistics)). "
                "Received: rare_classes=None"
            )
        self.rare_classes = rare_classes

    def classes(self, source_label, seed):
        """The class ids pasted from `source_label` (int32 `(m,)` tensor, any order)."""
        tf = _tf()
        values = tf.reshape(tf.cast(source_label, tf.int32), [-1])
        present = tf.sort(tf.unique(values)[0])
        present = tf.boolean_mask(present, tf.not_equal(present, self.ignore_class))
        if self.mode == "rare":
            rare = tf.constant(self.rare_classes or (), dtype=tf.int32)
            keep = tf.reduce_any(tf.equal(present[:, None], rare[None, :]), axis=1)
            return tf.boolean_mask(present, keep)
        count_seed, order_seed = tf.unstack(seed_split(seed))
        n = tf.size(present)
        k = tf.random.stateless_uniform(
            [], count_seed, minval=0, maxval=tf.maximum(tf.minimum(self.max_classes, n), 1), dtype=tf.int32
        )
        keys = tf.random.stateless_uniform([n], order_seed)
        return tf.gather(present, tf.argsort(keys, stable=True)[:k])

    def __call__(self, image, label, source_image, source_label, seed=None):
        """Pastes onto `(image, label)`; `label` `(H, W)` or `(H, W, 1)`, source the same size."""
        tf = _tf()
        chosen = self.classes(source_label, seed)
        image = tf.convert_to_tensor(image)
        label = tf.convert_to_tensor(label)
        source_label = tf.cast(tf.convert_to_tensor(source_label), label.dtype)
        pasted_label = tf.reshape(tf.cast(source_label, tf.int32), tf.shape(label))
        mask = tf.reduce_any(tf.equal(pasted_label[..., None], chosen), axis=-1)
        label = tf.where(mask, tf.cast(pasted_label, label.dtype), label)
        image_mask = mask if mask.shape.rank == 3 else mask[..., None]
        image = tf.where(image_mask, tf.cast(source_image, image.dtype), image)
        return image, label

    def get_config(self):
        """The constructor arguments as a dict."""
        return {
            "mode": self.mode,
            "max_classes": self.max_classes,
            "rare_classes": None if self.rare_classes is None else list(self.rare_classes),
            "ignore_class": self.ignore_class,
        }

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"CopyPaste({args})"


def seed_split(seed):
    """The two stateless seeds `(2, 2)` of `CopyPaste`'s draws (count, then order)."""
    tf = _tf()
    if seed is None:
        seed = tf.random.uniform([2], 0, 2**31 - 1, dtype=tf.int64)
    seed = tf.reshape(tf.cast(tf.convert_to_tensor(seed), tf.int64), [-1])
    if seed.shape[0] == 1:
        seed = tf.concat([seed, tf.zeros([1], tf.int64)], 0)
    return tf.random.experimental.stateless_split(seed, num=2)


def copy_paste_from_config(config, statistics=None, ignore_class=255):
    """A `CopyPaste` from a `data.copy_paste` config section, or None when off.

    Args:
        config: dict / `ml_collections.ConfigDict` with `mode` (`"none"`, `"random"`,
            `"rare"`) and `max_classes`; or None (off); or a `CopyPaste`, returned as is.
        statistics: `keras_rr.data.ClassStatistics` or None. Source of the rare classes
            (`rare_classes(statistics)`) for `mode="rare"`, unless the config lists
            them (`rare_classes`).
        ignore_class: int. Defaults to `255`.

    Returns:
        `CopyPaste` or None.

    Example:

    >>> copy_paste_from_config({"mode": "rare", "max_classes": 100}, stats)
    """
    if config is None or isinstance(config, CopyPaste):
        return config
    if hasattr(config, "to_dict"):
        config = config.to_dict()
    config = dict(config)
    mode = validation.check_choice(config.get("mode", "none"), COPY_PASTE_MODES, "copy_paste.mode")
    if mode == "none":
        return None
    rare = config.get("rare_classes")
    if mode == "rare" and rare is None:
        if statistics is None:
            raise ValueError("Copy-paste mode 'rare' needs class statistics or `rare_classes`. Received: neither")
        rare = rare_classes(statistics)
    return CopyPaste(
        mode, max_classes=config.get("max_classes", 100), rare_classes=rare,
        ignore_class=config.get("ignore_class", ignore_class),
    )
