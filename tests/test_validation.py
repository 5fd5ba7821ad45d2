"""The shared argument checks and label helpers of `keras_rr.validation`."""

import keras
import numpy as np
import pytest

import keras_rr
from keras_rr import validation
from keras_rr.validation import check_labels
from tests.harness import random_labels
from tests.harness import to_numpy


def test_check_int_bounds_none_and_booleans():
    assert validation.check_int(np.int64(3), "n", minimum=1) == 3
    assert type(validation.check_int(np.int64(3), "n")) is int
    assert validation.check_int(None, "n", allow_none=True) is None
    with pytest.raises(ValueError, match=r"`n` must be an int >= 1\. Received: n=0"):
        validation.check_int(0, "n", minimum=1)
    with pytest.raises(ValueError, match=r"int in \[1, 256\]"):
        validation.check_int(300, "n", minimum=1, maximum=256)
    with pytest.raises(ValueError, match="or None"):
        validation.check_int(2.0, "n", allow_none=True)
    for bad in (True, 2.0, "2", None):
        with pytest.raises(ValueError, match="`n` must be an int"):
            validation.check_int(bad, "n")


def test_check_num_classes_and_ignore_class():
    assert validation.check_num_classes(150, minimum=2) == 150
    with pytest.raises(ValueError, match="num_classes.*>= 2.*Received: num_classes=1"):
        validation.check_num_classes(1, minimum=2)
    assert validation.check_ignore_class(None) is None
    assert validation.check_ignore_class(np.int32(255), num_classes=150) == 255
    assert validation.check_ignore_class(-1) == -1
    with pytest.raises(ValueError, match=r"must not be a class id in \[0, num_classes\)"):
        validation.check_ignore_class(3, num_classes=150)
    with pytest.raises(ValueError, match="ignore_class` must be an int or None"):
        validation.check_ignore_class(255.0)


def test_check_number_choice_and_data_format():
    assert validation.check_number(np.float32(0.5), "x", 0.0, 1.0) == 0.5
    assert validation.check_number(0, "x", minimum=0.0) == 0.0
    with pytest.raises(ValueError, match=r"in \[0.0, 1.0\)"):
        validation.check_number(1.0, "x", 0.0, 1.0, max_inclusive=False)
    with pytest.raises(ValueError, match="> 0"):
        validation.check_number(0.0, "x", minimum=0, min_inclusive=False)
    for bad in (float("nan"), float("inf"), True, "0.1", None):
        with pytest.raises(ValueError, match="finite number"):
            validation.check_number(bad, "x")
    assert validation.check_choice("b", ("a", "b"), "mode") == "b"
    with pytest.raises(ValueError, match=r"`mode` must be one of \('a', 'b'\)\. Received: mode='c'"):
        validation.check_choice("c", ("a", "b"), "mode")
    assert validation.check_data_format(None) == keras.config.image_data_format()
    with pytest.raises(ValueError, match="data_format"):
        validation.check_data_format("nhwc")


def test_check_counts():
    np.testing.assert_array_equal(validation.check_counts([3, 0, 1], "f", num_classes=3), [3.0, 0.0, 1.0])
    for counts, match in (
        ([[1, 2]], "1-D"),
        ([1, 2], "one entry per class"),
        ([1, np.nan, 2], "finite"),
        ([1, -1, 2], "non-negative"),
        (["a", 1, 2], "per-class counts"),
    ):
        with pytest.raises(ValueError, match=match):
            validation.check_counts(counts, "f", num_classes=3)


def test_squeeze_label_channel_numpy_and_tensors():
    labels = np.zeros((2, 4, 5, 1), "int32")
    assert validation.squeeze_label_channel(labels).shape == (2, 4, 5)
    assert isinstance(validation.squeeze_label_channel(labels), np.ndarray)
    assert tuple(validation.squeeze_label_channel(keras.ops.convert_to_tensor(labels)).shape) == (2, 4, 5)
    channels_first = np.zeros((2, 1, 4, 5), "int32")
    assert validation.squeeze_label_channel(channels_first, axis=1).shape == (2, 4, 5)
    # A (B, H, 1) map is a legitimate 3-D label map, and 4-D maps with C > 1 are left alone.
    assert validation.squeeze_label_channel(np.zeros((2, 4, 1))).shape == (2, 4, 1)
    assert validation.squeeze_label_channel(np.zeros((2, 4, 5, 3))).shape == (2, 4, 5, 3)


