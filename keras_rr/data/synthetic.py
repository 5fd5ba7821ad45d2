"""A synthetic long-tailed segmentation dataset that needs no download.

Scenes are "stuff" regions (warped Voronoi cells) covering the image, with small
"thing" shapes pasted on top. Class k occurs in an image with probability
`(k + 1) ** -a` (a power law, most frequent class first). Small, rare things make the
pixel imbalance factor much larger than the region imbalance factor, as on ADE20K
(paper Fig. 5: PIF 827 vs RIF 282). Each thing copies the colour (shifted) and texture
of a frequent stuff class, so rebalancing pixels invites false positives on that look-
alike class. See `keras_rr.data.SyntheticSpec` for the class definitions.

Pure NumPy, deterministic for a seed, and fast (600 images of 64x64 in well under a
second on one core).
"""

import numpy as np

from keras_rr import validation
from keras_rr.data.file_datasets import IGNORE_CLASS
from keras_rr.data.file_datasets import LoaderOptions
from keras_rr.data.file_datasets import build_pipeline
from keras_rr.data.synthetic_spec import SyntheticSpec
# Thing half-sizes in pixels for 64 px images; scaled with `image_size`.
_THING_HALF_SIZE = (4.0, 8.0)
# Probability that a thing sits on its context class (when present in the image).
_CONTEXT_PROBABILITY = 0.8


def _shape_mask(shape, dy, dx, r):
    """Boolean mask of `shape` with half-size `r` on offsets `dy`, `dx` from its centre."""
    ady, adx = np.abs(dy), np.abs(dx)
    dist2 = dy * dy + dx * dx
    if shape == "disc":
        return dist2 <= r * r
    if shape == "square":
        return (ady <= 0.85 * r) & (adx <= 0.85 * r)
    if shape == "triangle":
        return (ady <= r) & (adx <= (dy + r) / 2.0)
    if shape == "bar":
        return (ady <= 0.4 * r) & (adx <= 1.3 * r)
    if shape == "pillar":
        return (adx <= 0.4 * r) & (ady <= 1.3 * r)
    if shape == "ring":
        return (dist2 <= r * r) & (dist2 >= (0.5 * r) ** 2)
    if shape == "cross":
        return ((ady <= 0.35 * r) & (adx <= r)) | ((adx <= 0.35 * r) & (ady <= r))
    if shape == "diamond":
        return ady + adx <= r
    if shape == "ellipse":
        return (dx / (1.3 * r)) ** 2 + (dy / (0.65 * r)) ** 2 <= 1.0
    if shape == "corner":
        return ((adx <= r) & (dy >= 0.35 * r) & (dy <= r)) | (
            (dx >= -r) & (dx <= -0.35 * r) & (ady <= r)
        )
    if shape == "half_disc":
        return (dist2 <= r * r) & (dy >= 0)
    if shape == "frame":
        edge = np.maximum(ady, adx)
        return (edge <= r) & (edge >= 0.55 * r)
    raise ValueError(f"Unknown shape. Received: shape={shape!r}")


def _stuff_layout(rng, spec, size, yy, xx):
    """Label map of stuff classes: warped Voronoi cells, class 0 always present."""
    present = [0] + [
        s for s in range(1, spec.num_stuff_classes) if rng.random() < spec.image_frequencies[s]
    ]
    num_cells = len(present) + int(rng.integers(0, 3))
    cell_classes = np.asarray(present + list(rng.choice(present, num_cells - len(present))))
    centres = rng.uniform(0, size, size=(num_cells, 2))
    # Sinusoidal warping gives organic, non-polygonal region borders.
    amplitude = size * rng.uniform(0.03, 0.08)
    wy = yy + amplitude * np.sin(xx * rng.uniform(0.05, 0.2) * 64 / size + rng.uniform(0, 6.3))
    wx = xx + amplitude * np.sin(yy * rng.uniform(0.05, 0.2) * 64 / size + rng.uniform(0, 6.3))
    dist = (wy[..., None] - centres[:, 0]) ** 2 + (wx[..., None] - centres[:, 1]) ** 2
    return cell_classes[np.argmin(dist, axis=-1)]


