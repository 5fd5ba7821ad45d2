"""Evaluation reports of a saved model match a NumPy confusion matrix; tables are sorted."""

import json
import os

import keras
import numpy as np
import pytest

from keras_rr.metrics import confusion_matrix_numpy
from keras_rr.metrics import metrics_from_confusion_matrix
from keras_rr.training import config as rr_config
from keras_rr.training import training_data
from keras_rr.training.metrics_report import resolve_eval_settings
from keras_rr.experiments import evaluate_saved_model
from tests import tiny_models
from tests.harness import REPO_ROOT


def test_saved_model_report_matches_numpy(tmp_path):
    config = rr_config.load_config(os.path.join(REPO_ROOT, "configs/synthetic/base.py:smoke"))
    config.eval.mode = "whole"
    k = config.data.num_classes
    segmenter = tiny_models.functional_segmenter(k, size=32, channels=4)
    path = str(tmp_path / "toy.keras")
    segmenter.save(path)
    # Training statistics beside the model, as the trainer leaves them.
    train_labels = training_data.synthetic_arrays(config.data, True)[1]
    stats = training_data.load_statistics(config.data, str(tmp_path), labels=train_labels)

    report = evaluate_saved_model(path, config, str(tmp_path / "eval"), progress=False)

    validation, count, _ = training_data.build_validation_data(config.data, config.eval)
    images, labels = next(validation.unbatch().batch(100).as_numpy_iterator())
    predictions = np.argmax(keras.ops.convert_to_numpy(segmenter.predict(images, verbose=0)), axis=-1)
    expected = metrics_from_confusion_matrix(confusion_matrix_numpy(labels, predictions, k))
    written = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert written == json.loads(json.dumps(report))
    assert written["num_images"] == count == 4 and written["mode"] == "whole" and written["dataset"] == "synthetic"
    np.testing.assert_allclose(written["miou"], expected.miou, rtol=1e-6)
    np.testing.assert_allclose(written["macc"], expected.macc, rtol=1e-6)
    np.testing.assert_allclose(written["aacc"], expected.aacc, rtol=1e-6)
    iou = np.array([np.nan if v is None else v for v in written["iou"]])
    np.testing.assert_allclose(iou, expected.iou, rtol=1e-6)
    acc = np.array([np.nan if v is None else v for v in written["acc"]])
    np.testing.assert_allclose(acc, expected.acc, rtol=1e-6)
    np.testing.assert_array_equal(written["pixel_counts"], expected.pixel_counts)
    assert written["class_names"][0] == "ground" and len(written["class_names"]) == k
    assert written["train_region_counts"] == [int(c) for c in stats.region_counts]

    table = (tmp_path / "eval" / "per_class.md").read_text()
    rows = [line.split("|")[2].strip() for line in table.splitlines() if line.startswith("| ") and line[2].isdigit()]
    by_frequency = [written["class_names"][i] for i in np.argsort(-stats.pixel_counts, kind="stable")]
    assert rows == by_frequency


def test_unknown_mode_is_a_clear_error_before_anything_is_loaded(tmp_path):
    config = rr_config.load_config(os.path.join(REPO_ROOT, "configs/synthetic/base.py:smoke"))
    with pytest.raises(ValueError, match="`mode` must be one of \\('whole', 'slide', 'multi_scale'\\)"):
        evaluate_saved_model(str(tmp_path / "missing.keras"), config, str(tmp_path / "eval"), mode="tiles")
    assert not (tmp_path / "eval").exists()


def test_window_settings_default_to_the_models_input_size(tmp_path):
    # The synthetic base sets no eval.crop_size / eval.stride: a window is the 32 px the
    # model was built for, the stride two thirds of it (mmseg's 512 / 341).
    config = rr_config.load_config(os.path.join(REPO_ROOT, "configs/synthetic/base.py:smoke"))
    config.eval.crop_size = config.eval.stride = None
    path = str(tmp_path / "toy.keras")
    tiny_models.functional_segmenter(config.data.num_classes, size=32, channels=4).save(path)
    for mode in ("slide", "multi_scale"):
        report = evaluate_saved_model(path, config, str(tmp_path / mode), mode=mode, max_batches=1, progress=False)
        assert report["eval"]["crop_size"] == 32 and report["eval"]["stride"] == 21, mode
    # A model of any input size has no size to default to: the error names the field.
    inputs = keras.Input((None, None, 3))
    any_size = keras.Model(inputs, keras.layers.Conv2D(config.data.num_classes, 1)(inputs))
    with pytest.raises(ValueError, match=r"eval.crop_size` is unset.*--config.eval.crop_size=512"):
        resolve_eval_settings(any_size, config.eval, "slide")
    assert resolve_eval_settings(any_size, config.eval, "multi_scale")["crop_size"] is None  # whole views
