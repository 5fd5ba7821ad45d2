import keras
import numpy as np
import pytest

from keras_rr.data import ClassStatistics
from keras_rr.layers import RegionRebalanceHead
from keras_rr.losses import RegionRebalanceLoss
from keras_rr.losses import region_rebalance_loss
from tests.harness import BACKEND
from tests.harness import random_labels
from tests.harness import run_layer_test
from tests.harness import run_serialization_test
from tests.harness import to_numpy
from tests.references import np_region_loss_of_features
from tests.references import np_region_losses
from tests.references import np_region_mean
from tests.references import np_weighted_region_loss
from tests.references import torch_authors_region_loss

K = 5
FREQ = [300, 40, 6, 1, 0]


def inputs(seed=0, batch=3, feature_hw=(4, 4), label_hw=(16, 16), channels=6):
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(batch,) + feature_hw + (channels,)).astype("float32")
    labels = random_labels((batch,) + label_hw, K - 1, ignore_fraction=0.2, seed=seed)  # class 4 absent
    labels[1] = 255  # an image with no region at all
    return features, labels


@pytest.mark.parametrize("rebalance", [True, False])
def test_head_returns_summed_loss_and_region_count_like_numpy(rebalance):
    features, labels = inputs()
    head = RegionRebalanceHead(K, region_frequency=FREQ, rebalance=rebalance)
    loss_sum, count, dropped = run_layer_test(head, (features, labels), expected_output_shape=((), (), ()))
    kernel, bias = (to_numpy(w) for w in head.region_classifier.weights)
    _, mask = np_region_mean(features, labels, K)
    want_mean = np_region_loss_of_features(features, labels, kernel, bias, FREQ if rebalance else None, K)
    assert to_numpy(count) == mask.sum() > 0 and to_numpy(dropped) == 0
    np.testing.assert_allclose(to_numpy(loss_sum), want_mean * mask.sum(), rtol=1e-5)


def test_regions_feed_the_public_loss_exactly():
    features, labels = inputs(seed=1)
    head = RegionRebalanceHead(K, region_frequency=FREQ, label_smoothing=0.1)
    regions = head.regions(features, labels)
    logits, mask = regions.logits, regions.mask
    assert tuple(logits.shape) == (3, K, K) and tuple(mask.shape) == (3, K) and regions.weights is None
    np.testing.assert_array_equal(to_numpy(regions.labels), np.tile(np.arange(K), (3, 1)))
    loss_sum, count, _ = head(features, labels)
    mean = to_numpy(loss_sum) / to_numpy(count)
    np.testing.assert_allclose(to_numpy(region_rebalance_loss(logits, mask, FREQ, 0.1)), mean, rtol=1e-6)
    y_true = np.where(to_numpy(mask), to_numpy(regions.labels), -1)
    np.testing.assert_allclose(
        to_numpy(RegionRebalanceLoss(FREQ, label_smoothing=0.1)(y_true, logits)), mean, rtol=1e-6
    )
    want = np.mean(np_region_losses(to_numpy(logits), to_numpy(mask), FREQ, 0.1))
    np.testing.assert_allclose(mean, want, rtol=1e-5)


def test_no_region_gives_zero_sum_and_count():
    features, labels = inputs()
    labels[:] = 255
    loss_sum, count, dropped = RegionRebalanceHead(K, region_frequency=FREQ)(features, labels)
    assert to_numpy(loss_sum) == 0.0 and to_numpy(count) == 0.0 and to_numpy(dropped) == 0.0


def test_head_accepts_statistics_and_projection_and_custom_classifier(tmp_path):
    stats = ClassStatistics.from_counts(pixel_counts=[9, 8, 7, 6, 0], region_counts=[5, 4, 3, 2, 0])
    path = stats.save(tmp_path / "stats.json")
    head = RegionRebalanceHead(K, region_frequency=path, projection_dim=8)
    assert head.region_frequency == [5.0, 4.0, 3.0, 2.0, 0.0]
    features, labels = inputs()
    head(features, labels)
    assert isinstance(head.region_classifier, keras.Sequential)
    assert [w.shape for w in head.region_classifier.weights] == [(6, 8), (8,), (8, K), (K,)]
    custom = keras.layers.Dense(K, use_bias=False, name="my_regions")
    head = RegionRebalanceHead(K, rebalance=False, region_classifier=custom)
    head(features, labels)
    restored = run_serialization_test(head, check_config_equal=False)
    assert restored.region_classifier.name == "my_regions" and not restored.region_classifier.use_bias
    assert restored.region_frequency is None


