import os
import warnings

import keras
import numpy as np
import pytest

from keras_rr.losses import RegionRebalanceLoss
from keras_rr.losses import region_rebalance_loss
from keras_rr.models import RegionRebalanceSegmenter
from tests import tiny_models
from tests.harness import BACKEND
from tests.harness import random_labels
from tests.harness import run_saving_test
from tests.harness import to_numpy
from tests.references import np_region_loss_of_features
from tests.references import np_sparse_cross_entropy
from tests.references import np_weighted_region_loss

K = 4
FREQ = [40, 12, 3, 0]


def data(n=4, size=32, seed=0, ignore_fraction=0.1):
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 1, size=(n, size, size, 3)).astype("float32")
    labels = random_labels((n, size, size), K, ignore_fraction=ignore_fraction, seed=seed)
    return images, labels


def make_model(**kwargs):
    segmenter = tiny_models.functional_segmenter(K)
    kwargs.setdefault("region_frequency", FREQ)
    return RegionRebalanceSegmenter(segmenter, K, **kwargs)


def test_fit_logs_losses_and_inference_is_the_plain_segmenter():
    images, labels = data()
    model = make_model()
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    history = model.fit(images, labels, batch_size=4, epochs=2, verbose=0).history
    assert {"loss", "pixel_loss", "region_loss"} <= set(history)
    for step in range(2):  # one batch per epoch: the logged total is exact
        np.testing.assert_allclose(
            history["loss"][step], history["pixel_loss"][step] + 0.3 * history["region_loss"][step], rtol=1e-5
        )
        assert np.isfinite(history["region_loss"][step]) and history["region_loss"][step] > 0
    plain = to_numpy(model.segmenter(images))
    np.testing.assert_array_equal(to_numpy(model.predict(images, verbose=0)), model.segmenter.predict(images, verbose=0))
    np.testing.assert_array_equal(to_numpy(model(images)), plain)
    assert model.predict(images, verbose=0).shape == (4, 32, 32, K)


@pytest.mark.parametrize("rebalance", [True, False])
@pytest.mark.parametrize("resolution", ["features", "labels"])
def test_logged_region_loss_matches_numpy(rebalance, resolution):
    images, labels = data(n=3, seed=1, ignore_fraction=0.3)
    labels[2, :, :] = np.where(labels[2] == 2, 255, labels[2])  # class 2 absent in image 2
    model = make_model(rebalance=rebalance, pooling_resolution=resolution)
    model.compile(optimizer="sgd")
    logs = model.evaluate(images, labels, batch_size=3, verbose=0, return_dict=True)
    _, features = model.feature_model.predict(images, verbose=0)
    if resolution == "labels":
        features = to_numpy(keras.ops.image.resize(features, (32, 32), interpolation="bilinear"))
    kernel, bias = (to_numpy(w) for w in model.region_classifier.weights)
    want = np_region_loss_of_features(features, labels, kernel, bias, FREQ if rebalance else None, K)
    np.testing.assert_allclose(logs["region_loss"], want, rtol=1e-4)
    # Again: eager torch now reads the prior tensor it cached on the first step.
    again = model.evaluate(images, labels, batch_size=3, verbose=0, return_dict=True)
    np.testing.assert_allclose(again["region_loss"], want, rtol=1e-4)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_public_region_loss_equals_the_logged_region_loss(label_smoothing):
    # The loss users can call and the loss `fit` optimises are one function: on the
    # wrapper's own region logits they agree to float32 precision.
    images, labels = data(n=3, seed=11, ignore_fraction=0.3)
    model = make_model(label_smoothing=label_smoothing)
    model.compile(optimizer="sgd")
    logged = model.evaluate(images, labels, batch_size=3, verbose=0, return_dict=True)["region_loss"]
    _, features = model.feature_model.predict(images, verbose=0)
    regions = model.region_head.regions(features, labels)
    y_true = np.where(to_numpy(regions.mask), to_numpy(regions.labels), -1)
    public = RegionRebalanceLoss(FREQ, label_smoothing=label_smoothing)(y_true, regions.logits)
    np.testing.assert_allclose(to_numpy(public), logged, rtol=1e-6, atol=1e-6)
    function = region_rebalance_loss(regions.logits, regions.mask, FREQ, label_smoothing)
    np.testing.assert_allclose(to_numpy(function), logged, rtol=1e-6, atol=1e-6)


