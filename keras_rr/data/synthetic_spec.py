"""`SyntheticSpec`: the class definitions behind `keras_rr.data.synthetic_long_tailed`."""

import colorsys
import math

import numpy as np

from keras_rr import validation

_STUFF_NAMES = ("ground", "sky", "wall", "water", "grass", "road", "sand", "snow")
SHAPES = (
    "disc", "square", "triangle", "bar", "pillar", "ring",
    "cross", "diamond", "ellipse", "corner", "half_disc", "frame",
)


def _unique(names):
    """`names` with a `_2`, `_3`, ... suffix on repeats, so every class name is unique."""
    seen = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return unique


def _cycled_names(base, count):
    names = []
    for i in range(count):
        name = base[i % len(base)]
        names.append(name if i < len(base) else f"{name}_{i // len(base) + 1}")
    return names


class SyntheticSpec:
    """How each class of the synthetic long-tailed dataset looks and how often it occurs.

    Classes are sorted by frequency: class k appears in an image with probability
    `image_frequencies[k] = (k + 1) ** -a`, with `a` chosen so that class 0 is in
    every image and the last class in `1 / imbalance` of them (a power law whose
    expected region imbalance factor is `imbalance`).

    The first `num_stuff_classes` classes are "stuff": large regions filling the
    background, each with its own colour and stripe texture. The others are "things":
    small shapes pasted on top. Every thing has a *parent* stuff class whose colour
    (shifted by `color_jitter`) and texture it copies, so locally it resembles a more
    frequent class and is told apart by its shape and its *context* (the stuff class
    it is usually placed on) — the setting where pixel-level rebalancing buys rare
    classes recall with false positives on the look-alike head class.

    Build it with `SyntheticSpec.build`; `keras_rr.data.synthetic_long_tailed` does so
    and returns it with `return_spec=True`.

    Args:
        class_names: tuple of `K` str: stuff classes by what they depict ("ground",
            "sky", ...), things by their look ("sky-striped-disc": the stripes of their
            parent class, their shape).
        image_frequencies: float array `(K,)`, probability that an image holds class k.
        colors: float array `(K, 3)`, mean RGB colour in [0, 255].
        orientations: float array `(K,)`, stripe orientation in radians.
        periods: float array `(K,)`, stripe period in pixels at 64 px images.
        parents: int array `(K,)`, the stuff class each class resembles (itself for stuff).
        contexts: int array `(K,)`, the stuff class a thing is usually placed on (itself
            for stuff).
        shapes: tuple of `K` str, `"region"` for stuff, a shape name for things.
        num_stuff_classes: int.

    Example:

    ```python
    images, labels, spec = keras_rr.data.synthetic_long_tailed(return_spec=True)
    print(spec.class_names, spec.image_frequencies)
    ```
    """

    def __init__(
        self,
        class_names,
        image_frequencies,
        colors,
        orientations,
        periods,
        parents,
        contexts,
        shapes,
        num_stuff_classes,
    ):
        self.class_names = tuple(class_names)
        self.image_frequencies = np.asarray(image_frequencies, dtype=np.float64)
        self.colors = np.asarray(colors, dtype=np.float64)
        self.orientations = np.asarray(orientations, dtype=np.float64)
        self.periods = np.asarray(periods, dtype=np.float64)
        self.parents = np.asarray(parents, dtype=np.int64)
        self.contexts = np.asarray(contexts, dtype=np.int64)
        self.shapes = tuple(shapes)
        self.num_stuff_classes = int(num_stuff_classes)

    @property
    def num_classes(self):
        """int: number of classes K."""
        return len(self.class_names)

    @property
    def stuff_classes(self):
        """int array: the background ("stuff") classes."""
        return np.arange(self.num_stuff_classes)

    @property
    def thing_classes(self):
        """int array: the small-shape ("thing") classes."""
        return np.arange(self.num_stuff_classes, self.num_classes)

    @classmethod
    def build(
        cls,
        num_classes=12,
        num_stuff_classes=4,
        imbalance=30.0,
        color_jitter=40.0,
        class_seed=0,
    ):
        """Draws the class definitions (colours, textures, parents, contexts, shapes).

        Args:
            num_classes: int >= 2. Defaults to `12`.
            num_stuff_classes: int in [1, num_classes). Defaults to `4`.
            imbalance: float >= 1. Ratio of the most to the least frequent class's
                image frequency. Defaults to `30.0`.
            color_jitter: float. Distance (RGB, 0..255) between a thing's mean colour
                and its parent's; smaller is harder. Defaults to `40.0`.
            class_seed: int. Seed of the class definitions (keep it fixed across
                train and validation sets). Defaults to `0`.

        Returns:
            A `SyntheticSpec`.
        """
        num_classes = validation.check_num_classes(num_classes, minimum=2)
        num_stuff_classes = validation.check_int(
            num_stuff_classes, "num_stuff_classes", minimum=1, maximum=num_classes - 1
        )
        imbalance = validation.check_number(imbalance, "imbalance", minimum=1)
        color_jitter = validation.check_number(color_jitter, "color_jitter", minimum=0)
        rng = np.random.default_rng(class_seed)
        num_things = num_classes - num_stuff_classes
        exponent = math.log(imbalance) / math.log(num_classes)
        frequencies = (np.arange(num_classes) + 1.0) ** -exponent

        colors = np.zeros((num_classes, 3))
        orientations = np.zeros(num_classes)
        periods = np.zeros(num_classes)
        for s in range(num_stuff_classes):
            # Evenly spread hues keep the stuff classes easy to tell apart.
            hue = (s / num_stuff_classes + rng.uniform(-0.03, 0.03)) % 1.0
            rgb = colorsys.hsv_to_rgb(hue, rng.uniform(0.35, 0.6), rng.uniform(0.45, 0.8))
            colors[s] = np.asarray(rgb) * 255.0
            orientations[s] = math.pi * s / num_stuff_classes
            periods[s] = 5.0 + 3.0 * (s % 4)
        parents = np.arange(num_classes)
        contexts = np.arange(num_classes)
        for t in range(num_things):
            k = num_stuff_classes + t
            parent = t % num_stuff_classes
            parents[k] = parent
            contexts[k] = (parent + 1 + t // num_stuff_classes) % num_stuff_classes
            direction = rng.normal(size=3)
            direction /= np.linalg.norm(direction) + 1e-12
            colors[k] = np.clip(colors[parent] + color_jitter * direction, 10.0, 245.0)
            orientations[k] = orientations[parent]
            periods[k] = periods[parent]
        shapes = ("region",) * num_stuff_classes + tuple(
            SHAPES[t % len(SHAPES)] for t in range(num_things)
        )
        names = _cycled_names(_STUFF_NAMES, num_stuff_classes)
        # A thing is named after what it looks like: its parent's stripes, its shape.
        thing_names = [f"{names[parents[k]]}-striped-{shapes[k]}" for k in range(num_stuff_classes, num_classes)]
        names = names + _unique(thing_names)
        return cls(
            class_names=names,
            image_frequencies=frequencies,
            colors=colors,
            orientations=orientations,
            periods=periods,
            parents=parents,
            contexts=contexts,
            shapes=shapes,
            num_stuff_classes=num_stuff_classes,
        )

    def __repr__(self):
        return (
            f"SyntheticSpec(num_classes={self.num_classes}, "
            f"num_stuff_classes={self.num_stuff_classes}, class_names={self.class_names})"
        )