def _paste_things(rng, spec, label, size):
    scale = size / 64.0
    for k in spec.thing_classes:
        if rng.random() >= spec.image_frequencies[k]:
            continue
        num_instances = 1 + int(rng.random() < 0.3)
        context = spec.contexts[k]
        for _ in range(num_instances):
            r = rng.uniform(*_THING_HALF_SIZE) * scale
            candidates = np.flatnonzero(label == context) if rng.random() < _CONTEXT_PROBABILITY else None
            if candidates is not None and candidates.size:
                cy, cx = divmod(int(rng.choice(candidates)), size)
            else:
                cy, cx = (int(v) for v in rng.integers(0, size, size=2))
            reach = int(np.ceil(1.35 * r))
            y0, y1 = max(cy - reach, 0), min(cy + reach + 1, size)
            x0, x1 = max(cx - reach, 0), min(cx + reach + 1, size)
            dy = np.arange(y0, y1)[:, None] - cy + 0.0
            dx = np.arange(x0, x1)[None, :] - cx + 0.0
            window = label[y0:y1, x0:x1]
            window[_shape_mask(spec.shapes[k], dy, dx, r)] = k


def _render(rng, spec, label, size, yy, xx, noise, texture_amplitude):
    image = np.empty((size, size, 3), dtype=np.float64)
    scale = size / 64.0
    for k in np.unique(label):
        mask = label == k
        angle = spec.orientations[k]
        coord = yy[mask] * np.sin(angle) + xx[mask] * np.cos(angle)
        stripes = texture_amplitude * np.sin(
            2 * np.pi * coord / (spec.periods[k] * scale) + rng.uniform(0, 2 * np.pi)
        )
        image[mask] = spec.colors[k] + stripes[:, None]
    # Global illumination change, then sensor noise.
    image = image * rng.uniform(0.9, 1.1) + rng.uniform(-10, 10)
    image += rng.normal(0.0, noise * 255.0, size=image.shape)
    return np.clip(image, 0.0, 255.0)


def _mark_boundaries(label):
    """Sets pixels whose right or lower neighbour has another class to the ignore value."""
    boundary = np.zeros(label.shape, dtype=bool)
    boundary[:, :-1] |= label[:, :-1] != label[:, 1:]
    boundary[:-1, :] |= label[:-1, :] != label[1:, :]
    label[boundary] = IGNORE_CLASS