def test_loss_weight_zero_trains_like_plain_fit():
    images, labels = data(n=4, seed=2)
    segmenter = tiny_models.functional_segmenter(K)
    reference = tiny_models.functional_segmenter(K, name="reference")
    reference.set_weights(segmenter.get_weights())
    model = RegionRebalanceSegmenter(segmenter, K, region_frequency=FREQ, loss_weight=0.0)
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    model.fit(images, labels, batch_size=2, epochs=2, shuffle=False, verbose=0)
    reference.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255),
    )
    reference.fit(images, labels, batch_size=2, epochs=2, shuffle=False, verbose=0)
    moved = False
    initial = tiny_models.functional_segmenter(K).get_weights()  # unrelated init: sanity only
    for got, want in zip(segmenter.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-5)
    # And the region branch really was active with a non-zero weight:
    model_rr = make_model(loss_weight=1.0)
    model_rr.segmenter.set_weights(reference.get_weights())
    before = [w.copy() for w in model_rr.segmenter.get_weights()]
    model_rr.compile(optimizer=keras.optimizers.SGD(0.1))
    model_rr.fit(images, labels, batch_size=2, epochs=1, shuffle=False, verbose=0)
    moved = any(not np.allclose(a, b) for a, b in zip(before, model_rr.segmenter.get_weights()))
    assert moved and len(initial) == len(before)


def test_region_branch_changes_the_update():
    images, labels = data(n=2, seed=3)
    updates = []
    for weight in (0.0, 1.0):
        keras.utils.set_random_seed(7)
        model = make_model(loss_weight=weight)
        model.compile(optimizer=keras.optimizers.SGD(0.1))
        model.fit(images, labels, batch_size=2, epochs=1, verbose=0)
        updates.append(model.segmenter.get_weights())
    assert any(not np.allclose(a, b, atol=1e-6) for a, b in zip(*updates))


def test_all_ignored_batch_and_partial_last_batch():
    images, labels = data(n=5, seed=4)
    labels[:] = 255
    model = make_model()
    model.compile(optimizer="sgd")
    history = model.fit(images, labels, batch_size=2, epochs=1, verbose=0).history  # 2 + 2 + 1
    assert history["region_loss"][0] == 0.0
    assert history["pixel_loss"][0] == 0.0
    assert np.isfinite(history["loss"][0])
    images, labels = data(n=5, seed=5)
    history = model.fit(images, labels, batch_size=2, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][0]) and history["region_loss"][0] > 0


def test_tf_data_and_trailing_label_channel():
    import tensorflow as tf

    images, labels = data(n=4, seed=6)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels[..., None])).batch(2)
    model = make_model()
    model.compile(optimizer="sgd")
    logs = model.fit(dataset, epochs=1, verbose=0).history
    assert np.isfinite(logs["region_loss"][0])


def test_out_of_range_ids_inside_a_step_are_ignored():
    images, labels = data(n=2, seed=7)
    model = make_model()
    model.compile(optimizer="sgd")
    bad = labels.copy()
    bad[0, :4] = 9
    bad[1, :2] = -3
    clean = labels.copy()
    clean[0, :4] = 255
    clean[1, :2] = 255
    outputs = model.feature_model(images)
    y_pred = {"logits": outputs[0], "features": outputs[1]}
    model.out_of_range_tracker.reset_state()
    got = to_numpy(model.compute_loss(images, bad, y_pred, training=False))
    # Counted: ids outside [0, K) other than the ignore value 255 (NumPy reference).
    want_count = np.sum((bad != 255) & ((bad < 0) | (bad >= K)))
    assert want_count == 4 * 32 + 2 * 32  # the planted rows, ignored pixels among them
    np.testing.assert_allclose(to_numpy(model.out_of_range_tracker.result()), want_count)
    want = to_numpy(model.compute_loss(images, clean, y_pred, training=False))
    assert np.isfinite(got)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(model.out_of_range_tracker.result()), want_count)  # the clean call adds 0


def _second_batch_bad_dataset(seed=14):
    import tensorflow as tf

    images, labels = data(n=4, seed=seed)
    labels[2, 0, :5] = K  # the second batch (images 2, 3): 5 + 3 bad pixels
    labels[3, 1, :3] = -2
    bad = np.sum((labels != 255) & ((labels < 0) | (labels >= K)))
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(2), bad


