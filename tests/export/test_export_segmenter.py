"""export_segmenter: the plain segmenter written without the region branch, and verified."""

import os

import keras
import numpy as np
import pytest

from keras_rr.export import EXPORT_FORMATS
from keras_rr.export import export_segmenter
from keras_rr.models import RegionRebalanceSegmenter
from tests.harness import skip_on_backends
from tests.tiny_models import trained_region_rebalance_segmenter


def test_keras_export_round_trip_without_region_weights(tmp_path):
    model, images = trained_region_rebalance_segmenter()
    path = os.path.join(tmp_path, "segmenter.keras")
    report = export_segmenter(model, path, sample_images=images)
    assert report["max_abs_diff"] == 0.0
    exported = keras.saving.load_model(path)
    assert not isinstance(exported, RegionRebalanceSegmenter)
    assert not any("region" in w.path for w in exported.weights)
    assert len(exported.weights) == len(model.segmenter.weights)
    assert len(model.weights) > len(exported.weights)  # the wrapper did hold the branch
    np.testing.assert_array_equal(exported.predict(images, verbose=0), model.predict(images, verbose=0))


def test_export_without_verification_still_writes_the_plain_segmenter(tmp_path):
    model, images = trained_region_rebalance_segmenter()
    path = os.path.join(tmp_path, "segmenter.keras")
    report = export_segmenter(model, path, verify=False)
    assert report["max_abs_diff"] is None
    assert report["num_weights"] == len(model.segmenter.weights)
    exported = keras.saving.load_model(path)
    np.testing.assert_array_equal(exported.predict(images, verbose=0), model.predict(images, verbose=0))


def test_export_check_catches_different_outputs(tmp_path, monkeypatch):
    model, images = trained_region_rebalance_segmenter()
    load_model = keras.saving.load_model

    def load_perturbed(path):  # an export whose weights drifted from the model's
        exported = load_model(path)
        kernel = exported.weights[0]
        kernel.assign(kernel + 1.0)
        return exported

    monkeypatch.setattr(keras.saving, "load_model", load_perturbed)
    with pytest.raises(AssertionError, match="differ"):
        export_segmenter(model, os.path.join(tmp_path, "segmenter.keras"), sample_images=images)


def test_export_rejects_bad_arguments(tmp_path):
    model, _ = trained_region_rebalance_segmenter()
    assert EXPORT_FORMATS == ("keras", "tf_saved_model")
    with pytest.raises(ValueError, match="format"):
        export_segmenter(model, os.path.join(tmp_path, "x.keras"), format="onnx")
    with pytest.raises(ValueError, match=".keras"):
        export_segmenter(model, os.path.join(tmp_path, "x.h5"))
    with pytest.raises(ValueError, match="atol"):
        export_segmenter(model, os.path.join(tmp_path, "x.keras"), atol=-1.0)
    assert os.listdir(tmp_path) == []  # nothing written for bad arguments


def test_plain_segmenter_exports_as_itself(tmp_path):
    model, images = trained_region_rebalance_segmenter()
    segmenter = model.segmenter
    report = export_segmenter(segmenter, os.path.join(tmp_path, "plain.keras"), sample_images=images)
    assert report["max_abs_diff"] == 0.0 and report["num_weights"] == len(segmenter.weights)
    assert report["format"] == "keras" and report["path"].endswith("plain.keras")


@skip_on_backends("torch", reason="Keras exports SavedModels from the TF and JAX backends")
def test_saved_model_export(tmp_path):
    model, images = trained_region_rebalance_segmenter()
    report = export_segmenter(model, os.path.join(tmp_path, "saved"), format="tf_saved_model", sample_images=images)
    assert report["max_abs_diff"] < 1e-5
    assert report["num_weights"] == len(model.segmenter.weights)