def test_head_in_a_functional_model():
    features_in = keras.Input((4, 4, 6))
    labels_in = keras.Input((16, 16), dtype="int32")
    head = RegionRebalanceHead(K, region_frequency=FREQ)
    loss_sum, count, _ = head(features_in, labels_in)
    model = keras.Model([features_in, labels_in], [loss_sum, count])
    features, labels = inputs(seed=2)
    got = model([features, labels])
    want = head(features, labels)
    np.testing.assert_allclose(to_numpy(got[0]), to_numpy(want[0]), rtol=1e-5)
    np.testing.assert_allclose(to_numpy(got[1]), to_numpy(want[1]))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_classes": 1, "region_frequency": [1]}, "num_classes"),
        ({"num_classes": K}, "region_frequency"),
        ({"num_classes": K, "region_frequency": [1, 2]}, "one entry per class"),
        ({"num_classes": K, "region_frequency": [1, 2, -1, 0, 3]}, "non-negative"),
        ({"num_classes": K, "rebalance": False, "label_smoothing": 1.0}, "label_smoothing"),
        ({"num_classes": K, "rebalance": False, "pooling_resolution": "pixels"}, "pooling_resolution"),
        ({"num_classes": K, "rebalance": False, "pooling_method": "loop"}, "pooling_method"),
        ({"num_classes": K, "rebalance": False, "projection_dim": 0}, "projection_dim"),
        ({"num_classes": K, "rebalance": False, "ignore_class": 2.5}, "ignore_class"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RegionRebalanceHead(**kwargs)


@pytest.mark.parametrize("resolution", ["features", "labels"])
def test_max_regions_per_image_equals_the_full_computation_when_nothing_overflows(resolution):
    features, labels = inputs(seed=3)
    weights = np.random.default_rng(7).choice([0.0, 1.0, 2.5], size=labels.shape).astype("float32")
    options = dict(region_frequency=FREQ, pooling_resolution=resolution)
    full = RegionRebalanceHead(K, max_regions_per_image=None, **options)
    gathered = RegionRebalanceHead(K, max_regions_per_image=K - 1, **options)  # 4 classes at most
    full(features, labels)
    gathered(features, labels)
    gathered.region_classifier.set_weights(full.region_classifier.get_weights())
    for sample_weight in (None, weights):
        want = full(features, labels, sample_weight=sample_weight)
        got = gathered(features, labels, sample_weight=sample_weight)
        np.testing.assert_allclose(to_numpy(got[0]), to_numpy(want[0]), rtol=1e-5)
        assert to_numpy(got[1]) == to_numpy(want[1]) > 0 and to_numpy(got[2]) == 0
    regions = gathered.regions(features, labels)
    assert tuple(regions.logits.shape) == (3, K - 1, K)


def test_overflow_drops_the_most_frequent_classes_deterministically():
    features, labels = inputs(seed=4)  # images hold classes 0..3
    full = RegionRebalanceHead(K, region_frequency=FREQ, max_regions_per_image=None)
    head = RegionRebalanceHead(K, region_frequency=FREQ, max_regions_per_image=2)
    full(features, labels)
    head(features, labels)
    head.region_classifier.set_weights(full.region_classifier.get_weights())
    everything = full.regions(features, labels)
    mask = to_numpy(everything.mask)
    # FREQ = [300, 40, 6, 1, 0]: the two rarest present classes of each image stay.
    kept = np.zeros_like(mask)
    for b in range(mask.shape[0]):
        present = np.flatnonzero(mask[b])
        kept[b, sorted(present, key=lambda k: (FREQ[k], k))[:2]] = True
    losses = np.zeros(mask.shape)
    losses[mask] = np_region_losses(to_numpy(everything.logits), mask, FREQ)
    loss_sum, count, dropped = head(features, labels)
    np.testing.assert_allclose(to_numpy(loss_sum), losses[kept].sum(), rtol=1e-5)
    assert to_numpy(count) == kept.sum() and to_numpy(dropped) == mask.sum() - kept.sum() > 0
    regions = head.regions(features, labels)
    np.testing.assert_array_equal(np.sort(to_numpy(regions.labels)[to_numpy(regions.mask)]),
                                  np.sort(np.nonzero(kept)[1]))


def test_auto_limit_comes_from_the_statistics(tmp_path):
    stats = ClassStatistics.from_counts([9, 8, 7, 6, 0], [5, 4, 3, 2, 0], max_classes_per_image=3)
    assert RegionRebalanceHead(K, region_frequency=stats).max_regions_per_image == 3
    assert RegionRebalanceHead(K, region_frequency=stats.save(tmp_path / "s.json")).max_regions_per_image == 3
    assert RegionRebalanceHead(K, region_frequency=FREQ).max_regions_per_image is None  # unknown: all K
    wide = ClassStatistics.from_counts([9, 8, 7, 6, 0], [5, 4, 3, 2, 0], max_classes_per_image=4)
    assert RegionRebalanceHead(K, region_frequency=wide, max_regions_per_image=K).max_regions_per_image is None
    restored = run_serialization_test(RegionRebalanceHead(K, region_frequency=stats))
    assert restored.max_regions_per_image == 3
    with pytest.raises(ValueError, match="max_regions_per_image"):
        RegionRebalanceHead(K, region_frequency=FREQ, max_regions_per_image=0)


def test_sample_weights_weight_regions_by_their_mean_pixel_weight():
    features, labels = inputs(seed=5)
    weights = np.random.default_rng(6).choice([0.0, 1.0, 2.5], size=labels.shape).astype("float32")
    head = RegionRebalanceHead(K, region_frequency=FREQ)
    loss_sum, count, _ = head(features, labels, sample_weight=weights)
    kernel, bias = (to_numpy(w) for w in head.region_classifier.weights)
    want = np_weighted_region_loss(features, labels, weights, kernel, bias, FREQ, K)
    np.testing.assert_allclose(to_numpy(loss_sum) / to_numpy(count), want, rtol=1e-5)
    # Per-image weights weight every region of the image.
    per_image = np.array([2.0, 1.0, 0.0], "float32")
    got = head(features, labels, sample_weight=per_image)
    want = np_weighted_region_loss(features, labels, np.broadcast_to(per_image[:, None, None], labels.shape),
                                   kernel, bias, FREQ, K)
    np.testing.assert_allclose(to_numpy(got[0]) / to_numpy(got[1]), want, rtol=1e-5)


def _loss_and_feature_gradient(head, features, labels):
    """The head's mean region loss and its gradient with respect to the features."""
    import keras as k

    def loss_of(x):
        loss_sum, count, _ = head(x, labels, training=False)  # dropout off, batch statistics on
        return loss_sum / k.ops.maximum(count, 1.0)

    if BACKEND == "tensorflow":
        import tensorflow as tf

        x = tf.constant(features)
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = loss_of(x)
        return float(loss), tape.gradient(loss, x).numpy()
    if BACKEND == "jax":
        import jax

        loss, grad = jax.value_and_grad(lambda x: loss_of(x))(features)
        return float(loss), np.asarray(grad)
    import torch

    x = torch.tensor(features, requires_grad=True)
    loss = loss_of(x)
    loss.backward()
    return float(loss.detach().cpu()), x.grad.cpu().numpy()


def test_authors_head_matches_a_plain_torch_reference_in_loss_and_feature_gradients():
    from keras_rr.layers import AUTHORS_HEAD

    keras.utils.set_random_seed(5)
    rng = np.random.default_rng(5)
    num_classes, freq = 6, [300, 40, 6, 1, 0, 9]  # class 4 absent from the training set
    features = rng.normal(size=(2, 4, 4, 8)).astype("float32")
    labels = random_labels((2, 16, 16), num_classes, ignore_fraction=0.1, seed=5)
    head = RegionRebalanceHead(num_classes, region_frequency=freq, **AUTHORS_HEAD)
    loss, grad = _loss_and_feature_gradient(head, features, labels)
    assert head.trainable_weights == [] and len(head.non_trainable_weights) == 7  # nothing to train
    reducer = [to_numpy(w) for w in (head.reducer.kernel, head.reducer.gamma, head.reducer.beta)]
    dense = [layer for layer in head.region_classifier.layers if isinstance(layer, keras.layers.Dense)]
    mlp = [to_numpy(w) for layer in dense for w in (layer.kernel, layer.bias)]
    assert [w.shape for w in mlp] == [(128, 512), (512,), (512, num_classes), (num_classes,)]
    want_loss, want_grad = torch_authors_region_loss(features, labels, reducer, mlp, freq, num_classes)
    np.testing.assert_allclose(loss, want_loss, rtol=1e-5)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-4, atol=1e-5 * np.abs(want_grad).max())
    # Weights at torch's default init: uniform within 1/sqrt(fan_in), biases included.
    assert np.abs(mlp[1]).max() <= 1 / np.sqrt(128) and np.abs(mlp[1]).max() > 0.5 / np.sqrt(128)
    # The paper's head on the same input is a different loss.
    paper = RegionRebalanceHead(num_classes, region_frequency=freq)
    assert abs(_loss_and_feature_gradient(paper, features, labels)[0] - loss) > 1e-2


