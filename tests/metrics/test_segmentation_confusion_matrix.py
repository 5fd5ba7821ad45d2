"""SegmentationConfusionMatrix against the NumPy reference, eagerly and inside fit."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_rr.metrics import SegmentationConfusionMatrix
from keras_rr.metrics import metrics_from_confusion_matrix
from tests.harness import run_serialization_test
from tests.harness import skip_on_backends
from tests.harness import to_numpy
from tests.references import np_confusion_matrix

K = 5


def _random_batch(seed, shape=(2, 6, 7), num_classes=K):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, shape).astype("int32")
    labels[rng.random(shape) < 0.15] = 255
    labels[rng.random(shape) < 0.05] = num_classes + 3  # out of range
    labels[rng.random(shape) < 0.03] = -1  # out of range, negative
    logits = rng.normal(size=shape + (num_classes,)).astype("float32")
    return labels, logits


def test_hand_example():
    # Same example as test_segmentation_metrics: cm = [[1,1,0],[0,2,1],[1,0,0]],
    # IoU = [1/3, 1/2, 0], mIoU = 5/18, Acc = [1/2, 2/3, 0], mAcc = 7/18, aAcc = 1/2.
    y_true = np.array([[[0, 0, 1, 1], [2, 255, 1, 7]]])
    y_pred = np.array([[[0, 1, 1, 1], [0, 2, 2, 0]]])
    metric = SegmentationConfusionMatrix(num_classes=3)
    metric.update_state(y_true, y_pred)
    np.testing.assert_array_equal(
        to_numpy(metric.confusion_matrix), [[1, 1, 0], [0, 2, 1], [1, 0, 0]]
    )
    assert float(metric.result()) == pytest.approx(5 / 18, abs=1e-6)
    np.testing.assert_allclose(to_numpy(metric.per_class_iou()), [1 / 3, 1 / 2, 0], atol=1e-6)
    np.testing.assert_allclose(
        to_numpy(metric.per_class_accuracy()), [1 / 2, 2 / 3, 0], atol=1e-6
    )
    assert float(metric.mean_accuracy()) == pytest.approx(7 / 18, abs=1e-6)
    assert float(metric.overall_accuracy()) == pytest.approx(0.5, abs=1e-6)


def test_matches_numpy_over_several_updates_and_layouts():
    metric = SegmentationConfusionMatrix(num_classes=K)
    expected = np.zeros((K, K))
    for step in range(3):
        labels, logits = _random_batch(step)
        preds = logits.argmax(-1)
        if step == 0:
            metric.update_state(labels, logits)  # scores -> argmax
        elif step == 1:
            metric.update_state(labels[..., None], preds)  # (B,H,W,1) labels, int preds
        else:
            metric.update_state(labels[..., None], preds[..., None].astype("int64"))
        expected += np_confusion_matrix(labels, preds, K)
    np.testing.assert_array_equal(to_numpy(metric.confusion_matrix), expected)
    ref = metrics_from_confusion_matrix(expected)
    assert float(metric.result()) == pytest.approx(ref.miou, abs=1e-6)
    assert float(metric.mean_accuracy()) == pytest.approx(ref.macc, abs=1e-6)
    assert float(metric.overall_accuracy()) == pytest.approx(ref.aacc, abs=1e-6)
    got = metric.segmentation_metrics()
    np.testing.assert_allclose(got.iou, ref.iou)
    metric.reset_state()
    assert float(ops.sum(metric.confusion_matrix)) == 0.0
    assert np.isnan(float(metric.result()))  # nothing counted: NaN, as mmseg


def test_empty_result_is_nan_like_mmseg_and_the_numpy_path():
    metric = SegmentationConfusionMatrix(num_classes=K)
    metric.update_state(np.full((1, 2, 2), 255), np.zeros((1, 2, 2), "int32"))  # all ignored
    reference = metrics_from_confusion_matrix(np.zeros((K, K)))
    assert np.isnan(reference.miou) and np.isnan(reference.macc) and np.isnan(reference.aacc)
    for value in (metric.result(), metric.mean_iou(), metric.mean_accuracy(), metric.overall_accuracy()):
        assert np.isnan(float(value))
    assert np.all(np.isnan(to_numpy(metric.per_class_iou())))
    assert np.all(np.isnan(to_numpy(metric.per_class_accuracy())))
    metric.update_state(np.zeros((1, 2, 2)), np.zeros((1, 2, 2), "int32"))  # one class counted
    assert float(metric.result()) == 1.0 and float(metric.overall_accuracy()) == 1.0


def test_absent_classes_are_skipped():
    # Labels and predictions only use classes 0 and 1 of K = 5.
    labels = np.array([[[0, 1], [1, 255]]])
    preds = np.array([[[0, 1], [0, 1]]])
    metric = SegmentationConfusionMatrix(num_classes=K)
    metric.update_state(labels, preds)
    iou = to_numpy(metric.per_class_iou())
    assert np.all(np.isnan(iou[2:]))
    np.testing.assert_allclose(iou[:2], [1 / 2, 1 / 2], atol=1e-6)
    assert float(metric.result()) == pytest.approx(0.5, abs=1e-6)


def test_low_resolution_logits_are_resized_to_labels():
    labels, _ = _random_batch(3, shape=(2, 8, 10))
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(2, 4, 5, K)).astype("float32")
    metric = SegmentationConfusionMatrix(num_classes=K)
    metric.update_state(labels, logits)
    up = to_numpy(ops.image.resize(logits, (8, 10), interpolation="bilinear"))
    expected = np_confusion_matrix(labels, up.argmax(-1), K)
    np.testing.assert_array_equal(to_numpy(metric.confusion_matrix), expected)
    assert expected.sum() > 0


def test_sample_weight():
    labels, logits = _random_batch(5)
    preds = logits.argmax(-1)
    per_image = np.array([2.0, 0.5], dtype="float32")
    metric = SegmentationConfusionMatrix(num_classes=K)
    metric.update_state(labels, logits, sample_weight=per_image)
    np.testing.assert_allclose(
        to_numpy(metric.confusion_matrix),
        np_confusion_matrix(labels, preds, K, sample_weight=per_image),
        rtol=1e-6,
    )
    per_pixel = np.random.default_rng(6).random(labels.shape + (1,)).astype("float32")
    metric.reset_state()
    metric.update_state(labels, preds, sample_weight=per_pixel)
    np.testing.assert_allclose(
        to_numpy(metric.confusion_matrix),
        np_confusion_matrix(labels, preds, K, sample_weight=per_pixel),
        rtol=1e-5,
    )


def test_out_of_range_integer_predictions_count_nowhere():
    # A K x K matrix has no column for prediction 3 or -1 (K = 3); without the check,
    # label 0 / prediction 3 would land in cell (1, 0).
    labels = np.array([[[0, 1, 2, 1]]])
    preds = np.array([[[3, 1, -1, 1]]])
    m = SegmentationConfusionMatrix(num_classes=3)
    m.update_state(labels, preds)
    expected = np_confusion_matrix(labels, preds, 3)
    np.testing.assert_array_equal(expected, [[0, 0, 0], [0, 2, 0], [0, 0, 0]])
    np.testing.assert_array_equal(to_numpy(m.confusion_matrix), expected)


def test_unit_weights_count_like_no_weights():
    # No weights take an integer-bincount path, weights a weighted one: same counts.
    rng = np.random.default_rng(3)
    labels = rng.integers(-1, 6, size=(2, 8, 8))
    labels[0, :2] = 255
    preds = rng.integers(-1, 6, size=(2, 8, 8))
    unweighted = SegmentationConfusionMatrix(num_classes=5)
    unweighted.update_state(labels, preds)
    weighted = SegmentationConfusionMatrix(num_classes=5)
    weighted.update_state(labels, preds, sample_weight=np.ones((2,), "float32"))
    expected = np_confusion_matrix(labels, preds, 5)
    np.testing.assert_array_equal(to_numpy(unweighted.confusion_matrix), expected)
    np.testing.assert_array_equal(to_numpy(weighted.confusion_matrix), expected)


def test_ignore_class_none_and_custom():
    labels = np.array([[[0, 1, 2]]])
    preds = np.array([[[0, 1, 1]]])
    m = SegmentationConfusionMatrix(num_classes=3, ignore_class=None)
    m.update_state(labels, preds)
    assert float(ops.sum(m.confusion_matrix)) == 3
    m = SegmentationConfusionMatrix(num_classes=3, ignore_class=2)
    m.update_state(labels, preds)
    assert float(ops.sum(m.confusion_matrix)) == 2


def test_config_round_trip():
    metric = SegmentationConfusionMatrix(num_classes=7, ignore_class=0, data_format="channels_first", name="val_iou")
    restored = run_serialization_test(metric)
    assert restored.name == "val_iou" and restored.num_classes == 7
    assert restored.ignore_class == 0 and restored.data_format == "channels_first"


def test_bad_args():
    with pytest.raises(ValueError, match="num_classes"):
        SegmentationConfusionMatrix(num_classes=0)
    with pytest.raises(ValueError, match="num_classes"):
        SegmentationConfusionMatrix(num_classes=2.0)
    with pytest.raises(ValueError, match="ignore_class"):
        SegmentationConfusionMatrix(num_classes=3, ignore_class=2.5)
    with pytest.raises(ValueError, match="data_format"):
        SegmentationConfusionMatrix(num_classes=3, data_format="NHWC")
    with pytest.raises(ValueError, match="class scores"):
        SegmentationConfusionMatrix(num_classes=3).update_state(
            np.zeros((1, 2, 2)), np.zeros((1, 2, 2, 4))
        )
    with pytest.raises(ValueError, match="y_true"):
        SegmentationConfusionMatrix(num_classes=3).update_state(np.zeros((1, 2, 2, 2)), np.zeros((1, 2, 2)))


def test_channels_first_scores_and_labels():
    labels, logits = _random_batch(12)
    metric = SegmentationConfusionMatrix(num_classes=K, data_format="channels_first")
    metric.update_state(labels[:, None], np.transpose(logits, (0, 3, 1, 2)))
    np.testing.assert_array_equal(
        to_numpy(metric.confusion_matrix), np_confusion_matrix(labels, logits.argmax(-1), K)
    )


def _tiny_model(downsample):
    inputs = keras.Input((6, 7, 3))
    x = keras.layers.AveragePooling2D(2)(inputs) if downsample else inputs
    outputs = keras.layers.Conv2D(K, 3, padding="same")(x)
    return keras.Model(inputs, outputs)


def _zero_loss(y_true, y_pred):
    return ops.mean(y_pred, axis=(1, 2, 3)) * 0.0


@pytest.mark.parametrize("downsample", [False, True], ids=["full_res", "stride2_logits"])
def test_inside_compile_fit_and_evaluate(downsample):
    rng = np.random.default_rng(7)
    # 5 samples with batch 2: the last batch is partial (dynamic batch on TF).
    images = rng.normal(size=(5, 6, 7, 3)).astype("float32")
    labels = rng.integers(0, K, (5, 6, 7)).astype("int32")
    # Only 255 as a non-class label: the loss (not the metric) rejects other values.
    labels[rng.random(labels.shape) < 0.15] = 255
    model = _tiny_model(downsample)
    model.compile(
        # lr 0: the weights fit sees are the ones we compute the reference with.
        optimizer=keras.optimizers.SGD(learning_rate=0.0),
        # A low-resolution output does not fit the pixel loss; the metric is under test.
        loss=_zero_loss if downsample else keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, ignore_class=255),
        metrics=[SegmentationConfusionMatrix(num_classes=K)],
    )
    logits = model.predict(images, batch_size=2, verbose=0)
    # A stride-2 model is scored at label resolution (bilinear logits, then argmax).
    logits = to_numpy(ops.image.resize(logits, (6, 7), interpolation="bilinear"))
    expected = metrics_from_confusion_matrix(
        np_confusion_matrix(labels, logits.argmax(-1), K)
    ).miou

    history = model.fit(images, labels, batch_size=2, epochs=1, verbose=0)
    assert history.history["miou"][-1] == pytest.approx(expected, abs=1e-5)
    logs = model.evaluate(images, labels[..., None], batch_size=2, verbose=0,
                          return_dict=True)
    assert logs["miou"] == pytest.approx(expected, abs=1e-5)
    # One-step fit on one batch, as a smoke check of the compiled train step.
    history = model.fit(images[:2], labels[:2], batch_size=2, epochs=1, verbose=0)
    ref_one = metrics_from_confusion_matrix(
        np_confusion_matrix(labels[:2], logits[:2].argmax(-1), K)
    ).miou
    assert history.history["miou"][-1] == pytest.approx(ref_one, abs=1e-5)


@skip_on_backends("jax", "torch", reason="tf.function only")
def test_tf_graph_with_unknown_spatial_size():
    import tensorflow as tf

    metric = SegmentationConfusionMatrix(num_classes=K)
    labels, _ = _random_batch(9, shape=(2, 8, 10))
    logits = np.random.default_rng(10).normal(size=(2, 4, 5, K)).astype("float32")

    @tf.function(
        input_signature=[
            tf.TensorSpec((None, None, None), tf.int32),
            tf.TensorSpec((None, None, None, K), tf.float32),
        ]
    )
    def update(y_true, y_pred):
        metric.update_state(y_true, y_pred)

    update(labels, logits)
    up = to_numpy(ops.image.resize(logits, (8, 10), interpolation="bilinear"))
    np.testing.assert_array_equal(
        to_numpy(metric.confusion_matrix), np_confusion_matrix(labels, up.argmax(-1), K)
    )


@skip_on_backends("tensorflow", "torch", reason="jax.jit only")
def test_jax_jit_stateless_update():
    import jax

    metric = SegmentationConfusionMatrix(num_classes=K)
    labels, logits = _random_batch(11)

    @jax.jit
    def update(variables, y_true, y_pred):
        return metric.stateless_update_state(variables, y_true, y_pred)

    variables = update([v.value for v in metric.variables], labels, logits)
    variables = update(variables, labels, logits)
    expected = 2 * np_confusion_matrix(labels, logits.argmax(-1), K)
    np.testing.assert_array_equal(np.asarray(variables[0]), expected)
    result = metric.stateless_result(variables)
    assert float(result) == pytest.approx(metrics_from_confusion_matrix(expected).miou, abs=1e-6)
