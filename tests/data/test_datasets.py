"""Datasets by name: `DATASETS`, `load_dataset`, `compute_dataset_statistics`."""

import numpy as np
import pytest

from keras_rr.data import ADE20K_CLASS_NAMES
from keras_rr.data import LoaderOptions
from keras_rr.data import compute_class_statistics
from keras_rr.data import compute_dataset_statistics
from keras_rr.data import load_dataset
from keras_rr.data import synthetic_long_tailed
from keras_rr.data.datasets import DATASETS
from tests.data.label_files import collect
from tests.data.label_files import write_three_class_directory
from tests.references import np_ade20k_training_ids
from tests.references import np_class_counts


def test_dataset_table():
    assert sorted(DATASETS) == [
        "ade20k", "ade20k_full", "ade20k_tfds", "coco_stuff164k", "coco_stuff_lt", "directory", "synthetic"
    ]
    assert DATASETS["ade20k"] == ("training", 150, ADE20K_CLASS_NAMES)
    assert DATASETS["coco_stuff164k"].num_classes == 171 and DATASETS["coco_stuff164k"].split == "train2017"
    # Callers index the entries as tuples too.
    assert DATASETS["directory"][2] is None and DATASETS["ade20k_tfds"][0] == "train"


def test_unknown_names_are_rejected():
    with pytest.raises(ValueError, match=r"Unknown dataset.*cityscapes"):
        load_dataset("cityscapes")
    with pytest.raises(ValueError, match="Unknown dataset"):
        compute_dataset_statistics("cityscapes")


def test_load_dataset_ade20k_defaults_and_labels_only(ade20k_root):
    root, raw = ade20k_root
    elements = collect(load_dataset("ade20k", str(root)))
    assert len(elements) == 3 and elements[0][0].ndim == 3  # training split by default
    labels = collect(load_dataset("ade20k", str(root), "validation", labels_only=True))
    assert len(labels) == 2
    np.testing.assert_array_equal(labels[0], np_ade20k_training_ids(raw["validation"][0]))
    # labels_only given in an options object is kept (load_dataset's default does not undo it).
    by_options = collect(load_dataset("ade20k", str(root), "validation", options=LoaderOptions(labels_only=True)))
    assert len(by_options) == 2 and by_options[0].ndim == 2
    with pytest.raises(TypeError, match="'batchsize'"):
        load_dataset("ade20k", str(root), batchsize=2)


def test_load_dataset_synthetic():
    ds = load_dataset("synthetic", num_images=4, image_size=16, seed=2)
    _, labels = synthetic_long_tailed(num_images=4, image_size=16, seed=2)
    elements = collect(ds)
    assert len(elements) == 4 and elements[0][0].shape == (16, 16, 3)
    only = collect(load_dataset("synthetic", labels_only=True, num_images=4, image_size=16, seed=2))
    for got, want in zip(only, labels):
        np.testing.assert_array_equal(got, want)


def test_compute_dataset_statistics_on_a_directory(tmp_path):
    image_dir, label_dir, names_file = write_three_class_directory(tmp_path)
    stats = compute_dataset_statistics(
        "directory", image_dir=image_dir, label_dir=label_dir, class_names_file=names_file, progress=False,
    )
    np.testing.assert_array_equal(stats.pixel_counts, [1, 2, 3])
    np.testing.assert_array_equal(stats.region_counts, [1, 1, 1])
    assert stats.class_names == ("a", "b", "c") and stats.num_ignored_pixels == 1
    assert stats.dataset_name == "directory" and stats.split is None
    with pytest.raises(ValueError, match="num_classes` is required"):
        compute_dataset_statistics("directory", image_dir=image_dir, label_dir=label_dir)


def test_compute_dataset_statistics_ade20k_and_synthetic(ade20k_root):
    root, raw = ade20k_root
    stats = compute_dataset_statistics("ade20k", str(root), progress=False, max_images=2)
    pixels, regions, ignored = np_class_counts([np_ade20k_training_ids(r) for r in raw["training"][:2]], 150)
    np.testing.assert_array_equal(stats.pixel_counts, pixels)
    np.testing.assert_array_equal(stats.region_counts, regions)
    assert stats.num_ignored_pixels == ignored and stats.num_images == 2
    assert stats.split == "training" and stats.class_names == ADE20K_CLASS_NAMES
    synthetic = compute_dataset_statistics("synthetic", num_images=5, image_size=16, seed=1, progress=False)
    _, labels, spec = synthetic_long_tailed(num_images=5, image_size=16, seed=1, return_spec=True)
    expected = compute_class_statistics(labels, spec.num_classes, progress=False)
    np.testing.assert_array_equal(synthetic.region_counts, expected.region_counts)
    assert synthetic.class_names == spec.class_names and synthetic.split == "train"