def test_authors_options_validate_and_round_trip():
    from keras_rr.layers import AUTHORS_HEAD

    head = RegionRebalanceHead(K, region_frequency=FREQ, **AUTHORS_HEAD)
    restored = run_serialization_test(head)
    assert restored.region_scope == "batch" and restored.frozen_head and restored.true_class_probability == 0.5
    with pytest.raises(ValueError, match="region_scope"):
        RegionRebalanceHead(K, region_frequency=FREQ, region_scope="dataset")
    with pytest.raises(ValueError, match="not both"):
        RegionRebalanceHead(K, region_frequency=FREQ, label_smoothing=0.1, true_class_probability=0.5)
    with pytest.raises(ValueError, match="true_class_probability"):
        RegionRebalanceHead(K, region_frequency=FREQ, true_class_probability=1.0 / K)
    with pytest.raises(ValueError, match="projection_dim"):
        RegionRebalanceHead(K, region_frequency=FREQ, classifier_dropout=0.1)
    with pytest.raises(ValueError, match="max_regions_per_image"):
        RegionRebalanceHead(K, region_frequency=FREQ, region_scope="batch", max_regions_per_image=3)


def test_presets_are_the_heads_of_the_paper_and_the_authors():
    from keras_rr.layers import AUTHORS_HEAD
    from keras_rr.layers import AUTHORS_LOSS_WEIGHT
    from keras_rr.layers import REGION_HEAD_PRESETS
    from keras_rr.region_rebalance.region_rebalance_head import REGION_LOSS_WEIGHTS

    assert set(REGION_HEAD_PRESETS) == {"paper", "authors"} and AUTHORS_HEAD is REGION_HEAD_PRESETS["authors"]
    assert REGION_LOSS_WEIGHTS["paper"] == 0.3 and AUTHORS_LOSS_WEIGHT == REGION_LOSS_WEIGHTS["authors"] == 1.0
    paper = RegionRebalanceHead.from_preset("paper", K, FREQ)
    default = RegionRebalanceHead(K, region_frequency=FREQ)
    assert paper.get_config() | {"name": None} == default.get_config() | {"name": None}
    authors = RegionRebalanceHead.from_preset("authors", K, FREQ, name="region_head")
    assert authors.name == "region_head"
    assert {key: authors.get_config()[key] for key in AUTHORS_HEAD} == dict(AUTHORS_HEAD)
    with pytest.raises(ValueError, match="preset"):
        RegionRebalanceHead.from_preset("mmseg", K, FREQ)


def test_options_are_read_from_the_signature_and_typed_for_configs():
    import inspect

    from keras_rr.region_rebalance.region_rebalance_head import region_head_config_fields
    from keras_rr.region_rebalance.region_rebalance_head import region_head_options

    options = region_head_options()
    parameters = inspect.signature(RegionRebalanceHead.__init__).parameters
    assert set(options) == set(parameters) - {"self", "kwargs", "num_classes", "region_frequency", "ignore_class"}
    assert all(options[name] == parameters[name].default for name in options)
    # The head's config holds every option (a custom classifier serialised apart).
    assert set(options) <= set(RegionRebalanceHead(K, region_frequency=FREQ).get_config())
    fields = region_head_config_fields()
    assert set(options) - set(fields) == {"region_classifier", "max_regions_per_image"}
    assert fields["projection_dim"] == (None, int) and fields["rebalance"] == (True, bool)
    assert fields["prior_epsilon"] == (None, float) and fields["pooling_method"] == ("auto", str)
    # Every option is documented in the head's Args.
    assert all(f"        {name}:" in RegionRebalanceHead.__doc__ for name in list(options) + ["num_classes"])