def synthetic_long_tailed(
    num_images=600, image_size=64, num_classes=12, imbalance=30.0, noise=0.06, num_stuff_classes=4,
    color_jitter=40.0, texture_amplitude=14.0, ignore_boundaries=True, seed=0, class_seed=0, return_spec=False,
):
    """Generates a long-tailed segmentation dataset in memory (NumPy, deterministic).

    Knobs, from easiest to hardest setting:
    - `imbalance`: ratio of the most to the least frequent class's image frequency
      (class k is in an image with probability `(k+1)^-a`, class 0 in all of them), so
      about the region imbalance factor. Larger is more long-tailed.
    - `color_jitter`: RGB distance between a rare "thing" class and the frequent
      "stuff" class it imitates. Smaller makes them harder to tell apart.
    - `noise`: std of per-pixel Gaussian noise, as a fraction of 255.
    - `texture_amplitude`: strength of the stripe texture shared by a thing and its
      look-alike stuff class.
    - `ignore_boundaries`: 1-pixel region boundaries labeled 255, like the unlabeled
      seams of real annotations.

    Images with the same `seed` and index are identical whatever `num_images` is
    (each image has its own random stream), and `class_seed` fixes what classes look
    like, so use a different `seed` and the same `class_seed` for a validation set.

    Args:
        num_images: int. Defaults to `600`.
        image_size: int. Height and width in pixels. Defaults to `64`.
        num_classes: int >= 2. Defaults to `12`.
        imbalance: float >= 1. Defaults to `30.0`.
        noise: float >= 0. Defaults to `0.06`.
        num_stuff_classes: int in [1, num_classes). Background classes (the most
            frequent ones). Defaults to `4`.
        color_jitter: float >= 0. Defaults to `40.0`.
        texture_amplitude: float >= 0. Defaults to `14.0`.
        ignore_boundaries: bool. Defaults to `True`.
        seed: int. Seed of the images. Defaults to `0`.
        class_seed: int. Seed of the class definitions. Defaults to `0`.
        return_spec: bool. Also return the `keras_rr.data.SyntheticSpec`. Defaults to
            `False`.

    Returns:
        `(images, labels)`: float32 `(N, H, W, 3)` in [0, 255] and int32 `(N, H, W)`
        with classes `0..K-1` and 255 ignored; plus the spec with `return_spec=True`.

    Example:

    ```python
    x_train, y_train = keras_rr.data.synthetic_long_tailed(600, seed=0)
    x_val, y_val = keras_rr.data.synthetic_long_tailed(200, seed=1)
    stats = keras_rr.data.compute_class_statistics(y_train, num_classes=12)
    assert stats.pixel_imbalance_factor > stats.region_imbalance_factor
    ```
    """
    num_images = validation.check_int(num_images, "num_images", minimum=0)
    size = validation.check_int(image_size, "image_size", minimum=8)
    validation.check_number(noise, "noise", minimum=0)
    validation.check_number(texture_amplitude, "texture_amplitude", minimum=0)
    spec = SyntheticSpec.build(
        num_classes=num_classes,
        num_stuff_classes=num_stuff_classes,
        imbalance=imbalance,
        color_jitter=color_jitter,
        class_seed=class_seed,
    )
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    images = np.empty((num_images, size, size, 3), dtype=np.float32)
    labels = np.empty((num_images, size, size), dtype=np.int32)
    for i in range(num_images):
        rng = np.random.default_rng([seed, i])
        label = _stuff_layout(rng, spec, size, yy, xx)
        _paste_things(rng, spec, label, size)
        images[i] = _render(rng, spec, label, size, yy, xx, noise, texture_amplitude)
        if ignore_boundaries:
            _mark_boundaries(label)
        labels[i] = label
    if return_spec:
        return images, labels, spec
    return images, labels


def synthetic_long_tailed_dataset(num_images=600, shuffle=False, augment=None, batch_size=None, seed=0, **kwargs):
    """`synthetic_long_tailed` as a `tf.data.Dataset` of `(image, label)`.

    Args:
        num_images: int. Defaults to `600`.
        shuffle: bool. Shuffle each epoch (seeded by `seed`). Defaults to `False`.
        augment: None, callable or `TrainAugmentation` config dict, as in
            `keras_rr.data.LoaderOptions`. Defaults to `None`.
        batch_size: int or None. Defaults to `None`.
        seed: int. Seed of the images, the shuffle and the augmentation. Defaults to `0`.
        **kwargs: other `synthetic_long_tailed` arguments (`image_size`,
            `num_classes`, `imbalance`, ...).

    Returns:
        A `tf.data.Dataset` of `(image float32 (H, W, 3), label int32 (H, W))`.

    Example:

    ```python
    train_ds = keras_rr.data.synthetic_long_tailed_dataset(
        600, shuffle=True, batch_size=16, seed=0)
    ```
    """
    import tensorflow as tf

    # Validated before the images are generated.
    options = LoaderOptions(shuffle=shuffle, seed=seed, augment=augment, batch_size=batch_size)
    kwargs.pop("return_spec", None)
    images, labels = synthetic_long_tailed(num_images=num_images, seed=seed, **kwargs)
    sources = tf.data.Dataset.from_tensor_slices((images, labels))
    return build_pipeline(sources, options, max(num_images, 1))
