"""`load_segmentation_directory`: any two folders of files paired by stem."""

import numpy as np
import pytest
import tensorflow as tf

from keras_rr.data import LoaderOptions
from keras_rr.data import load_dataset
from keras_rr.data import load_segmentation_directory
from keras_rr.data import read_class_names
from tests.data.label_files import collect
from tests.data.label_files import make_pairs
from tests.data.label_files import raw_maps


@pytest.fixture
def folders(tmp_path):
    image_dir, label_dir = tmp_path / "images", tmp_path / "labels"
    maps = raw_maps(np.array([0, 1, 2, 255]))
    make_pairs(image_dir, label_dir, maps[:2], ["b", "a"], image_ext=".png")
    make_pairs(image_dir, label_dir, maps[2:], ["c"], image_ext=".jpeg")
    names_file = tmp_path / "classes.txt"
    names_file.write_text("background\n# comment\ncat\n\ndog\n")
    return image_dir, label_dir, names_file, maps


def test_directory_loader_pairs_by_stem(folders, tmp_path):
    image_dir, label_dir, names_file, maps = folders
    assert read_class_names(names_file) == ("background", "cat", "dog")
    elements = collect(load_segmentation_directory(image_dir, label_dir, class_names_file=names_file))
    # Sorted by stem: a, b, c.
    assert len(elements) == 3
    for (image, label), raw_label in zip(elements, [maps[1], maps[0], maps[2]]):
        assert image.shape == raw_label.shape + (3,)
        np.testing.assert_array_equal(label, raw_label)
    with pytest.raises(ValueError, match="disagrees"):
        load_segmentation_directory(image_dir, label_dir, class_names_file=names_file, num_classes=5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="outside"):
        collect(load_segmentation_directory(image_dir, label_dir, num_classes=2))
    with pytest.raises(FileNotFoundError, match="labels"):
        load_segmentation_directory(image_dir, tmp_path / "missing")
    ds = load_dataset("directory", image_dir=image_dir, label_dir=label_dir, labels_only=True)
    assert len(collect(ds)) == 3


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_classes": 300}, r"num_classes.*\[1, 256\]"),
        ({"num_classes": 0}, "num_classes"),
        ({"num_classes": 3, "ignore_class": 1}, "ignore_class"),
    ],
)
def test_directory_bad_class_arguments(folders, kwargs, match):
    image_dir, label_dir, _, _ = folders
    with pytest.raises(ValueError, match=match):
        load_segmentation_directory(image_dir, label_dir, **kwargs)


def test_directory_options_object_and_unknown_keyword(folders):
    image_dir, label_dir, names_file, maps = folders
    options = LoaderOptions(labels_only=True, validate_labels=False)
    labels = collect(load_segmentation_directory(image_dir, label_dir, num_classes=2, options=options))
    # Validation off: the out-of-range class 2 passes through unchanged.
    np.testing.assert_array_equal(labels[0], maps[1])
    assert all(label.ndim == 2 for label in labels)
    with pytest.raises(TypeError, match="load_segmentation_directory.*'batch'"):
        load_segmentation_directory(image_dir, label_dir, batch=2)
