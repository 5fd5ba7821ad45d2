"""evaluate_segmenter: streamed confusion matrix equals the NumPy reference."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_rr import inference
from keras_rr.metrics import metrics_from_confusion_matrix
from tests.harness import to_numpy
from tests.references import np_confusion_matrix

K = 4


def _model():
    inputs = keras.Input((None, None, 3))
    x = keras.layers.AveragePooling2D(2)(inputs)
    outputs = keras.layers.Conv2D(K, 3, padding="same")(x)
    return keras.Model(inputs, outputs)


def _batches(n=3, seed=0, size=(10, 13)):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        images = rng.normal(size=(2,) + size + (3,)).astype("float32")
        labels = rng.integers(0, K, (2,) + size).astype("int32")
        labels[rng.random(labels.shape) < 0.2] = 255
        out.append((images, labels))
    return out


def _reference(model, batches, **kwargs):
    cm = np.zeros((K, K))
    for images, labels in batches:
        preds = to_numpy(inference.predict_labels(model, images, **kwargs))
        cm += np_confusion_matrix(labels, preds, K)
    return metrics_from_confusion_matrix(cm)


@pytest.mark.parametrize(
    "mode,kwargs",
    [
        ("whole", {}),
        ("slide", {"crop_size": 6, "stride": 4}),
        ("multi_scale", {"scales": (0.5, 1.0), "flip": True}),
    ],
)
def test_matches_reference(mode, kwargs):
    model = _model()
    batches = _batches()
    got = inference.evaluate_segmenter(
        model, batches, num_classes=K, mode=mode, progress=False, **kwargs
    )
    ref = _reference(model, batches, mode=mode, **kwargs)
    np.testing.assert_array_equal(got.confusion_matrix, ref.confusion_matrix)
    assert got.miou == pytest.approx(ref.miou)
    # 255 pixels are excluded: the matrix counts only labeled pixels.
    labeled = sum(int((b[1] != 255).sum()) for b in batches)
    assert got.confusion_matrix.sum() == labeled


def test_dicts_labels_with_channel_axis_progress_and_max_batches():
    model = _model()
    batches = _batches()
    dict_batches = [{"images": x, "labels": y[..., None]} for x, y in batches]
    got = inference.evaluate_segmenter(
        model, dict_batches, num_classes=K, progress=True, max_batches=2
    )
    ref = _reference(model, batches[:2])
    np.testing.assert_array_equal(got.confusion_matrix, ref.confusion_matrix)


def test_labels_at_other_resolution_and_numpy_iterator():
    model = _model()
    images = np.random.default_rng(1).normal(size=(2, 10, 13, 3)).astype("float32")
    labels = np.random.default_rng(2).integers(0, K, (2, 20, 26)).astype("int32")

    class FakeDataset:  # quacks like tf.data: evaluate uses as_numpy_iterator()
        def as_numpy_iterator(self):
            return iter([(images, labels, np.ones(2))])

    got = inference.evaluate_segmenter(model, FakeDataset(), num_classes=K, progress=False)
    probs = inference.predict_whole(model, images)
    up = ops.image.resize(probs, (20, 26), interpolation="bilinear")
    expected = np_confusion_matrix(labels, to_numpy(up).argmax(-1), K)
    np.testing.assert_array_equal(got.confusion_matrix, expected)


def test_bad_elements():
    with pytest.raises(ValueError, match="image key"):
        inference.evaluate_segmenter(_model(), [{"x": 1}], num_classes=K, progress=False)


def test_bad_arguments_fail_before_any_batch():
    class Untouchable:  # evaluation must not start iterating with bad arguments
        def __iter__(self):
            raise AssertionError("iterated")

    for kwargs, match in [
        ({"num_classes": 0}, "num_classes"),
        ({"num_classes": K, "ignore_class": 2.5}, "ignore_class"),
        ({"num_classes": K, "data_format": "NHWC"}, "data_format"),
        ({"num_classes": K, "max_batches": -1}, "max_batches"),
        ({"num_classes": K, "max_batches": True}, "max_batches"),
    ]:
        with pytest.raises(ValueError, match=match):
            inference.evaluate_segmenter(_model(), Untouchable(), progress=False, **kwargs)


def test_channels_first_single_image_and_ignore_none():
    model = _model()
    images, labels = _batches(1)[0]
    labels = np.where(labels == 255, 0, labels)
    element = (np.transpose(images[0], (2, 0, 1)), labels[0][None])  # one unbatched (C, H, W) image

    def model_cf(x):
        return ops.transpose(model(ops.transpose(x, (0, 2, 3, 1))), (0, 3, 1, 2))

    got = inference.evaluate_segmenter(
        model_cf, [element], num_classes=K, ignore_class=None, data_format="channels_first", progress=False
    )
    ref = _reference(model, [(images[:1], labels[:1])])
    np.testing.assert_array_equal(got.confusion_matrix, ref.confusion_matrix)
    assert got.confusion_matrix.sum() == labels[0].size
