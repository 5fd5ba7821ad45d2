"""`compute_class_statistics` (the streaming counter) against the NumPy reference `np_class_counts`."""

import numpy as np
import pytest
import tensorflow as tf

from keras_rr.data import compute_class_statistics
from keras_rr.data.elements import LABEL_KEYS
from tests.references import np_class_counts

K = 7
IGNORE = 255


def assert_matches_reference(stats, label_maps, num_classes=K):
    pixels, regions, ignored = np_class_counts(label_maps, num_classes)
    np.testing.assert_array_equal(stats.pixel_counts, pixels)
    np.testing.assert_array_equal(stats.region_counts, regions)
    assert stats.num_images == len(label_maps)
    assert stats.num_ignored_pixels == ignored
    present = []
    for label_map in label_maps:  # one image at a time: maps may differ in size
        values = np.asarray(label_map)
        present.append(np.unique(values[(values >= 0) & (values < num_classes)]).size)
    assert stats.max_classes_per_image == max(present, default=0)
    assert stats.pixel_counts.dtype == np.int64 and stats.region_counts.dtype == np.int64


def test_reference_fixture_has_absent_and_rare_classes(label_maps):
    pixels, regions, _ = np_class_counts(label_maps, K)
    assert regions[5] == 2 and pixels[5] == 5 and regions[6] == 0


@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64", "uint16"])
def test_numpy_batch_matches_reference(label_maps, dtype):
    stats = compute_class_statistics(label_maps.astype(dtype), K, progress=False)
    assert_matches_reference(stats, label_maps)
    assert stats.absent_classes.tolist() == [6]


def test_single_map_and_channel_dims(label_maps):
    one = compute_class_statistics(label_maps[2], K, progress=False)
    assert_matches_reference(one, label_maps[2:3])
    with_channel = compute_class_statistics(label_maps[2][..., None], K, progress=False)
    assert_matches_reference(with_channel, label_maps[2:3])
    batch_channel = compute_class_statistics(label_maps[..., None], K, progress=False)
    assert_matches_reference(batch_channel, label_maps)


def test_iterable_of_maps_with_different_sizes():
    rng = np.random.default_rng(1)
    maps = [rng.integers(0, K, size=(h, w)).astype(np.uint8) for h, w in [(5, 9), (13, 4), (1, 1), (32, 17)]]
    maps[1][0, :] = IGNORE
    stats = compute_class_statistics(maps, K, progress=True)
    assert_matches_reference(stats, maps)


@pytest.mark.parametrize("batch_size", [None, 1, 3, 8])
def test_tf_dataset_of_image_label_pairs(label_maps, batch_size):
    images = np.zeros(label_maps.shape + (3,), dtype=np.float32)
    ds = tf.data.Dataset.from_tensor_slices((images, label_maps))
    if batch_size:
        ds = ds.batch(batch_size)
    stats = compute_class_statistics(ds, K, progress=batch_size is None)
    assert_matches_reference(stats, label_maps)


def test_tf_dataset_of_labels_and_dicts(label_maps):
    labels_only = tf.data.Dataset.from_tensor_slices(label_maps.astype(np.uint8))
    assert_matches_reference(compute_class_statistics(labels_only, K, progress=False), label_maps)
    for key in LABEL_KEYS:
        ds = tf.data.Dataset.from_tensor_slices({"image": np.zeros((8, 2)), key: label_maps[..., None]})
        assert_matches_reference(compute_class_statistics(ds.batch(3), K, progress=False), label_maps)
    nested = tf.data.Dataset.from_tensor_slices((np.zeros((8, 2)), {"label": label_maps}))
    assert_matches_reference(compute_class_statistics(nested, K, progress=False), label_maps)


def test_dict_without_label_key_raises():
    ds = tf.data.Dataset.from_tensor_slices({"image": np.zeros((2, 4, 4)), "mask2": np.zeros((2, 4, 4), np.int32)})
    with pytest.raises(ValueError, match="label key"):
        compute_class_statistics(ds, K, progress=False)


def test_max_images_stops_early(label_maps):
    stats = compute_class_statistics(label_maps, K, progress=False, max_images=3)
    assert_matches_reference(stats, label_maps[:3])
    ds = tf.data.Dataset.from_tensor_slices(label_maps).batch(2)
    assert_matches_reference(compute_class_statistics(ds, K, progress=False, max_images=5), label_maps[:5])


def test_no_ignore_class():
    labels = np.array([[[0, 1], [1, 2]], [[2, 2], [2, 2]]], dtype=np.int32)
    stats = compute_class_statistics(labels, 3, ignore_class=None, progress=False)
    np.testing.assert_array_equal(stats.pixel_counts, [1, 2, 5])
    np.testing.assert_array_equal(stats.region_counts, [1, 1, 2])
    with pytest.raises(ValueError, match="255"):
        compute_class_statistics(np.full((2, 2), 255), 3, ignore_class=None, progress=False)


def test_negative_ignore_class():
    labels = np.array([[[-1, 1], [1, 2]], [[-1, -1], [0, 2]]], dtype=np.int32)
    stats = compute_class_statistics(labels, 3, ignore_class=-1, progress=False)
    np.testing.assert_array_equal(stats.pixel_counts, [1, 2, 2])
    np.testing.assert_array_equal(stats.region_counts, [1, 1, 2])
    assert stats.num_ignored_pixels == 3


@pytest.mark.parametrize(
    "bad_value, dtype",
    [(7, "int32"), (200, "uint8"), (254, "int32"), (-3, "int32"), (70000, "int64"), (9, "uint8")],
)
def test_out_of_range_labels_are_rejected_by_value(label_maps, bad_value, dtype):
    labels = label_maps.astype(np.int64)
    labels[5, 1, 1] = bad_value
    with pytest.raises(ValueError, match=rf"(?<![\d-]){bad_value}(?!\d)"):
        compute_class_statistics(labels.astype(dtype), K, progress=False)


def test_out_of_range_label_in_tf_dataset_is_rejected():
    labels = np.zeros((3, 4, 4), np.int32)
    labels[2, 0, 0] = 150
    ds = tf.data.Dataset.from_tensor_slices(labels)
    with pytest.raises(ValueError, match="150"):
        compute_class_statistics(ds, 150, progress=False)


def test_non_integer_labels_are_rejected():
    with pytest.raises(ValueError, match="integer"):
        compute_class_statistics(np.full((2, 3, 3), 0.5), K, progress=False)
    stats = compute_class_statistics(np.full((2, 3, 3), 2.0), K, progress=False)
    assert stats.pixel_counts[2] == 18


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_classes": 0}, "num_classes"),
        ({"num_classes": 3, "ignore_class": 1}, "ignore_class"),
        ({"num_classes": 3, "class_names": ["a"]}, "class_names"),
        ({"num_classes": 3, "max_images": -1}, "max_images"),
        ({"num_classes": 3, "max_images": 2.0}, "max_images"),
        ({"num_classes": True}, "num_classes"),
        ({"num_classes": 3, "ignore_class": "255"}, "ignore_class"),
        ({"num_classes": 3, "class_names": "abc"}, "class_names"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        compute_class_statistics(np.zeros((2, 2), np.int32), progress=False, **kwargs)


def test_bad_label_rank():
    with pytest.raises(ValueError, match="shape"):
        compute_class_statistics(np.zeros((2, 4, 4, 3), np.int32), K, progress=False)
