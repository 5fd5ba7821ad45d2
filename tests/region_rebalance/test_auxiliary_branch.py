"""The wrapper's second training-only branch: mmseg's auxiliary FCN head (`auxiliary_head=`)."""

import keras
import numpy as np
import pytest

from keras_rr.export import export_segmenter
from keras_rr.models import AuxiliaryFCNHead
from keras_rr.models import RegionRebalanceSegmenter
from tests import tiny_models
from tests.harness import random_labels
from tests.harness import to_numpy
from tests.references import np_region_loss_of_features
from tests.references import np_sparse_cross_entropy
from tests.references import torch_resize

K = 4
FREQ = [40, 12, 3, 1]
SIZE = 32


def segmenter_with_auxiliary_map(name="toy_aux"):
    return tiny_models.segmenter_with_auxiliary_map(K, size=SIZE, name=name)


def data(n=4, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 1, (n, SIZE, SIZE, 3)).astype("float32")
    return images, random_labels((n, SIZE, SIZE), K, ignore_fraction=0.1, seed=seed)


def np_auxiliary_loss(auxiliary_logits, labels):
    """mmseg: logits resized (bilinear, half-pixel) to the labels, CE over labelled pixels."""
    import torch

    logits = torch.from_numpy(np.asarray(auxiliary_logits, "float64")).permute(0, 3, 1, 2)
    logits = torch_resize(logits, labels.shape[1:3]).permute(0, 2, 3, 1).numpy()
    return np_sparse_cross_entropy(labels, logits)[1]


