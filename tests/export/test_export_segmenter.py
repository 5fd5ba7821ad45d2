"""export_segmenter: the plain segmenter written in every format, verified in its runtime.

Each format round-trips on each backend that writes it (`FORMAT_BACKENDS`) on a tiny
functional model, and the formats a deployment most often needs on a tiny KerasHub
DeepLabV3+ and SegFormer (built once per module: CI time). The test compares the
written artifact with the model itself (its own runtime, NumPy), not only the export's
report; a deliberately perturbed artifact is refused.
"""

import os
import sys

import keras
import numpy as np
import pytest

from keras_rr.export import EXPORT_FORMATS
from keras_rr.export import FORMAT_BACKENDS
from keras_rr.export import ExportError
from keras_rr.export import compare_outputs
from keras_rr.export import export_segmenter
from keras_rr.export import inference_model
from keras_rr.export import verify_export
from keras_rr.export.runtimes import predict_outputs
from keras_rr.export.runtimes import run_artifact
from keras_rr.export.writers import FORMAT_SUFFIXES
from keras_rr.models import RegionRebalanceSegmenter
from tests.harness import BACKEND
from tests.tiny_models import functional_segmenter
from tests.tiny_models import keras_hub_deeplab_v3
from tests.tiny_models import keras_hub_segformer
from tests.tiny_models import trained_region_rebalance_segmenter
from tests.harness import skip_on_backends

WRITABLE = [f for f in EXPORT_FORMATS if BACKEND in FORMAT_BACKENDS[f]]
NOT_WRITABLE = [f for f in EXPORT_FORMATS if BACKEND not in FORMAT_BACKENDS[f]]
# The KerasHub models are exported in the formats a deployment from this backend most
# needs (ONNX where the backend writes it, else a SavedModel), one per model and backend.
HUB_FORMAT = {"tensorflow": "onnx", "jax": "tf_saved_model", "torch": "onnx"}[BACKEND]


def _images(model, n=2, seed=0):
    shape = tuple(model.inputs[0].shape[1:])
    return np.random.default_rng(seed).uniform(0, 255, size=(n,) + shape).astype("float32")


def _check_artifact(model, path, format, images):
    """Runs the written artifact in its runtime and compares it with `predict` here."""
    expected = predict_outputs(model, images)["logits"]
    actual, _, _ = run_artifact(path, format, images)
    differences = compare_outputs(expected, actual)
    assert differences["relative_diff"] <= 1e-4, differences
    assert differences["argmax_agreement"] >= 0.999, differences
    return differences


@pytest.fixture(scope="module")
def functional():
    keras.utils.set_random_seed(0)
    model = functional_segmenter(3, size=32, channels=8)
    return model, _images(model)


@pytest.mark.parametrize("format", WRITABLE)
def test_functional_model_round_trips(functional, format, tmp_path):
    model, images = functional
    path = os.path.join(tmp_path, "segmenter" + FORMAT_SUFFIXES.get(format, ""))
    report = export_segmenter(model, path, format=format, sample_images=images)
    assert report["format"] == format and report["backend"] == BACKEND and report["path"] == path
    assert report["relative_diff"] <= 1e-4 and report["argmax_agreement"] >= 0.999
    assert report["num_samples"] == 2 and report["runtime"]
    assert os.path.exists(path) and os.listdir(tmp_path) == [os.path.basename(path)]  # no staging left
    differences = _check_artifact(model, path, format, images)
    assert differences["max_abs_diff"] == pytest.approx(report["max_abs_diff"], rel=1e-6, abs=1e-12)


def test_exact_gelu_exports_to_onnx(tmp_path):
    # Exact GELU (Swin's and ViTs' MLPs) is TF's Erfc, which ONNX lacks: the TF route
    # rewrites it as 1 - Erf (tf2onnx alone writes a model onnxruntime refuses to load).
    if "onnx" not in WRITABLE:
        pytest.skip(f"{BACKEND} does not write ONNX")
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inputs)
    x = keras.layers.Activation(lambda t: keras.activations.gelu(t, approximate=False), name="gelu")(x)
    model = keras.Model(inputs, keras.layers.Conv2D(3, 1, name="classifier")(x))
    images = np.random.default_rng(0).normal(0, 3, (2, 8, 8, 3)).astype("float32")
    path = os.path.join(tmp_path, "gelu.onnx")
    export_segmenter(model, path, format="onnx", sample_images=images)
    _check_artifact(model, path, "onnx", images)


