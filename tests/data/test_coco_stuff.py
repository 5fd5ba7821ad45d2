"""`load_coco_stuff164k` on a tiny COCO-Stuff164K folder, and its raw-id table."""

import numpy as np
import pytest
import tensorflow as tf

from keras_rr.data import COCO_STUFF_CLASS_NAMES
from keras_rr.data import LoaderOptions
from keras_rr.data import coco_stuff_raw_to_contiguous_lut
from keras_rr.data import load_coco_stuff164k
from tests.data.label_files import collect
from tests.data.label_files import write_label

UNUSED_RAW_IDS = [11, 25, 28, 29, 44, 65, 67, 68, 70, 82, 90]


def test_coco_stuff_lut():
    lut = coco_stuff_raw_to_contiguous_lut()
    assert lut.shape == (256,)
    assert np.all(lut[UNUSED_RAW_IDS] == 255)
    used = np.array([i for i in range(182) if i not in UNUSED_RAW_IDS])
    np.testing.assert_array_equal(lut[used], np.arange(171))
    assert np.all(lut[182:] == 255)
    assert len(set(lut.tolist()) - {255}) == 171
    # Spot checks against the COCO category ids (pixel value = id - 1).
    names = COCO_STUFF_CLASS_NAMES
    assert len(names) == 171 and len(set(names)) == 171
    assert names[lut[0]] == "person" and names[lut[12]] == "stop sign"
    assert names[lut[89]] == "toothbrush" and names[lut[91]] == "banner" and names[lut[181]] == "wood"


def test_coco_stuff_raw_ids(coco_root):
    root, raw, _ = coco_root
    lut = coco_stuff_raw_to_contiguous_lut()
    elements = collect(load_coco_stuff164k(root, "val", raw_ids=True))
    for (image, label), raw_label in zip(elements, raw):
        assert image.shape == raw_label.shape + (3,) and label.dtype == np.int32
        np.testing.assert_array_equal(label, lut[raw_label])
    values = set(np.concatenate([label.ravel() for _, label in elements]).tolist())
    assert values == {0, 255, 11, 80, 170} | {int(lut[90])}  # raw 90 is unused -> 255
    # Raw files read as training ids fail loudly (181 > 170).
    with pytest.raises(tf.errors.InvalidArgumentError, match="raw_ids=True"):
        collect(load_coco_stuff164k(root, "val2017", labels_only=True))


def test_coco_stuff_prefers_label_train_ids(coco_root):
    root, raw, names = coco_root
    lut = coco_stuff_raw_to_contiguous_lut()
    for name, raw_label in zip(names, raw):
        write_label(root / "annotations" / "val2017" / f"{name}_labelTrainIds.png", lut[raw_label])
    labels = collect(load_coco_stuff164k(root, "val2017", labels_only=True))
    assert len(labels) == 3
    for label, raw_label in zip(labels, raw):
        np.testing.assert_array_equal(label, lut[raw_label])
    # raw_ids=True still reads the raw files next to them.
    raw_labels = collect(load_coco_stuff164k(root, "val2017", raw_ids=True, labels_only=True))
    np.testing.assert_array_equal(raw_labels[0], lut[raw[0]])


def test_coco_stuff_missing(tmp_path):
    (tmp_path / "images").mkdir()
    with pytest.raises(FileNotFoundError, match=r"images/train2017/\*\.jpg"):
        load_coco_stuff164k(tmp_path, "train2017")
    with pytest.raises(ValueError, match="split"):
        load_coco_stuff164k(tmp_path, "test2017")


def test_coco_stuff_options_and_keywords(coco_root):
    root, raw, _ = coco_root
    lut = coco_stuff_raw_to_contiguous_lut()
    options = LoaderOptions(labels_only=True, shuffle=True, seed=2)
    by_object = collect(load_coco_stuff164k(root, "val2017", True, None, options))
    by_keyword = collect(load_coco_stuff164k(root, "val2017", raw_ids=True, labels_only=True, shuffle=True, seed=2))
    assert [label.shape for label in by_object] == [label.shape for label in by_keyword]
    for got, want in zip(by_object, by_keyword):
        np.testing.assert_array_equal(got, want)
    assert sorted(label.tobytes() for label in by_object) == sorted(lut[r].tobytes() for r in raw)
    with pytest.raises(TypeError, match="load_coco_stuff164k.*'raw'"):
        load_coco_stuff164k(root, "val2017", raw=True)