@pytest.mark.parametrize("region_branch", [True, False], ids=["with_region_branch", "auxiliary_only"])
def test_evaluate_adds_the_weighted_auxiliary_loss_to_the_numpy_reference(region_branch):
    images, labels = data()
    head = AuxiliaryFCNHead(K, channels=8, loss_weight=0.4)
    model = RegionRebalanceSegmenter(
        segmenter_with_auxiliary_map(), K, region_frequency=FREQ, auxiliary_head=head, region_branch=region_branch
    )
    model.compile(optimizer="sgd")
    logs = model.evaluate(images, labels, batch_size=4, verbose=0, return_dict=True)

    # Reference from the training outputs in inference mode (BN moving statistics, no dropout).
    logits, features, auxiliary_logits = (to_numpy(t) for t in model.feature_model.predict(images, verbose=0))
    assert auxiliary_logits.shape == (4, SIZE // 2, SIZE // 2, K)
    pixel = np_sparse_cross_entropy(labels, np.asarray(logits, "float64"))[1]
    auxiliary = np_auxiliary_loss(auxiliary_logits, labels)
    total = pixel + 0.4 * auxiliary
    if region_branch:
        classifier = model.region_classifier
        region = np_region_loss_of_features(
            features, labels, to_numpy(classifier.kernel), to_numpy(classifier.bias), FREQ, K
        )
        np.testing.assert_allclose(logs["region_loss"], region, rtol=1e-5)
        total += 0.3 * region
    else:
        assert "region_loss" not in logs and model.region_head is None and model.region_classifier is None
    np.testing.assert_allclose(logs["pixel_loss"], pixel, rtol=1e-5)
    np.testing.assert_allclose(logs["auxiliary_loss"], auxiliary, rtol=1e-5)
    np.testing.assert_allclose(logs["loss"], total, rtol=1e-5)


def test_fit_trains_the_auxiliary_head_and_the_export_has_none_of_it(tmp_path):
    images, labels = data(seed=1)
    segmenter = segmenter_with_auxiliary_map()
    model = RegionRebalanceSegmenter(segmenter, K, region_frequency=FREQ, auxiliary_head=True)
    assert isinstance(model.auxiliary_head, AuxiliaryFCNHead) and model.auxiliary_head.loss_weight == 0.4
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    head_before = [to_numpy(w) for w in model.auxiliary_head.trainable_weights]
    encoder_before = to_numpy(segmenter.get_layer("encoder").kernel)
    history = model.fit(images, labels, batch_size=2, epochs=1, verbose=0).history
    assert {"loss", "pixel_loss", "region_loss", "auxiliary_loss"} <= set(history)
    assert all(np.isfinite(values[-1]) for values in history.values())
    assert all(not np.allclose(a, to_numpy(b)) for a, b in zip(head_before, model.auxiliary_head.trainable_weights))
    assert not np.allclose(encoder_before, to_numpy(segmenter.get_layer("encoder").kernel))
    np.testing.assert_array_equal(model.predict(images, verbose=0), segmenter.predict(images, verbose=0))

    path = str(tmp_path / "segmenter.keras")
    export_segmenter(model, path)
    exported = keras.saving.load_model(path)
    assert len(exported.weights) == len(segmenter.weights)
    names = {w.path for w in exported.weights}
    assert not any("auxiliary_head" in name or "region_head" in name for name in names)
    np.testing.assert_allclose(exported.predict(images, verbose=0), segmenter.predict(images, verbose=0), atol=1e-6)


def test_auxiliary_gradient_reaches_the_encoder_only_through_the_auxiliary_map():
    # With the decoder's classifier frozen at zero the pixel loss is constant; only the
    # auxiliary loss can move the encoder, so its update proves the branch is wired in.
    images, labels = data(n=2, seed=2)
    segmenter = segmenter_with_auxiliary_map()
    for layer_name in ("decoder", "classifier"):
        layer = segmenter.get_layer(layer_name)
        for weight in layer.weights:
            weight.assign(np.zeros(weight.shape, "float32"))
        layer.trainable = False
    model = RegionRebalanceSegmenter(segmenter, K, auxiliary_head=AuxiliaryFCNHead(K, channels=8), region_branch=False)
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    before = to_numpy(segmenter.get_layer("encoder").kernel)
    model.fit(images, labels, batch_size=2, epochs=1, verbose=0)
    assert not np.allclose(before, to_numpy(segmenter.get_layer("encoder").kernel))
    zero_weight = RegionRebalanceSegmenter(
        segmenter, K, auxiliary_head=AuxiliaryFCNHead(K, channels=8, loss_weight=0.0), region_branch=False
    )
    zero_weight.compile(optimizer=keras.optimizers.SGD(0.1))
    before = to_numpy(segmenter.get_layer("encoder").kernel)
    zero_weight.fit(images, labels, batch_size=2, epochs=1, verbose=0)
    np.testing.assert_allclose(before, to_numpy(segmenter.get_layer("encoder").kernel), atol=1e-7)


def test_saved_wrapper_keeps_the_auxiliary_head(tmp_path):
    images, labels = data(seed=3)
    model = RegionRebalanceSegmenter(
        segmenter_with_auxiliary_map(), K, auxiliary_head=AuxiliaryFCNHead(K, channels=8), region_branch=False
    )
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    model.fit(images, labels, batch_size=2, epochs=1, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    assert restored.region_head is None and restored.auxiliary_head.channels == 8
    want = model.evaluate(images, labels, verbose=0, return_dict=True)
    got = restored.evaluate(images, labels, verbose=0, return_dict=True)
    for key in ("loss", "pixel_loss", "auxiliary_loss"):
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5)


def test_bad_auxiliary_settings_fail_clearly():
    with pytest.raises(ValueError, match="no layer named 'auxiliary_features'.*Candidate layers"):
        RegionRebalanceSegmenter(
            keras.Sequential([keras.Input((SIZE, SIZE, 3)), keras.layers.Conv2D(K, 1, name="classifier")]),
            K, region_frequency=FREQ, auxiliary_head=True,
        )
    with pytest.raises(ValueError, match="4-D feature map"):
        inputs = keras.Input((SIZE, SIZE, 3))
        pooled = keras.layers.GlobalAveragePooling2D(name="pooled")(inputs)
        outputs = keras.layers.Conv2D(K, 1, name="classifier")(inputs + keras.ops.zeros_like(inputs) * pooled[:, None, None, :])
        RegionRebalanceSegmenter(keras.Model(inputs, outputs), K, region_frequency=FREQ, auxiliary_head=True,
                                 auxiliary_feature_layer="pooled", feature_layer=None)
    with pytest.raises(ValueError, match="auxiliary_head` must be None, True or a `keras_rr.models.AuxiliaryFCNHead`"):
        RegionRebalanceSegmenter(segmenter_with_auxiliary_map(), K, region_frequency=FREQ, auxiliary_head="fcn")
    with pytest.raises(ValueError, match="adds nothing"):
        RegionRebalanceSegmenter(segmenter_with_auxiliary_map(), K, region_branch=False)
