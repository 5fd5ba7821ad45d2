"""LTSS frequency groups (rare / common / frequent by image and by pixel) vs NumPy loops."""

import numpy as np
import pytest

from keras_rr.data import ClassStatistics
from keras_rr.metrics import class_frequencies
from keras_rr.metrics import frequency_group_miou
from keras_rr.metrics import frequency_groups

# 8 classes, 200 training images; pixel total 10**6.
PIXELS = [600_000, 250_000, 100_000, 30_000, 10_000, 9_999, 1, 0]
REGIONS = [200, 150, 21, 20, 2, 1, 1, 0]
STATS = ClassStatistics.from_counts(PIXELS, REGIONS, num_images=200)


def np_groups(counts, denominator, low=0.01, high=0.10):
    tags = []
    for count in counts:
        f = count / denominator
        tags.append("rare" if f < low else "frequent" if f > high else "common")
    return tags


def np_group_miou(iou, tags):
    out = {}
    for group in ("rare", "common", "frequent"):
        values = [v for v, t in zip(iou, tags) if t == group and not np.isnan(v)]
        out[group] = sum(values) / len(values) if values else np.nan
    return out


def test_groups_by_image_and_pixel_match_numpy():
    by_image = frequency_groups(STATS, by="image")
    assert by_image.tolist() == np_groups(REGIONS, 200)
    assert by_image.tolist() == ["frequent", "frequent", "frequent", "common", "common", "rare", "rare", "rare"]
    by_pixel = frequency_groups(STATS, by="pixel")
    assert by_pixel.tolist() == np_groups(PIXELS, sum(PIXELS))
    assert by_pixel.tolist() == ["frequent", "frequent", "common", "common", "common", "rare", "rare", "rare"]
    # The same from raw counts, and with other bounds.
    assert frequency_groups(counts=REGIONS, num_images=200).tolist() == by_image.tolist()
    assert frequency_groups(counts=PIXELS, by="pixel", bounds=(0.05, 0.5)).tolist() == np_groups(
        PIXELS, sum(PIXELS), 0.05, 0.5
    )
    np.testing.assert_allclose(class_frequencies(STATS, by="pixel"), np.array(PIXELS) / 1e6)


def test_group_miou_excludes_nan_and_empty_group_is_nan():
    rng = np.random.default_rng(0)
    iou = rng.uniform(size=8)
    iou[[1, 6]] = np.nan
    for by in ("image", "pixel"):
        tags = frequency_groups(STATS, by=by)
        got = frequency_group_miou(iou, tags)
        expected = np_group_miou(iou, tags)
        for group in expected:
            np.testing.assert_allclose(got[group], expected[group], rtol=1e-12)
    got = frequency_group_miou([0.9, 0.5, np.nan], ["frequent", "rare", "rare"])
    assert got["rare"] == 0.5 and got["frequent"] == 0.9 and np.isnan(got["common"])
    assert np.isnan(frequency_group_miou([np.nan], ["rare"])["rare"])


def test_bad_arguments_fail_clearly():
    with pytest.raises(ValueError, match="by"):
        frequency_groups(STATS, by="region")
    with pytest.raises(ValueError, match="exactly one"):
        frequency_groups()
    with pytest.raises(ValueError, match="num_images"):
        frequency_groups(counts=REGIONS)
    with pytest.raises(ValueError, match="one entry per class"):
        frequency_group_miou([0.5], ["rare", "rare"])
    with pytest.raises(ValueError, match="Unknown"):
        frequency_group_miou([0.5], ["tail"])
