"""BLV (Balancing Logit Variation): NumPy references, noise statistics, and fit with RR."""

import dataclasses

import keras
import numpy as np
import pytest

from keras_rr.data import ClassStatistics
from keras_rr.losses import BLVCrossEntropy
from keras_rr.losses import blv_logits
from keras_rr.losses import blv_scale
from keras_rr.losses import make_pixel_loss
from keras_rr.models import AuxiliaryFCNHead
from keras_rr.models import RegionRebalanceSegmenter
from keras_rr.training import BASELINE
from tests import tiny_models
from tests.harness import random_labels
from tests.harness import run_serialization_test
from tests.harness import to_numpy
from tests.references import np_log_softmax

COUNTS = np.array([1000, 100, 10, 0])


def np_blv_logits(logits, counts, noise):
    log_n = np.log(np.maximum(np.asarray(counts, "float64"), 1.0))
    scale = (log_n.max() - log_n) / (log_n.max() - log_n.min())
    return logits + np.abs(np.clip(noise, -1.0, 1.0)) * scale


def test_scale_is_zero_for_the_most_frequent_class_one_for_the_rarest_absent_clamped():
    np.testing.assert_allclose(blv_scale(COUNTS), [0.0, 1 / 3, 2 / 3, 1.0], rtol=1e-6)
    np.testing.assert_array_equal(blv_scale([5, 5, 5]), [0.0, 0.0, 0.0])


def test_blv_logits_and_loss_equal_numpy_on_fixed_noise():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 3, 3, 4)).astype("float32")
    noise = rng.normal(scale=4.0, size=logits.shape).astype("float32")
    labels = rng.integers(0, 4, size=(2, 3, 3)).astype("int32")
    labels[0, 0] = 255
    expected = np_blv_logits(logits, COUNTS, noise)
    np.testing.assert_allclose(to_numpy(blv_logits(logits, COUNTS, noise)), expected, rtol=1e-5, atol=1e-6)

    loss = BLVCrossEntropy(COUNTS, noise=noise)(labels, logits)
    valid = labels != 255
    log_probs = np_log_softmax(expected)
    per_pixel = -np.take_along_axis(log_probs, np.where(valid, labels, 0)[..., None], -1)[..., 0]
    np.testing.assert_allclose(to_numpy(loss), per_pixel[valid].mean(), rtol=1e-5)


def test_drawn_perturbation_statistics():
    # Zero logits: the perturbation itself. |clip(N(0, 16), -1, 1)| has mean
    # E = 2 * int_0^1 x phi(x / 4) / 4 dx + P(|eps| > 1), computed numerically here.
    loss = BLVCrossEntropy(COUNTS, sigma=4.0, seed=3)
    logits = np.zeros((2, 16, 16, 4), "float32")
    noise = to_numpy(keras.random.normal(logits.shape, stddev=loss.sigma, seed=loss.seed_generator))
    delta = to_numpy(blv_logits(logits, COUNTS, noise))
    assert np.all(delta[..., 0] == 0.0)  # the most frequent class is never perturbed
    scale = blv_scale(COUNTS)
    assert np.all(delta >= 0.0) and np.all(delta <= scale + 1e-6)
    samples = np.abs(np.clip(np.random.default_rng(0).normal(scale=4.0, size=1_000_000), -1, 1))
    for c in (1, 2, 3):
        np.testing.assert_allclose(delta[..., c].mean() / scale[c], samples.mean(), rtol=0.05)
    # About 80% of N(0, 16) draws exceed 1 in magnitude and clip to the full scale.
    np.testing.assert_allclose(np.mean(np.isclose(delta[..., 3], 1.0)), np.mean(samples == 1.0), atol=0.06)
    # A second draw differs (the generator advances).
    again = to_numpy(keras.random.normal(logits.shape, stddev=loss.sigma, seed=loss.seed_generator))
    assert not np.allclose(noise, again)


def test_sigma_zero_or_equal_counts_is_plain_cross_entropy():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(1, 4, 4, 4)).astype("float32")
    labels = rng.integers(0, 4, size=(1, 4, 4)).astype("int32")
    plain = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)
    for loss in (BLVCrossEntropy(COUNTS, sigma=0.0), BLVCrossEntropy([7, 7, 7, 7])):
        np.testing.assert_allclose(to_numpy(loss(labels, logits)), to_numpy(plain), rtol=1e-5)


def test_by_name_and_serialization():
    stats = ClassStatistics.from_counts(COUNTS, [9, 5, 2, 0])
    loss = make_pixel_loss("blv", 4, statistics=stats)
    assert isinstance(loss, BLVCrossEntropy) and loss.pixel_counts == COUNTS.tolist() and loss.sigma == 4.0
    with pytest.raises(ValueError, match="statistics"):
        make_pixel_loss("blv", 4)
    run_serialization_test(BLVCrossEntropy(COUNTS, sigma=2.0, seed=1))


def test_fit_one_step_with_region_rebalance_auxiliary_head_and_blv():
    k, size = 4, 32
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (2, size, size, 3)).astype("float32")
    labels = random_labels((2, size, size), k, ignore_fraction=0.1, seed=0)
    segmenter = tiny_models.segmenter_with_auxiliary_map(k, size=size, name="toy_blv")
    head = AuxiliaryFCNHead(k, channels=8)
    model = RegionRebalanceSegmenter(segmenter, k, region_frequency=[9, 5, 2, 1], auxiliary_head=head)
    loss = BLVCrossEntropy(COUNTS, seed=0)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss=loss)
    assert any(g is loss.seed_generator for g in model._seed_generators)
    state = to_numpy(loss.seed_generator.state)
    history = model.fit(images, labels, batch_size=2, epochs=2, verbose=0).history
    assert all(np.isfinite(v).all() for v in history.values())
    assert {"pixel_loss", "region_loss", "auxiliary_loss"} <= set(history)
    # The noise generator advanced on every backend (JAX: carried as model state), so
    # each step drew new noise: pixel and auxiliary losses, 2 steps.
    assert not np.array_equal(to_numpy(loss.seed_generator.state), state)
    # Recompiling with another loss stops tracking it.
    model.compile(optimizer="sgd")
    assert not any(g is loss.seed_generator for g in model._seed_generators)


def test_baseline_variant_with_blv_draws_new_noise_each_step():
    # Without the wrapper: `Variant.compile_model` tracks the loss' generator on the
    # plain segmenter, so JAX's stateless steps advance it as well.
    k = 4
    stats = ClassStatistics.from_counts(COUNTS, [9, 5, 2, 0])
    segmenter = tiny_models.functional_segmenter(k, size=8, channels=4)
    model = dataclasses.replace(BASELINE, pixel_loss="blv").compile_model(segmenter, k, stats, keras.optimizers.SGD(0.01))
    assert model is segmenter and isinstance(model.loss, BLVCrossEntropy)
    state = to_numpy(model.loss.seed_generator.state)
    images = np.random.default_rng(0).uniform(size=(2, 8, 8, 3)).astype("float32")
    labels = random_labels((2, 8, 8), k, seed=0)
    assert np.isfinite(model.train_on_batch(images, labels, return_dict=True)["loss"])
    assert not np.array_equal(to_numpy(model.loss.seed_generator.state), state)