@pytest.mark.parametrize("format", NOT_WRITABLE or [None])
def test_a_backend_that_cannot_write_a_format_names_one_that_can(functional, format, tmp_path):
    if format is None:
        pytest.skip(f"{BACKEND} writes every format")
    model, _ = functional
    others = [b for b in FORMAT_BACKENDS[format] if b != BACKEND]
    with pytest.raises(ValueError, match=f"{format}.*{BACKEND}.*{others[0]}"):
        export_segmenter(model, os.path.join(tmp_path, "x" + FORMAT_SUFFIXES.get(format, "")), format=format)
    assert os.listdir(tmp_path) == []


def test_labels_output_is_argmax_and_max_computed_in_the_graph(functional, tmp_path):
    model, images = functional
    format = WRITABLE[-1]  # litert on TF/JAX, onnx on torch: the converted graphs
    path = os.path.join(tmp_path, "labels" + FORMAT_SUFFIXES.get(format, ""))
    report = export_segmenter(model, path, format=format, outputs="labels", sample_images=images)
    assert report["outputs"] == "labels"
    outputs, _, _ = run_artifact(path, format, images)
    assert sorted(outputs) == ["labels", "scores"]
    logits = model.predict(images, verbose=0)
    np.testing.assert_array_equal(outputs["labels"], np.argmax(logits, axis=-1))
    assert outputs["labels"].dtype == np.int32 and outputs["labels"].shape == logits.shape[:3]
    np.testing.assert_allclose(outputs["scores"], np.max(logits, axis=-1), rtol=1e-4, atol=1e-4)
    # The same model in Keras: ties go to the lowest class id, as numpy.argmax.
    tied = np.zeros((1, 1, 1, 3), "float32")
    tied[..., 1:] = 2.0
    scores = keras.Input((1, 1, 3))
    identity = keras.Model(scores, keras.layers.Identity()(scores))
    labels = inference_model(identity, outputs="labels").predict(tied, verbose=0)
    assert labels["labels"].tolist() == [[[1]]] and labels["scores"].tolist() == [[[2.0]]]


def test_a_perturbed_artifact_is_refused(functional, tmp_path, monkeypatch):
    model, images = functional
    path = os.path.join(tmp_path, "segmenter.keras")
    perturbed = keras.models.clone_model(model)
    perturbed.set_weights([w + 0.5 for w in model.get_weights()])
    perturbed.save(os.path.join(tmp_path, "perturbed.keras"))
    with pytest.raises(ExportError, match=f"keras export from the {BACKEND} backend.*max abs difference"):
        verify_export(model, os.path.join(tmp_path, "perturbed.keras"), "keras", sample_images=images)

    # export_segmenter itself refuses an artifact that does not reproduce the model,
    # and leaves nothing at the requested path.
    module = sys.modules["keras_rr.export.export_segmenter"]
    write = module.write_artifact
    monkeypatch.setattr(module, "write_artifact", lambda m, *args: write(perturbed, *args))
    with pytest.raises(ExportError, match="does not reproduce the model"):
        export_segmenter(model, path, sample_images=images)
    assert sorted(os.listdir(tmp_path)) == ["perturbed.keras"]
    # Tolerances are the caller's: a loose enough check accepts the same artifact.
    report = export_segmenter(model, path, sample_images=images, rtol=1e9, min_argmax_agreement=0.0)
    assert report["relative_diff"] > 1e-4 and os.path.exists(path)


