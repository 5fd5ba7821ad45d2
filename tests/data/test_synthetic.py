"""Synthetic long-tailed generator: deterministic, long-tailed, PIF > RIF, fast."""

import time

import numpy as np
import pytest

from keras_rr.data import compute_class_statistics
from keras_rr.data import synthetic_long_tailed
from keras_rr.data import synthetic_long_tailed_dataset


def test_shapes_dtypes_and_value_ranges():
    images, labels = synthetic_long_tailed(num_images=20, image_size=48, num_classes=10)
    assert images.shape == (20, 48, 48, 3) and images.dtype == np.float32
    assert labels.shape == (20, 48, 48) and labels.dtype == np.int32
    assert images.min() >= 0 and images.max() <= 255
    assert set(np.unique(labels).tolist()) <= set(range(10)) | {255}
    assert (labels == 255).any()  # boundary ignore pixels
    _, no_ignore = synthetic_long_tailed(num_images=5, ignore_boundaries=False)
    assert not (no_ignore == 255).any()


def test_deterministic_for_a_seed_and_prefix_stable():
    a_images, a_labels = synthetic_long_tailed(num_images=12, seed=5)
    b_images, b_labels = synthetic_long_tailed(num_images=12, seed=5)
    np.testing.assert_array_equal(a_images, b_images)
    np.testing.assert_array_equal(a_labels, b_labels)
    c_images, c_labels = synthetic_long_tailed(num_images=4, seed=5)
    np.testing.assert_array_equal(c_labels, a_labels[:4])
    _, other = synthetic_long_tailed(num_images=12, seed=6)
    assert not np.array_equal(other, a_labels)


def test_long_tail_and_pixel_imbalance_exceeds_region_imbalance():
    _, labels, spec = synthetic_long_tailed(num_images=600, return_spec=True)
    stats = compute_class_statistics(labels, spec.num_classes, progress=False)
    assert stats.absent_classes.size == 0
    # Region frequencies follow the spec's power law (within sampling noise and occlusion).
    expected = spec.image_frequencies * 600
    assert stats.region_counts[0] == 600
    assert np.all(np.abs(stats.region_counts - expected) <= 4 * np.sqrt(expected) + 0.15 * expected)
    assert np.all(np.diff(spec.image_frequencies) < 0)
    assert 15 <= stats.region_imbalance_factor <= 80
    assert stats.pixel_imbalance_factor > 5 * stats.region_imbalance_factor


def test_rendered_colours_follow_the_spec():
    images, labels, spec = synthetic_long_tailed(num_images=30, noise=0.0, return_spec=True)
    for k in (0, 1):
        mean = images[labels == k].mean(axis=0)
        assert np.linalg.norm(mean - spec.colors[k]) < 25.0


def test_fast_enough():
    start = time.perf_counter()
    synthetic_long_tailed(num_images=600)
    assert time.perf_counter() - start < 10.0


def test_bad_arguments():
    for kwargs, match in (
        ({"num_classes": 1}, "num_classes"), ({"num_stuff_classes": 12}, "num_stuff_classes"),
        ({"imbalance": 0.5}, "imbalance"), ({"noise": -1}, "noise"), ({"noise": float("nan")}, "noise"),
        ({"image_size": 4}, "image_size"), ({"num_images": -1}, "num_images"), ({"num_images": 2.0}, "num_images"),
        ({"texture_amplitude": -1}, "texture_amplitude"), ({"color_jitter": -1}, "color_jitter"),
    ):
        with pytest.raises(ValueError, match=match):
            synthetic_long_tailed(**kwargs)


def test_tf_dataset_helper():
    ds = synthetic_long_tailed_dataset(num_images=10, batch_size=4, image_size=32, shuffle=True, seed=1)
    batches = list(ds.as_numpy_iterator())
    assert [b[0].shape for b in batches] == [(4, 32, 32, 3), (4, 32, 32, 3), (2, 32, 32, 3)]
    _, labels = synthetic_long_tailed(num_images=10, image_size=32, seed=1)
    got = np.concatenate([b[1] for b in batches])
    assert sorted(map(bytes, got)) == sorted(map(bytes, labels))  # a permutation
    augmented = synthetic_long_tailed_dataset(
        num_images=3, image_size=32, augment={"crop_size": 24, "scale": None}, seed=2
    )
    for image, label in augmented.as_numpy_iterator():
        assert image.shape == (24, 24, 3) and label.shape == (24, 24)


def test_tf_dataset_helper_checks_loader_options():
    with pytest.raises(ValueError, match="batch_size"):
        synthetic_long_tailed_dataset(num_images=2, batch_size=0)
    with pytest.raises(ValueError, match="augment"):
        synthetic_long_tailed_dataset(num_images=2, augment="crop")
    # Same seed, same shuffled order; the seed also fixes the images.
    first = [label for _, label in synthetic_long_tailed_dataset(6, shuffle=True, seed=4, image_size=16)]
    again = [label for _, label in synthetic_long_tailed_dataset(6, shuffle=True, seed=4, image_size=16)]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
