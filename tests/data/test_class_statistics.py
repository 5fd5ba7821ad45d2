"""`ClassStatistics` (container, JSON file) and `resolve_region_frequency`."""

import json
import math

import numpy as np
import pytest

from keras_rr.data import ClassStatistics
from keras_rr.data import compute_class_statistics
from keras_rr.data.class_statistics import check_class_names
from keras_rr.data.class_statistics import resolve_region_frequency
from keras_rr.version import __version__

K = 7
IGNORE = 255


def test_imbalance_factors():
    stats = ClassStatistics.from_counts([800, 0, 100, 2], [40, 0, 10, 2], num_images=50)
    assert stats.pixel_imbalance_factor == pytest.approx(400.0)
    assert stats.region_imbalance_factor == pytest.approx(20.0)
    np.testing.assert_allclose(stats.pixel_frequencies, np.array([800, 0, 100, 2]) / 902)
    np.testing.assert_allclose(stats.region_frequencies, np.array([40, 0, 10, 2]) / 50)
    single = ClassStatistics.from_counts([0, 9], [0, 3])
    assert single.pixel_imbalance_factor == 1.0 and single.num_images == 3
    empty = ClassStatistics.from_counts([0, 0], [0, 0], num_images=4)
    assert math.isnan(empty.pixel_imbalance_factor) and math.isnan(empty.region_imbalance_factor)
    assert empty.to_dict()["pixel_imbalance_factor"] is None