def test_out_of_range_ids_after_the_first_batch_are_logged_and_reported():
    # The first-batch check sees clean labels; the step counts the second batch's.
    dataset, bad = _second_batch_bad_dataset()
    model = make_model()
    model.compile(optimizer="sgd")
    with pytest.warns(UserWarning, match=r"outside \[0, 4\).*: 8 pixels in training.*num_classes=4"):
        history = model.fit(dataset, epochs=1, verbose=0).history
    assert bad == 8 and history["out_of_range_pixels"] == [bad]  # the epoch's count
    with pytest.warns(UserWarning, match="8 pixels in evaluation"):
        logs = model.evaluate(dataset, verbose=0, return_dict=True)
    assert logs["out_of_range_pixels"] == bad

    strict = make_model(out_of_range="error")
    strict.compile(optimizer="sgd")
    with pytest.raises(ValueError, match=r"\(epoch 1\).*load_segmentation_directory"):
        strict.fit(dataset, epochs=2, verbose=0)
    with pytest.raises(ValueError, match="in validation"):
        strict.fit(dataset.take(1), validation_data=dataset, verbose=0)
    assert strict.get_config()["out_of_range"] == "error"

    quiet = make_model(out_of_range="ignore")
    quiet.compile(optimizer="sgd")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = quiet.fit(dataset, epochs=1, verbose=0).history
    assert not [w for w in caught if "outside [0, 4)" in str(w.message)]
    assert "out_of_range_pixels" not in history
    with pytest.raises(ValueError, match="out_of_range"):
        make_model(out_of_range="raise")


def test_bad_inputs_raise_clear_errors():
    images, labels = data(n=2)
    model = make_model()
    model.compile(optimizer="sgd")
    bad = labels.copy()
    bad[0, 0, 0] = K
    with pytest.raises(ValueError, match=r"outside \[0, 4\).*\[4\]"):
        model.fit(images, bad, verbose=0)
    bad[0, 0, 0] = -1
    with pytest.raises(ValueError, match=r"\[-1\]"):
        model.evaluate(images, bad, verbose=0)
    import tensorflow as tf

    bad[0, 0, 0] = 17
    with pytest.raises(ValueError, match=r"\[17\]"):
        model.fit(tf.data.Dataset.from_tensor_slices((images, bad)).batch(2), verbose=0)
    with pytest.raises(ValueError, match="integer"):
        model.fit(images, labels.astype("float32"), verbose=0)
    with pytest.raises(ValueError, match="batch"):
        model.train_on_batch(images, labels[:1])
    with pytest.raises(ValueError, match="loss object"):
        make_model().compile(optimizer="sgd", loss="sparse_categorical_crossentropy")


