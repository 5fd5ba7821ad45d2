"""`keras_rr.data.elements`: the one definition of what a dataset element looks like."""

import numpy as np
import pytest
import tensorflow as tf

from keras_rr.data.elements import IMAGE_KEYS
from keras_rr.data.elements import LABEL_KEYS
from keras_rr.data.elements import as_label_batch
from keras_rr.data.elements import extract_label
from keras_rr.data.elements import split_element

IMAGES = np.zeros((2, 4, 4, 3), np.float32)
LABELS = np.arange(32, dtype=np.int32).reshape(2, 4, 4)


def test_split_element_tuples_and_lists():
    for element in ((IMAGES, LABELS), [IMAGES, LABELS], (IMAGES, LABELS, np.ones((2, 4, 4)))):
        images, labels = split_element(element)
        assert images is IMAGES and labels is LABELS


@pytest.mark.parametrize("image_key", IMAGE_KEYS)
@pytest.mark.parametrize("label_key", LABEL_KEYS)
def test_split_element_dicts_with_every_key(image_key, label_key):
    images, labels = split_element({image_key: IMAGES, label_key: LABELS, "other": 1})
    assert images is IMAGES and labels is LABELS


def test_split_element_prefers_the_first_listed_key():
    other = np.ones_like(LABELS)
    _, labels = split_element({"images": IMAGES, LABEL_KEYS[0]: LABELS, LABEL_KEYS[-1]: other})
    assert labels is LABELS


@pytest.mark.parametrize(
    "element, match",
    [
        ({"images": IMAGES, "mask": LABELS}, "a label key"),
        ({"pixels": IMAGES, "labels": LABELS}, "an image key"),
        ((IMAGES,), "Each dataset element"),
        ((IMAGES, LABELS, None, None), "Each dataset element"),
        (IMAGES, "Each dataset element"),
    ],
)
def test_split_element_errors(element, match):
    with pytest.raises(ValueError, match=match):
        split_element(element)


def test_split_element_missing_key_error_lists_the_keys():
    with pytest.raises(ValueError) as info:
        split_element({"images": IMAGES, "mask": LABELS})
    assert "'mask'" in str(info.value) and "segmentation_masks" in str(info.value)


@pytest.mark.parametrize("label_key", LABEL_KEYS)
def test_extract_label_from_dicts_and_nested_dicts(label_key):
    assert extract_label({"image": IMAGES, label_key: LABELS}) is LABELS
    assert extract_label((IMAGES, {label_key: LABELS})) is LABELS


def test_extract_label_tuples_and_bare_labels():
    assert extract_label((IMAGES, LABELS)) is LABELS
    assert extract_label((IMAGES, LABELS, np.ones(2))) is LABELS
    assert extract_label((LABELS,)) is LABELS
    assert extract_label(LABELS) is LABELS
    with pytest.raises(ValueError, match="empty"):
        extract_label(())
    with pytest.raises(ValueError, match="a label key"):
        extract_label({"image": IMAGES})


def test_extract_label_works_on_tf_element_specs():
    ds = tf.data.Dataset.from_tensor_slices({"image": IMAGES, "segmentation_masks": LABELS})
    assert extract_label(ds.element_spec).shape == (4, 4)


@pytest.mark.parametrize(
    "shape, expected",
    [((4, 5), (1, 4, 5)), ((4, 5, 1), (1, 4, 5)), ((3, 4, 5), (3, 4, 5)), ((3, 4, 5, 1), (3, 4, 5))],
)
def test_as_label_batch_shapes(shape, expected):
    label = np.arange(int(np.prod(shape))).reshape(shape)
    batch = as_label_batch(label)
    assert isinstance(batch, np.ndarray) and batch.shape == expected
    np.testing.assert_array_equal(batch.ravel(), label.ravel())
    assert as_label_batch(tf.constant(label)).shape == expected


@pytest.mark.parametrize("shape", [(4,), (2, 4, 5, 3), (1, 2, 3, 4, 1)])
def test_as_label_batch_rejects_other_shapes(shape):
    with pytest.raises(ValueError, match="shape"):
        as_label_batch(np.zeros(shape, np.int32))