def test_valid_label_mask_numpy_and_tensors_agree():
    labels = random_labels((2, 6, 7), 5, ignore_fraction=0.3)
    labels[0, 0, :3] = [-1, 5, 9]  # out of range: not valid either
    want = (labels >= 0) & (labels < 4) & (labels != 255)
    got_numpy = validation.valid_label_mask(labels, 4, ignore_class=255)
    assert isinstance(got_numpy, np.ndarray)
    np.testing.assert_array_equal(got_numpy, want)
    got_tensor = validation.valid_label_mask(keras.ops.convert_to_tensor(labels), 4, ignore_class=255)
    np.testing.assert_array_equal(to_numpy(got_tensor), want)
    # An ignore value inside [0, K) removes that class.
    np.testing.assert_array_equal(validation.valid_label_mask(np.array([0, 1, 2]), 3, ignore_class=1), [1, 0, 1])


def test_sparse_label_targets():
    labels = np.array([[[0, 255], [3, 1]]], "int32")[..., None]
    logits = np.zeros((1, 2, 2, 3), "float32")
    ids, valid = validation.sparse_label_targets(labels, logits, 3, ignore_class=255)
    np.testing.assert_array_equal(to_numpy(ids), [[[0, 0], [0, 1]]])
    np.testing.assert_array_equal(to_numpy(valid), [[[1, 0], [0, 1]]])
    with pytest.raises(ValueError, match="4 classes but num_classes=3"):
        validation.sparse_label_targets(labels, np.zeros((1, 2, 2, 4), "float32"), 3)
    with pytest.raises(ValueError, match="shape of the logits without the class axis"):
        validation.sparse_label_targets(np.zeros((1, 2), "int32"), logits, 3)


def test_check_labels():
    check_labels = keras_rr.ops.check_labels  # the public path
    check_labels(np.array([[0, 2, 255]]), 3)
    with pytest.raises(ValueError, match=r"\[3, 7\]"):
        check_labels(np.array([[0, 3, 7, 255]]), 3)
    with pytest.raises(ValueError, match=r"\[-1\]"):
        check_labels(np.array([[-1, 0]]), 3)
    with pytest.raises(ValueError, match="integer"):
        check_labels(np.array([[0.0, 1.0]]), 3)


@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64"])
def test_check_labels_fast_path_agrees_with_the_definition(dtype):
    # Every (ids, K, ignore) case: raises exactly when some id is outside [0, K) and is
    # not the ignore value (the fast test counts ids >= K against ignore pixels).
    rng = np.random.default_rng(0)
    for trial in range(200):
        k = int(rng.integers(2, 8))
        ignore = [None, 255, 0, k - 1, k][trial % 5]
        ids = rng.integers(0, k, size=(2, 5, 5))
        if trial % 3 == 0:
            ids[0, 0, 0] = 255 if ignore is None or trial % 2 else k  # a bad or an ignore id
        if trial % 7 == 0 and dtype != "uint8":
            ids[1, 1, 1] = -1
        labels = ids.astype(dtype)
        values = labels.astype("int64")
        bad = (values < 0) | (values >= k)
        if ignore is not None:
            bad &= values != ignore
        if bad.any():
            with pytest.raises(ValueError, match="outside"):
                check_labels(labels, k, ignore_class=ignore)
        else:
            check_labels(labels, k, ignore_class=ignore)
    check_labels(np.zeros((0, 4, 4), dtype), 3)  # empty: nothing to check


def test_check_label_map():
    labels = keras.ops.zeros((2, 8, 8, 1), "int32")
    assert tuple(validation.check_label_map(labels).shape) == (2, 8, 8)
    symbolic = keras.Input((8, 8), dtype="uint8")
    assert tuple(validation.check_label_map(symbolic).shape) == (None, 8, 8)
    with pytest.raises(ValueError, match=r"`labels` must be \(batch, height, width\).*\(2, 8\)"):
        validation.check_label_map(np.zeros((2, 8), "int32"))
    with pytest.raises(ValueError, match=r"`y` must be integer class ids.*float32"):
        validation.check_label_map(keras.ops.zeros((2, 8, 8), "float32"), name="y")
