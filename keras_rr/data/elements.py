"""What a dataset element looks like: the one definition of image and label keys.

Every consumer of `(images, labels)` data (class statistics, evaluation, the training
wrapper's label check) reads elements through these helpers, so a dict dataset with a
`"segmentation_masks"` key works everywhere or nowhere.

Accepted elements:
- tuples/lists `(images, labels)` or `(images, labels, sample_weight)`;
- dicts with one of `IMAGE_KEYS` and one of `LABEL_KEYS`;
- for label-only consumers (statistics), a label array on its own.
"""

import numpy as np

from keras_rr import validation

IMAGE_KEYS = ("images", "image")
LABEL_KEYS = ("labels", "label", "segmentation_masks", "segmentation_mask", "annotation")


def _first_key(element, keys, what):
    for key in keys:
        if key in element:
            return element[key]
    raise ValueError(
        f"Dataset elements are dicts without {what} key; expected one of {keys}. "
        f"Received: keys={sorted(element)}"
    )


def split_element(element):
    """Returns `(images, labels)` of one dataset element or batch.

    Args:
        element: `(images, labels)`, `(images, labels, sample_weight)` (the weights
            are dropped) or a dict with an image key and a label key.

    Returns:
        `(images, labels)`, unconverted.

    Example:

    >>> images, labels = split_element({"images": x, "segmentation_masks": y})
    """
    if isinstance(element, dict):
        return _first_key(element, IMAGE_KEYS, "an image"), _first_key(element, LABEL_KEYS, "a label")
    if isinstance(element, (tuple, list)) and len(element) in (2, 3):
        return element[0], element[1]
    raise ValueError(
        "Each dataset element must be (images, labels), (images, labels, sample_weight) or "
        f"a dict with keys from {IMAGE_KEYS} and {LABEL_KEYS}. Received: {type(element).__name__}"
    )


def extract_label(element):
    """Returns the label part of one dataset element.

    `(image, label)` and `(image, label, sample_weight)` tuples give `label`; a 1-tuple
    its only item; dicts the value of the first key of `LABEL_KEYS` they hold (also when
    nested as the label of a tuple); anything else is taken to be the label itself.

    Args:
        element: a tuple, dict, or array-like.

    Returns:
        The label, unconverted.

    Example:

    >>> label = extract_label((image, label))
    """
    if isinstance(element, dict):
        return _first_key(element, LABEL_KEYS, "a label")
    if isinstance(element, tuple):
        if not element:
            raise ValueError("Dataset elements are empty tuples. Received: element=()")
        label = element[1] if len(element) >= 2 else element[0]
        if isinstance(label, dict):
            return extract_label(label)
        return label
    return element


def as_label_batch(label):
    """Converts one label element to a NumPy batch `(B, H, W)`.

    Rank 2 is one image `(H, W)`; rank 3 is a batch `(B, H, W)`, except a trailing
    dimension of 1, which is one image `(H, W, 1)`; rank 4 must be `(B, H, W, 1)`.

    Args:
        label: array-like (NumPy, tf, torch or jax array).

    Returns:
        NumPy array `(B, H, W)`.

    Example:

    >>> as_label_batch(np.zeros((8, 8, 1), "uint8")).shape
    (1, 8, 8)
    """
    array = np.asarray(label)
    if array.ndim == 2:
        return array[None]
    if array.ndim == 3:
        # (H, W, 1) is far more common than a batch of 1-pixel-wide label maps.
        return array[None, ..., 0] if array.shape[-1] == 1 else array
    if array.ndim == 4 and array.shape[-1] == 1:
        return validation.squeeze_label_channel(array)
    raise ValueError(
        "Labels must be (H, W), (H, W, 1), (B, H, W) or (B, H, W, 1) integer class "
        f"maps. Received: label with shape {array.shape}"
    )
