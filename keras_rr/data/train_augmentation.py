"""`TrainAugmentation`: the paper's training augmentation as one tf.data callable."""

from keras_rr.data import augmentation

_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")


class TrainAugmentation:
    """Random resize, crop, flip, photometric jitter and pad, as in the paper's recipe.

    The mmsegmentation training pipeline of the Region Rebalance paper (method.md §6):
    `random_resize` (ratio 0.5-2.0), `random_crop` to `crop_size` with
    `cat_max_ratio`, `random_flip`, `photometric_distortion`, then `pad_to_size`
    (image with 0, label with `ignore_class`), so every output has exactly
    `crop_size`. Normalisation is left to the model's preprocessing.

    Call it on one un-batched `(image, label)` pair, e.g. through
    `dataset.map(TrainAugmentation(512))` or the loaders' `augment=` argument (which
    passes a per-example `seed` so a seeded pipeline is reproducible).

    Args:
        crop_size: int or (height, width). Output size.
        scale: (long, short) ints, `"crop"` or None. Base scale of `random_resize`;
            `"crop"` uses `(4 * max(crop_size), min(crop_size))`, i.e. mmseg's
            `(2048, 512)` for a 512 crop; None resizes relative to the input size.
            Defaults to `"crop"`.
        ratio_range: (min, max) floats. Defaults to `(0.5, 2.0)`.
        cat_max_ratio: float in (0, 1]. See `random_crop`. Defaults to `0.75`.
        flip_probability: float. Defaults to `0.5`.
        photometric: bool. Apply `photometric_distortion`. Defaults to `True`.
        ignore_class: int. Label padding value, not counted by `cat_max_ratio`.
            Defaults to `255`.
        image_interpolation: str. Image resize method. Defaults to `"bilinear"`.

    Example:

    ```python
    augment = keras_rr.data.TrainAugmentation(crop_size=512)
    train_ds = keras_rr.data.load_ade20k(root, "training", shuffle=True, seed=0,
                                         augment=augment, batch_size=16)
    # or: dataset.map(augment)
    ```
    """

    def __init__(
        self,
        crop_size,
        scale="crop",
        ratio_range=(0.5, 2.0),
        cat_max_ratio=0.75,
        flip_probability=0.5,
        photometric=True,
        ignore_class=255,
        image_interpolation="bilinear",
    ):
        crop_size = augmentation._pair(crop_size, "crop_size")
        if isinstance(scale, str):
            if scale != "crop":
                raise ValueError(f"`scale` must be (long, short), 'crop' or None. Received: scale={scale!r}")
        elif scale is not None:
            scale = tuple(int(s) for s in scale)
            if len(scale) != 2 or min(scale) < 1:
                raise ValueError(f"`scale` must be (long, short) positive ints. Received: scale={scale}")
        ratio_range = tuple(float(r) for r in ratio_range)
        if len(ratio_range) != 2 or not 0 < ratio_range[0] <= ratio_range[1]:
            raise ValueError(f"`ratio_range` must be 0 < min <= max. Received: ratio_range={ratio_range}")
        if not 0 < cat_max_ratio <= 1:
            raise ValueError(f"`cat_max_ratio` must be in (0, 1]. Received: cat_max_ratio={cat_max_ratio}")
        if not 0 <= flip_probability <= 1:
            raise ValueError(
                f"`flip_probability` must be in [0, 1]. Received: flip_probability={flip_probability}"
            )
        if image_interpolation not in _INTERPOLATIONS:
            raise ValueError(
                f"`image_interpolation` must be one of {_INTERPOLATIONS}. "
                f"Received: image_interpolation={image_interpolation!r}"
            )
        self.crop_size = crop_size
        self.scale = scale
        self.ratio_range = ratio_range
        self.cat_max_ratio = float(cat_max_ratio)
        self.flip_probability = float(flip_probability)
        self.photometric = bool(photometric)
        self.ignore_class = int(ignore_class)
        self.image_interpolation = image_interpolation

    @property
    def resize_scale(self):
        """The (long, short) base scale `random_resize` uses, or None."""
        if self.scale == "crop":
            return (4 * max(self.crop_size), min(self.crop_size))
        return self.scale

    def __call__(self, image, label, seed=None):
        """Augments one `(image, label)` pair; `seed` makes it deterministic."""
        seeds = augmentation._split(seed, 4)
        image, label = augmentation.random_resize(
            image, label, scale=self.resize_scale, ratio_range=self.ratio_range,
            image_interpolation=self.image_interpolation, seed=seeds[0],
        )
        image, label = augmentation.random_crop(
            image, label, self.crop_size, cat_max_ratio=self.cat_max_ratio,
            ignore_class=self.ignore_class, seed=seeds[1],
        )
        image, label = augmentation.random_flip(
            image, label, probability=self.flip_probability, seed=seeds[2]
        )
        if self.photometric:
            image, label = augmentation.photometric_distortion(image, label, seed=seeds[3])
        image, label = augmentation.pad_to_size(
            image, label, self.crop_size, label_pad_value=self.ignore_class
        )
        # Crop then pad gives exactly `crop_size`; static shapes let `batch` and
        # models see it.
        height, width = self.crop_size
        image.set_shape([height, width, image.shape[-1]])
        label.set_shape([height, width] + list(label.shape[2:]))
        return image, label

    def get_config(self):
        """Returns the constructor arguments as a dict (for configs and `from_config`)."""
        return {
            "crop_size": self.crop_size,
            "scale": self.scale,
            "ratio_range": self.ratio_range,
            "cat_max_ratio": self.cat_max_ratio,
            "flip_probability": self.flip_probability,
            "photometric": self.photometric,
            "ignore_class": self.ignore_class,
            "image_interpolation": self.image_interpolation,
        }

    @classmethod
    def from_config(cls, config):
        """Builds the augmentation from `get_config()` output."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"TrainAugmentation({args})"
