"""Bad files: `compute_class_statistics(validate=...)` lists every one; the pipeline names the file."""

import os
import re

import numpy as np
import pytest
import tensorflow as tf

from keras_rr.data import compute_class_statistics
from keras_rr.data import load_segmentation_directory
from keras_rr.data.file_datasets import dataset_files
from tests.data.label_files import collect
from tests.data.label_files import write_bad_pairs
from tests.data.label_files import write_three_class_directory


@pytest.fixture
def bad_pairs(tmp_path):
    return write_bad_pairs(str(tmp_path))


def test_validate_lists_every_bad_file_in_one_error(bad_pairs):
    image_dir, label_dir, bad = bad_pairs
    labels = load_segmentation_directory(image_dir, label_dir, num_classes=3, labels_only=True)
    with pytest.raises(ValueError) as caught:
        compute_class_statistics(labels, 3, progress=False)  # validate=None: on for a loader's dataset
    message = str(caught.value)
    assert "6 file(s) of the 7 image/label pairs" in message
    lines = {line.split(": ", 1)[0].strip(): line for line in message.splitlines()[1:]}
    assert sorted(lines) == sorted(bad.values())
    assert "label" in lines[bad["mismatch"]] and "(3, 5)" in lines[bad["mismatch"]] and "(4, 5)" in lines[bad["mismatch"]]
    assert "coloured" in lines[bad["coloured"]] and "color_map" in lines[bad["coloured"]]
    assert "[7]" in lines[bad["range"]] and "[0, 3)" in lines[bad["range"]]
    assert "truncated" in lines[bad["truncated"]]
    assert "cannot be decoded" in lines[bad["corrupt"]] and "function_node" not in lines[bad["corrupt"]]
    assert "16-bit" in lines[bad["deep"]]
    # Off, the labels are counted as the pipeline reads them, up to the first bad one.
    with pytest.raises(tf.errors.InvalidArgumentError):
        compute_class_statistics(labels, 3, progress=False, validate=False)


def test_validated_counts_equal_the_plain_counts(tmp_path):
    image_dir, label_dir, _ = write_three_class_directory(str(tmp_path))
    labels = load_segmentation_directory(image_dir, label_dir, num_classes=3, labels_only=True, shuffle=True)
    checked = compute_class_statistics(labels, 3, progress=True, validate=True)
    plain = compute_class_statistics(labels, 3, progress=False, validate=False)
    per_image = ("image_classes", "image_class_pixels")
    assert {k: v for k, v in checked.to_dict().items() if k not in per_image} == plain.to_dict()
    # Validated: the files in name order; counted as shuffled: no per-image classes.
    assert [c.tolist() for c in checked.image_classes] == [[0, 1], [2]]
    assert not plain.has_image_classes
    np.testing.assert_array_equal(checked.pixel_counts, [1, 2, 3])
    first = compute_class_statistics(labels, 3, progress=False, validate=True, max_images=1)
    assert first.num_images == 1 and first.pixel_counts.tolist() == [1, 2, 0]


def test_validate_counts_against_the_statistics_classes(tmp_path):
    image_dir, label_dir, _ = write_three_class_directory(str(tmp_path))
    labels = load_segmentation_directory(image_dir, label_dir, labels_only=True)  # any 8-bit value is valid here
    with pytest.raises(ValueError, match=r"(?s)1 file\(s\).*1\.png: Found label values outside \[0, 2\)"):
        compute_class_statistics(labels, 2, progress=False, validate=True)


def test_validate_needs_a_loaders_own_dataset(tmp_path):
    image_dir, label_dir, _ = write_three_class_directory(str(tmp_path))
    labels = load_segmentation_directory(image_dir, label_dir, labels_only=True)
    assert len(dataset_files(labels).label_paths) == 2
    assert dataset_files(labels.take(1)) is None
    with pytest.raises(ValueError, match="validate=True.*file loader"):
        compute_class_statistics(labels.take(2), 3, progress=False, validate=True)
    augmented = load_segmentation_directory(image_dir, label_dir, augment={"crop_size": 1})
    with pytest.raises(ValueError, match="augments.*labels_only=True"):
        compute_class_statistics(augmented, 3, progress=False, validate=True)
    with pytest.raises(ValueError, match="validate"):
        compute_class_statistics(labels, 3, progress=False, validate="yes")
    # Not validated by default: counted as given.
    assert compute_class_statistics(augmented, 3, progress=False).num_images == 2


@pytest.mark.parametrize(
    "folder, damage, match",
    [
        ("lab", lambda data: data[:-20], "truncated"),
        ("lab", lambda data: b"\xff\xd8\xff" + data, "not a PNG"),
        ("img", lambda data: b"garbage", "not a JPEG, PNG"),
        ("img", lambda data: data[:-20], "truncated"),
    ],
)
def test_pipeline_decode_errors_name_the_file(tmp_path, folder, damage, match):
    image_dir, label_dir, _ = write_three_class_directory(str(tmp_path))
    path = os.path.join(str(tmp_path), folder, "1.png")
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(damage(data))
    with pytest.raises(tf.errors.InvalidArgumentError, match=rf"{re.escape(path)}.*{match}"):
        collect(load_segmentation_directory(image_dir, label_dir))