def test_export_rejects_bad_arguments(functional, tmp_path):
    model, _ = functional
    with pytest.raises(ValueError, match="format"):
        export_segmenter(model, os.path.join(tmp_path, "x.keras"), format="h5")
    with pytest.raises(ValueError, match="'.onnx'"):
        export_segmenter(model, os.path.join(tmp_path, "x.keras"), format="onnx")
    with pytest.raises(ValueError, match="outputs"):
        export_segmenter(model, os.path.join(tmp_path, "x.keras"), outputs="probabilities")
    with pytest.raises(ValueError, match="rtol"):
        export_segmenter(model, os.path.join(tmp_path, "x.keras"), rtol=-1.0)
    with pytest.raises(ValueError, match="min_argmax_agreement"):
        export_segmenter(model, os.path.join(tmp_path, "x.keras"), min_argmax_agreement=1.5)
    assert os.listdir(tmp_path) == []  # nothing written for bad arguments


def test_wrapper_exports_its_plain_segmenter(tmp_path):
    model, images = trained_region_rebalance_segmenter()
    path = os.path.join(tmp_path, "segmenter.keras")  # format from the file name
    report = export_segmenter(model, path, sample_images=images)
    assert report["format"] == "keras" and report["max_abs_diff"] == 0.0
    assert report["num_weights"] == len(model.segmenter.weights) < len(model.weights)
    exported = keras.saving.load_model(path)
    assert not isinstance(exported, RegionRebalanceSegmenter)
    assert not any("region" in w.path for w in exported.weights)
    np.testing.assert_array_equal(exported.predict(images, verbose=0), model.predict(images, verbose=0))
    unverified = export_segmenter(model, os.path.join(tmp_path, "unverified.keras"), verify=False)
    assert unverified["max_abs_diff"] is None and unverified["argmax_agreement"] is None


@pytest.fixture(scope="module")
def deeplab_v3():
    keras.utils.set_random_seed(0)
    return keras_hub_deeplab_v3(3)


@pytest.fixture(scope="module")
def segformer():
    keras.utils.set_random_seed(0)
    return keras_hub_segformer(3)


@pytest.mark.slow
def test_keras_hub_deeplab_v3_round_trips(deeplab_v3, tmp_path):
    # Keras' own ONNX export of this model (TF backend) runs with wrong outputs (its
    # ASPP resize traces with training=True); the export here must be correct.
    path = os.path.join(tmp_path, "deeplab" + FORMAT_SUFFIXES.get(HUB_FORMAT, ""))
    images = _images(deeplab_v3)
    report = export_segmenter(deeplab_v3, path, format=HUB_FORMAT, sample_images=images)
    assert report["relative_diff"] <= 1e-4 and report["argmax_agreement"] >= 0.999
    _check_artifact(deeplab_v3, path, HUB_FORMAT, images)


@pytest.mark.slow
@skip_on_backends("jax", reason="CI time: the JAX SavedModel route is tested on the KerasHub DeepLabV3+ and PSPNet")
def test_keras_hub_segformer_round_trips(segformer, tmp_path, capfd):
    path = os.path.join(tmp_path, "segformer" + FORMAT_SUFFIXES.get(HUB_FORMAT, ""))
    images = _images(segformer, n=3)  # a batch size other than the traced one
    if BACKEND == "torch":
        # torch.onnx's TorchScript tracer cannot export SegFormer's attention reshapes:
        # a clear error that names the backend that can, and nothing written.
        capfd.readouterr()
        with pytest.raises(ExportError, match="onnx export from the torch backend failed.*tensorflow backend writes onnx by another route and may convert"):
            export_segmenter(segformer, path, format="onnx", sample_images=images)
        assert os.listdir(tmp_path) == []
        # ... and not the ~1,100 lines of Torch IR the exporter prints from C++ on failure.
        printed = capfd.readouterr()
        assert len((printed.out + printed.err).splitlines()) <= 3, printed
        return
    report = export_segmenter(segformer, path, format=HUB_FORMAT, sample_images=images)
    assert report["relative_diff"] <= 1e-4 and report["argmax_agreement"] >= 0.999
    _check_artifact(segformer, path, HUB_FORMAT, images)