def test_constructor_validation():
    with pytest.raises(ValueError, match="exceed"):
        ClassStatistics([5, 5], [3, 1], num_images=2)
    with pytest.raises(ValueError, match="non-negative"):
        ClassStatistics([5, -1], [1, 1], num_images=2)
    with pytest.raises(ValueError, match="disagree"):
        ClassStatistics([5, 0], [1, 1], num_images=2)
    with pytest.raises(ValueError, match="one entry per class"):
        ClassStatistics([5, 1, 1], [1, 1], num_images=2)
    with pytest.raises(ValueError, match="class_names"):
        ClassStatistics([5, 1], [1, 1], num_images=2, class_names=["a"])
    stats = ClassStatistics([5, 1], [1, 1], num_images=2)
    with pytest.raises(ValueError):
        stats.pixel_counts[0] = 3  # read-only


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"pixel_counts": [[5, 1]], "region_counts": [[1, 1]]}, "1-D"),
        ({"pixel_counts": [], "region_counts": []}, "at least one class"),
        ({"pixel_counts": [5.5, 1], "region_counts": [1, 1]}, "non-negative integers"),
        ({"pixel_counts": [True, True], "region_counts": [1, 1]}, "dtype bool"),
        ({"pixel_counts": [5, float("inf")], "region_counts": [1, 1]}, "finite"),
        ({"num_images": -1}, "num_images"),
        ({"num_images": 2.0}, "num_images"),
        ({"ignore_class": "255"}, "ignore_class"),
        ({"num_ignored_pixels": -3}, "num_ignored_pixels"),
        ({"class_names": "ab"}, "sequence of str"),
        ({"class_names": ["a", 2]}, "class_names"),
    ],
)
def test_constructor_rejects_bad_arguments(kwargs, match):
    arguments = {"pixel_counts": [5, 1], "region_counts": [1, 1], "num_images": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        ClassStatistics(**arguments)


def test_constructor_normalises_types():
    stats = ClassStatistics(
        np.array([5.0, 1.0]), (1, 1), num_images=np.int64(2), class_names=["a", "b"],
        ignore_class=np.uint8(255), num_ignored_pixels=np.int32(4),
    )
    assert stats.pixel_counts.dtype == np.int64 and stats.pixel_counts.tolist() == [5, 1]
    assert type(stats.num_images) is int and type(stats.ignore_class) is int
    assert type(stats.num_ignored_pixels) is int and stats.class_names == ("a", "b")
    assert ClassStatistics([0], [0], 0, ignore_class=None).ignore_class is None


def test_check_class_names():
    assert check_class_names(None, 3) is None
    assert check_class_names(["a", "b"], 2) == ("a", "b")
    with pytest.raises(ValueError, match="num_classes=3"):
        check_class_names(["a", "b"], 3)
    with pytest.raises(ValueError, match="sequence of str"):
        check_class_names("abc", 3)


def test_json_round_trip_keeps_counts_and_provenance(tmp_path, label_maps):
    names = [f"class_{k}" for k in range(K)]
    stats = compute_class_statistics(
        label_maps, K, dataset_name="toy", split="training", class_names=names, progress=False
    )
    path = stats.save(tmp_path / "sub" / "stats.json")
    raw = json.loads(open(path).read())
    assert raw["dataset"] == "toy" and raw["split"] == "training"
    assert raw["num_images"] == 8 and raw["class_names"] == names
    assert raw["keras_rr_version"] == __version__ and raw["format_version"] == 1
    assert raw["region_counts"] == stats.region_counts.tolist()
    loaded = ClassStatistics.load(path, num_classes=K)
    assert loaded.to_dict() == stats.to_dict()
    np.testing.assert_array_equal(loaded.pixel_counts, stats.pixel_counts)
    assert loaded.class_names == tuple(names) and loaded.ignore_class == IGNORE
    assert "toy" in repr(loaded) and "PIF" in loaded.summary(max_rows=3)


def test_json_format_is_fixed(tmp_path):
    """The file layout other tools read: keys, order, values, indentation."""
    stats = ClassStatistics.from_counts(
        [50, 5, 0], [4, 2, 0], num_images=4, class_names=["a", "b", "c"], dataset_name="x",
        split="train", num_ignored_pixels=7, max_classes_per_image=2,
    )
    path = stats.save(tmp_path / "stats.json")
    text = open(path).read()
    expected = {
        "format": "keras_rr.ClassStatistics",
        "format_version": 1,
        "keras_rr_version": __version__,
        "dataset": "x",
        "split": "train",
        "num_images": 4,
        "num_classes": 3,
        "ignore_class": 255,
        "num_ignored_pixels": 7,
        "max_classes_per_image": 2,
        "class_names": ["a", "b", "c"],
        "pixel_counts": [50, 5, 0],
        "region_counts": [4, 2, 0],
        "pixel_imbalance_factor": 10.0,
        "region_imbalance_factor": 2.0,
    }
    assert text == json.dumps(expected, indent=2) + "\n"
    assert list(stats.to_dict()) == list(expected)


def test_max_classes_per_image_round_trips_and_is_checked(tmp_path):
    stats = ClassStatistics.from_counts([50, 5, 0], [4, 2, 0], num_images=4, max_classes_per_image=2)
    assert ClassStatistics.load(stats.save(tmp_path / "s.json")).max_classes_per_image == 2
    assert "most classes in one image: 2" in stats.summary()
    # Files written before the field existed load with it unknown.
    config = stats.to_dict()
    del config["max_classes_per_image"]
    assert ClassStatistics.from_dict(config).max_classes_per_image is None
    with pytest.raises(ValueError, match=r"max_classes_per_image` must be an int in \[0, 2\]"):
        ClassStatistics.from_counts([50, 5, 0], [4, 2, 0], max_classes_per_image=3)
    with pytest.raises(ValueError, match="is 0 but some class occurs"):
        ClassStatistics.from_counts([50, 5, 0], [4, 2, 0], max_classes_per_image=0)


def test_resolve_region_frequency(tmp_path):
    stats = ClassStatistics.from_counts([50, 5, 0], [4, 2, 0], num_images=4)
    assert resolve_region_frequency([4, 2, 0], 3) == [4.0, 2.0, 0.0]
    assert resolve_region_frequency(np.array([4, 2, 0]), 3) == [4.0, 2.0, 0.0]
    assert resolve_region_frequency(stats, 3) == [4.0, 2.0, 0.0]
    path = stats.save(tmp_path / "stats.json")
    assert resolve_region_frequency(path, 3) == [4.0, 2.0, 0.0]
    assert all(type(v) is float for v in resolve_region_frequency(path, 3))
    with pytest.raises(ValueError, match="num_classes=5 was expected"):
        resolve_region_frequency(path, 5)
    with pytest.raises(ValueError, match="one entry per class"):
        resolve_region_frequency(stats, 4)
    with pytest.raises(ValueError, match="non-negative"):
        resolve_region_frequency([4, -2, 0], 3)
    with pytest.raises(FileNotFoundError):
        resolve_region_frequency(str(tmp_path / "missing.json"), 3)


def _valid_config():
    return ClassStatistics.from_counts([50, 5, 0], [4, 2, 0], num_images=4, dataset_name="x").to_dict()


def _write(tmp_path, content):
    path = tmp_path / "stats.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda c: c.update(num_classes=4), "declares num_classes=4"),
        (lambda c: c.update(pixel_counts=[50, 5]), "declares num_classes=3"),
        (lambda c: c.update(pixel_counts=[50, -5, 0]), "non-negative"),
        (lambda c: c.update(region_counts=[4, 2.5, 0]), "non-negative integers"),
        (lambda c: c.pop("region_counts"), "missing `region_counts`"),
        (lambda c: c.pop("pixel_counts"), "missing `pixel_counts`"),
        (lambda c: c.pop("num_images"), "missing `num_images`"),
        (lambda c: c.update(num_images=3), "exceed"),
        (lambda c: c.update(region_counts=[4, 0, 0]), "disagree"),
        (lambda c: c.update(format_version=99), "newer"),
        (lambda c: c.pop("format_version"), "format_version"),
        (lambda c: c.update(format="something.else"), "not a keras_rr"),
        (lambda c: c.update(class_names=["a"]), "class_names"),
        (lambda c: c.update(num_classes="3"), "num_classes"),
        (lambda c: c.update(num_images=-1), "num_images"),
        (lambda c: c.update(ignore_class=2.5), "ignore_class"),
        (lambda c: c.update(format_version=True), "format_version"),
    ],
)
def test_load_rejects_bad_files(tmp_path, edit, match):
    config = _valid_config()
    edit(config)
    path = _write(tmp_path, config)
    with pytest.raises(ValueError, match=match):
        ClassStatistics.load(path)


def test_load_rejects_wrong_expected_class_count_malformed_json_and_missing_file(tmp_path):
    path = _write(tmp_path, _valid_config())
    assert ClassStatistics.load(path, num_classes=3).num_classes == 3
    with pytest.raises(ValueError, match="num_classes=150 was expected"):
        ClassStatistics.load(path, num_classes=150)
    with pytest.raises(ValueError, match="num_classes"):
        ClassStatistics.load(path, num_classes="3")
    with pytest.raises(ValueError, match="not valid JSON"):
        ClassStatistics.load(_write(tmp_path, '{"pixel_counts": [1, 2'))
    with pytest.raises(ValueError, match="JSON object"):
        ClassStatistics.load(_write(tmp_path, "[1, 2, 3]"))
    missing = tmp_path / "nope" / "stats.json"
    with pytest.raises(FileNotFoundError, match=str(missing)):
        ClassStatistics.load(missing)