def test_constructor_validation():
    segmenter = tiny_models.functional_segmenter(K)
    with pytest.raises(ValueError, match="Candidate layers.*decoder"):
        RegionRebalanceSegmenter(segmenter, K, region_frequency=FREQ, feature_layer="no_such_layer")
    with pytest.raises(ValueError, match="region_frequency"):
        RegionRebalanceSegmenter(segmenter, K)
    with pytest.raises(ValueError, match="one entry per class"):
        RegionRebalanceSegmenter(segmenter, K, region_frequency=[1, 2])
    with pytest.raises(ValueError, match="non-negative"):
        RegionRebalanceSegmenter(segmenter, K, region_frequency=[1, 2, -1, 0])
    with pytest.raises(ValueError, match=r"\(batch, height, width, 5\).*classifies 4 classes.*segmenter_from_preset\(preset, num_classes=5\)"):
        RegionRebalanceSegmenter(segmenter, 5, region_frequency=[1] * 5)
    with pytest.raises(ValueError, match="loss_weight"):
        RegionRebalanceSegmenter(segmenter, K, region_frequency=FREQ, loss_weight=-1)

    class Subclassed(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(ValueError, match="functional"):
        RegionRebalanceSegmenter(Subclassed(), K, region_frequency=FREQ)
    # A model whose classifier cannot be found automatically names its candidates.
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", name="features")(inputs)
    x = keras.layers.Conv2D(K, 1, name="head")(x)
    x = keras.layers.BatchNormalization(name="odd_norm")(x)
    odd = keras.Model(inputs, x)
    with pytest.raises(ValueError, match="features"):
        RegionRebalanceSegmenter(odd, K, region_frequency=FREQ)
    tapped = RegionRebalanceSegmenter(odd, K, region_frequency=FREQ, feature_layer="features")
    assert tapped.feature_description == "features"


def test_explicit_feature_layer_and_projection_head():
    images, labels = data(n=2)
    model = make_model(feature_layer="encoder", projection_dim=16, label_smoothing=0.1)
    assert isinstance(model.region_classifier, keras.Sequential)
    model.compile(optimizer="sgd")
    logs = model.fit(images, labels, verbose=0).history
    assert np.isfinite(logs["region_loss"][0])


def test_save_and_load_round_trip(tmp_path):
    images, labels = data(n=2)
    model = make_model(projection_dim=8)
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    model.fit(images, labels, verbose=0)
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    assert isinstance(restored, RegionRebalanceSegmenter)
    np.testing.assert_allclose(restored.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-6)
    for a, b in zip(restored.region_classifier.get_weights(), model.region_classifier.get_weights()):
        np.testing.assert_array_equal(a, b)
    want = model.evaluate(images, labels, verbose=0, return_dict=True)
    got = restored.evaluate(images, labels, verbose=0, return_dict=True)
    np.testing.assert_allclose(got["region_loss"], want["region_loss"], rtol=1e-5)
    assert restored.region_frequency == [float(f) for f in FREQ]
    assert restored.region_head.projection_dim == 8
    assert restored.get_config()["region_head"]["config"]["projection_dim"] == 8


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision(policy):
    if policy == "mixed_float16" and BACKEND == "torch":
        pytest.skip("float16 convolutions are not implemented on torch CPU")
    keras.config.set_dtype_policy(policy)
    images, labels = data(n=2)
    model = make_model()
    model.compile(optimizer=keras.optimizers.SGD(0.01))
    logs = model.fit(images, labels, epochs=2, verbose=0).history
    assert all(np.isfinite(v).all() for v in logs.values())
    assert logs["region_loss"][0] > 0


@pytest.mark.slow
@pytest.mark.parametrize(
    "builder,expected_features",
    [
        ("keras_hub_deeplab_v3", "input of 'segmentation_output' before its upsampling"),
        ("keras_hub_segformer", "input of"),
        ("keras_cv_deeplab_v3_plus", "segmentation_head_relu"),
        ("functional_softmax", "input of 'classifier'"),
    ],
)
def test_supported_segmenters_train_two_steps(builder, expected_features):
    if builder == "functional_softmax":
        segmenter = tiny_models.functional_segmenter(K, size=64, softmax=True)
    else:
        segmenter = getattr(tiny_models, builder)(K)
    images, labels = data(n=4, size=64, seed=8)
    model = RegionRebalanceSegmenter(segmenter, K, region_frequency=FREQ)
    assert expected_features in model.feature_description
    # Compiled `predict`, not eager calls: eager JAX compiles op by op, 4x slower here.
    logits, features = model.feature_model.predict(images[:2], verbose=0)
    # The tap's logits are the segmenter's pre-softmax outputs (oneDNN may fuse the
    # inlined graph differently: ~1e-3 on TF CPU).
    plain = segmenter.predict(images[:2], verbose=0)
    if model.outputs_probabilities:
        logits = to_numpy(keras.ops.softmax(logits, axis=-1))
    np.testing.assert_allclose(logits, plain, atol=1e-2)
    if builder in ("keras_hub_deeplab_v3", "keras_cv_deeplab_v3_plus"):
        assert features.shape[1:3] == (16, 16)  # the 1/4 map, before the 4x upsampling
    model.compile(optimizer=keras.optimizers.SGD(0.01))
    logs = model.fit(images, labels, batch_size=2, epochs=1, verbose=0).history
    assert np.isfinite(logs["loss"][0]) and logs["region_loss"][0] > 0
    np.testing.assert_allclose(
        model.predict(images[:2], verbose=0), segmenter.predict(images[:2], verbose=0), atol=1e-6
    )


@pytest.mark.parametrize("kind", ["per_image", "per_pixel"])
def test_sample_weights_match_numpy_in_both_losses(kind):
    # Keras' semantics for both losses: weighted sum over the valid elements divided by
    # their number; regions are weighted by the mean weight of their pixels, and pixels of
    # weight 0 do not pool.
    images, labels = data(n=3, seed=9, ignore_fraction=0.2)
    rng = np.random.default_rng(10)
    if kind == "per_image":
        sample_weight = np.array([2.0, 0.0, 0.5], "float32")
        pixel_weights = np.broadcast_to(sample_weight[:, None, None], labels.shape)
    else:
        sample_weight = rng.choice([0.0, 0.5, 1.0, 3.0], size=labels.shape).astype("float32")
        pixel_weights = sample_weight
    model = make_model()
    model.compile(optimizer="sgd")
    logs = model.evaluate(images, labels, sample_weight=sample_weight, batch_size=3, verbose=0, return_dict=True)
    logits, features = model.feature_model.predict(images, verbose=0)
    per_pixel, _ = np_sparse_cross_entropy(labels, logits)
    valid = labels != 255
    np.testing.assert_allclose(logs["pixel_loss"], (per_pixel * pixel_weights).sum() / valid.sum(), rtol=1e-5)
    kernel, bias = (to_numpy(w) for w in model.region_classifier.weights)
    want = np_weighted_region_loss(features, labels, pixel_weights, kernel, bias, FREQ, K)
    np.testing.assert_allclose(logs["region_loss"], want, rtol=1e-5)
    # Unit weights change nothing; all-zero weights leave no pixel and no region.
    base = model.evaluate(images, labels, batch_size=3, verbose=0, return_dict=True)
    ones = model.evaluate(images, labels, sample_weight=np.ones_like(sample_weight), batch_size=3, verbose=0,
                          return_dict=True)
    np.testing.assert_allclose([ones["pixel_loss"], ones["region_loss"]], [base["pixel_loss"], base["region_loss"]],
                               rtol=1e-6)
    zeros = model.evaluate(images, labels, sample_weight=np.zeros_like(sample_weight), batch_size=3, verbose=0,
                           return_dict=True)
    assert zeros["pixel_loss"] == 0.0 and zeros["region_loss"] == 0.0


def test_per_pixel_weights_after_per_image_weights_retrace():
    # A compiled step traced for (B,) weights and then given (B, H, W) weights (TF relaxes
    # the shape to an unknown rank) still broadcasts them per pixel.
    images, labels = data(n=2, seed=12)
    model = make_model()
    model.compile(optimizer="sgd")
    model.evaluate(images, labels, sample_weight=np.ones(2), verbose=0)
    per_pixel = model.evaluate(images, labels, sample_weight=np.ones((2, 32, 32)), verbose=0, return_dict=True)
    base = model.evaluate(images, labels, verbose=0, return_dict=True)
    np.testing.assert_allclose(per_pixel["region_loss"], base["region_loss"], rtol=1e-6)
    model.fit(images, labels, sample_weight=np.ones((2, 32, 32)), verbose=0)


def test_pool_before_a_top_level_upsampling():
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(8, 3, strides=4, padding="same", activation="relu", name="decoder")(inputs)
    x = keras.layers.UpSampling2D(4, interpolation="bilinear", name="up")(x)
    x = keras.layers.Conv2D(K, 1, name="classifier")(x)
    segmenter = keras.Model(inputs, x)
    before = RegionRebalanceSegmenter(segmenter, K, region_frequency=FREQ)
    exact = RegionRebalanceSegmenter(segmenter, K, region_frequency=FREQ, pool_before_upsampling=False)
    assert before.feature_model.outputs[1].shape[1:3] == (8, 8)
    assert exact.feature_model.outputs[1].shape[1:3] == (32, 32)
    # Blocky scenes (16x16 px regions with one colour each), like real ones: features are
    # smooth inside regions and interpolation only matters at region borders.
    rng = np.random.default_rng(0)
    blocks = rng.integers(0, K, size=(2, 2, 2))
    labels = np.kron(blocks, np.ones((16, 16), "int64")).astype("int32")
    images = np.kron(rng.uniform(size=(2, 2, 2, 3)), np.ones((16, 16, 1))).astype("float32")
    before.compile(optimizer="sgd")
    exact.compile(optimizer="sgd")
    a = before.evaluate(images, labels, verbose=0, return_dict=True)
    b = exact.evaluate(images, labels, verbose=0, return_dict=True)
    assert a["pixel_loss"] == b["pixel_loss"]  # same logits either way
    assert a["region_loss"] != b["region_loss"]  # but a different map was pooled
    assert np.isfinite(a["region_loss"]) and a["region_loss"] > 0


def test_region_overflow_is_logged_and_warned():
    images, labels = data(n=2, seed=13, ignore_fraction=0.0)  # every image holds all 4 classes
    model = make_model(max_regions_per_image=2)
    model.compile(optimizer="sgd")
    with pytest.warns(UserWarning, match="max_regions_per_image=2"):
        logs = model.fit(images, labels, batch_size=2, verbose=0).history
    assert logs["region_overflow"] == [4.0]  # 2 of 4 regions dropped in each of 2 images
    roomy = make_model(max_regions_per_image=4)  # == K: every slot fits, the full computation
    assert roomy.region_head.max_regions_per_image is None and "region_overflow" not in [
        m.name for m in roomy.metrics
    ]
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
    assert restored.region_head.max_regions_per_image == 2


@pytest.mark.parametrize("fmt", ["keras", "tf_saved_model"])
def test_export_method_writes_the_plain_segmenter(tmp_path, fmt):
    if fmt == "tf_saved_model" and BACKEND == "torch":
        pytest.skip("torch: the SavedModel export needs the TensorFlow or JAX backend")
    images, labels = data(n=2)
    model = make_model(projection_dim=4)
    model.compile(optimizer="sgd")
    model.fit(images, labels, verbose=0)
    path = str(tmp_path / ("segmenter.keras" if fmt == "keras" else "saved_model"))
    report = model.export(path, format=fmt)
    assert report["format"] == fmt and report["num_weights"] == len(model.segmenter.weights)
    assert report["num_weights"] < len(model.weights)  # no region classifier


def test_authors_head_trains_only_the_segmenter_and_round_trips(tmp_path):
    from keras_rr.layers import AUTHORS_HEAD

    images, labels = data(n=2)
    model = make_model(loss_weight=1.0, **AUTHORS_HEAD)
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    model.fit(images, labels, batch_size=2, epochs=1, verbose=0)
    head = model.region_head
    frozen = [to_numpy(w).copy() for w in head.weights]
    segmenter_before = [to_numpy(w).copy() for w in model.segmenter.weights]
    history = model.fit(images, labels, batch_size=2, epochs=1, verbose=0).history
    # No head weight trains; the segmenter does, through the region loss too.
    assert head.trainable_weights == [] and len(model.trainable_weights) == len(model.segmenter.trainable_weights)
    for before, after in zip(frozen, head.weights):
        np.testing.assert_array_equal(before, to_numpy(after))
    assert any(np.abs(b - to_numpy(a)).max() > 0 for b, a in zip(segmenter_before, model.segmenter.weights))
    assert history["region_loss"][0] > 0
    restored = run_saving_test(model, images, str(tmp_path / "authors.keras"))
    assert restored.region_head.region_scope == "batch" and restored.region_head.frozen_head


def test_a_head_passed_in_equals_the_head_built_from_options(tmp_path):
    from keras_rr.layers import RegionRebalanceHead

    images, labels = data(n=2)
    head = RegionRebalanceHead(K, region_frequency=FREQ, projection_dim=6, pooling_resolution="labels", name="region_head")
    given = make_model(region_frequency=None, region_head=head)
    built = make_model(projection_dim=6, pooling_resolution="labels")
    assert given.region_head is head
    built.region_head.set_weights(head.get_weights())
    built.segmenter.set_weights(given.segmenter.get_weights())
    for model in (given, built):
        model.compile(optimizer="sgd")
    want = built.evaluate(images, labels, verbose=0, return_dict=True)
    got = given.evaluate(images, labels, verbose=0, return_dict=True)
    np.testing.assert_allclose(got["region_loss"], want["region_loss"], rtol=1e-6)
    restored = run_saving_test(given, images, str(tmp_path / "given.keras"))
    assert restored.region_head.projection_dim == 6 and restored.region_head.pooling_resolution == "labels"


def test_region_head_argument_errors():
    from keras_rr.layers import RegionRebalanceHead

    head = RegionRebalanceHead(K, region_frequency=FREQ)
    with pytest.raises(ValueError, match="to the head you pass"):
        make_model(region_frequency=None, region_head=head, projection_dim=4)
    with pytest.raises(ValueError, match="to the head you pass"):
        make_model(region_head=head)  # region_frequency given twice
    with pytest.raises(ValueError, match="classifies 3 classes"):
        make_model(region_frequency=None, region_head=RegionRebalanceHead(3, region_frequency=FREQ[:3]))
    with pytest.raises(ValueError, match="must be a `keras_rr.layers.RegionRebalanceHead`"):
        make_model(region_frequency=None, region_head="paper")
    with pytest.raises(ValueError, match="projection_dims"):
        make_model(projection_dims=4)  # a misspelt option reaches keras.Model and fails
