"""Repeat-factor sampling (LTSS): per-image classes in the statistics, factors, sampled epochs."""

import json

import numpy as np
import pytest

import keras_rr
from keras_rr.data.class_statistics import ClassStatistics
from keras_rr.data.repeat_factors import sampled_indices

K = 5
# 6 label maps 4x4: class 4 rare, one image fully ignored (255).
LABELS = np.array(
    [
        np.full((4, 4), 0),
        np.pad(np.full((2, 4), 1), ((0, 2), (0, 0))),
        np.r_[np.full((3, 4), 0), np.full((1, 4), 4)],
        np.full((4, 4), 255),
        np.r_[np.full((2, 4), 2), np.full((1, 4), 3), np.full((1, 4), 255)],
        np.r_[np.full((3, 4), 1), np.full((1, 4), 2)],
    ],
    dtype=np.int32,
)


def _stats():
    return keras_rr.data.compute_class_statistics(LABELS, num_classes=K, progress=False)


def _reference(labels, threshold, reduce, frequency):
    """The LTSS formula, written out per image and class."""
    n = len(labels)
    present = [sorted(set(np.unique(l).tolist()) - {255}) for l in labels]
    f = np.zeros(K)
    for label, classes in zip(labels, present):
        labeled = np.sum(label != 255)
        for c in classes:
            f[c] += 1.0 if frequency == "image" else np.sum(label == c) / labeled
    f /= n
    r = {c: max(1.0, np.sqrt(threshold / f[c])) for c in range(K) if f[c] > 0}
    out = []
    for classes in present:
        values = [r[c] for c in classes]
        if not values:
            out.append(1.0)
        else:
            out.append({"max": max, "sum": sum, "mean": lambda v: sum(v) / len(v)}[reduce](values))
    return np.array(out)


def test_statistics_record_each_images_classes_in_order():
    stats = _stats()
    assert [c.tolist() for c in stats.image_classes] == [[0], [0, 1], [0, 4], [], [2, 3], [1, 2]]
    assert [p.tolist() for p in stats.image_class_pixels] == [[16], [8, 8], [12, 4], [], [8, 4], [12, 4]]
    # The 0-padded image 1 has class 0 too.
    assert stats.region_counts.tolist() == [3, 2, 2, 1, 1]


def test_json_round_trip_and_old_files(tmp_path):
    stats = _stats()
    path = stats.save(tmp_path / "s.json")
    text = open(path).read()
    assert "\n    [0,4],\n" in text and "\n    [12,4],\n" in text  # one line per image
    config = json.loads(text)
    assert config["image_classes"][2] == [0, 4] and config["image_class_pixels"][2] == [12, 4]
    loaded = ClassStatistics.load(path)
    np.testing.assert_array_equal(loaded.image_class_csr[1], stats.image_class_csr[1])
    for key in ("image_classes", "image_class_pixels"):
        del config[key]
    (tmp_path / "old.json").write_text(json.dumps(config))
    old = ClassStatistics.load(tmp_path / "old.json")
    assert not old.has_image_classes and old.image_classes is None
    with pytest.raises(ValueError, match="keras_rr.tools.dataset_stats"):
        keras_rr.data.repeat_factors(old, 0.5)


def test_inconsistent_image_classes_raise():
    with pytest.raises(ValueError, match="region_counts"):
        ClassStatistics(
            [5, 3], [1, 1], 2, image_classes=[[0], [0]], image_class_pixels=[[2], [3]]
        )
    with pytest.raises(ValueError, match="together"):
        ClassStatistics([5, 3], [1, 1], 2, image_classes=[[0], [1]])


@pytest.mark.parametrize("frequency", ["image", "pixel"])
@pytest.mark.parametrize("reduce", ["max", "mean", "sum"])
def test_repeat_factors_match_the_ltss_formula(reduce, frequency):
    threshold = 0.4
    factors = keras_rr.data.repeat_factors(_stats(), threshold, reduce=reduce, frequency=frequency)
    np.testing.assert_allclose(factors, _reference(LABELS, threshold, reduce, frequency), rtol=1e-12)
    assert factors.shape == (len(LABELS),) and factors.min() >= 1.0


def test_epoch_counts_average_to_the_factors():
    factors = np.array([1.0, 1.3, 2.5, 4.0, 1.9])
    epochs = [keras_rr.data.repeat_factor_epoch(factors, seed=7, epoch=e) for e in range(2000)]
    counts = np.array([np.bincount(e, minlength=factors.size) for e in epochs])
    # floor(r) <= count <= floor(r) + 1, and the mean is r (std of the mean <= 0.5 / sqrt(2000)).
    assert np.all(counts >= np.floor(factors)) and np.all(counts <= np.floor(factors) + 1)
    np.testing.assert_allclose(counts.mean(axis=0), factors, atol=0.04)
    # Deterministic per (seed, epoch), different across epochs, shuffled.
    np.testing.assert_array_equal(epochs[3], keras_rr.data.repeat_factor_epoch(factors, seed=7, epoch=3))
    assert not np.array_equal(epochs[3], epochs[4])
    assert any(np.any(np.diff(e) < 0) for e in epochs[:5])


def test_sampled_indices_are_slices_of_the_epoch_stream():
    factors = np.array([1.0, 2.5, 1.5])
    stream = np.concatenate([keras_rr.data.repeat_factor_epoch(factors, 3, e) for e in range(10)])
    np.testing.assert_array_equal(sampled_indices(factors, 3, 0, 30), stream[:30])
    np.testing.assert_array_equal(sampled_indices(factors, 3, 7, 23), stream[7:23])
