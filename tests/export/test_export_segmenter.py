import os
import sys

import keras
import numpy as np
import pytest

from keras_rr.export import export_segmenter
from keras_rr.models import RegionRebalanceSegmenter
from tests import tiny_models
from tests.harness import BACKEND
from tests.harness import REPO_ROOT
from tests.harness import random_labels

K = 3


def trained_wrapper():
    segmenter = tiny_models.functional_segmenter(K, softmax=True)
    model = RegionRebalanceSegmenter(segmenter, K, region_frequency=[5, 2, 1], projection_dim=4)
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    images = np.random.default_rng(0).uniform(size=(2, 32, 32, 3)).astype("float32")
    model.fit(images, random_labels((2, 32, 32), K), verbose=0)
    return model, images


def test_keras_export_round_trip_without_region_weights(tmp_path):
    model, images = trained_wrapper()
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
    model, images = trained_wrapper()
    path = os.path.join(tmp_path, "segmenter.keras")
    report = export_segmenter(model, path, verify=False)
    assert report["max_abs_diff"] is None
    assert report["num_weights"] == len(model.segmenter.weights)
    exported = keras.saving.load_model(path)
    np.testing.assert_array_equal(exported.predict(images, verbose=0), model.predict(images, verbose=0))


def test_export_check_catches_different_outputs(tmp_path, monkeypatch):
    model, images = trained_wrapper()
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
    model, _ = trained_wrapper()
    with pytest.raises(ValueError, match="format"):
        export_segmenter(model, os.path.join(tmp_path, "x.keras"), format="onnx")
    with pytest.raises(ValueError, match=".keras"):
        export_segmenter(model, os.path.join(tmp_path, "x.h5"))


@pytest.mark.skipif(BACKEND == "torch", reason="Keras exports SavedModels from the TF and JAX backends")
def test_saved_model_export(tmp_path):
    model, images = trained_wrapper()
    report = export_segmenter(model, os.path.join(tmp_path, "saved"), format="tf_saved_model", sample_images=images)
    assert report["max_abs_diff"] < 1e-5
    assert report["num_weights"] == len(model.segmenter.weights)


def test_export_cli(tmp_path):
    from tests.harness import run_python

    model, _ = trained_wrapper()
    model_path = os.path.join(tmp_path, "wrapper.keras")
    model.save(model_path)
    out = os.path.join(tmp_path, "plain.keras")
    code = (
        "import sys; from absl import app; from keras_rr.tools import export; "
        f"sys.argv = ['export', '--model={model_path}', '--output={out}']; "
        "app.run(export.main)"
    )
    proc = run_python(code, env={"KERAS_BACKEND": BACKEND})
    assert '"max_abs_diff": 0.0' in proc.stdout
    assert os.path.exists(out)
