"""Paired runs: same start per seed, the one optimizer recipe, the one evaluator."""

import keras
import numpy as np
import pytest

from keras_rr.data import compute_class_statistics
from keras_rr.data import synthetic_long_tailed
from keras_rr.inference import evaluate_segmenter
from keras_rr.metrics import confusion_matrix_numpy
from keras_rr.metrics import metrics_from_confusion_matrix
from keras_rr.models import small_fcn
from keras_rr.optimizers import CoupledWeightDecaySGD
from keras_rr.experiments import run_paired_experiment
from keras_rr.experiments import train_variant
from keras_rr.training import BASELINE
from keras_rr.training import REGION_REBALANCE
from tests.harness import to_numpy

K, SIZE = 6, 32


def _data():
    common = dict(image_size=SIZE, num_classes=K, class_seed=0)
    train = synthetic_long_tailed(num_images=8, seed=0, **common)
    validation = synthetic_long_tailed(num_images=6, seed=1, **common)
    return train, validation, compute_class_statistics(train[1], K, progress=False)


@pytest.fixture(scope="module")
def paired_run():
    """Two variants, one seed, 1 epoch each; every model's initial weights and evaluations."""
    train, validation, stats = _data()
    built = []

    def model_fn(num_classes):
        segmenter = small_fcn(num_classes, image_size=SIZE, width=8)
        built.append((segmenter, [to_numpy(w) for w in segmenter.weights]))
        return segmenter

    results = run_paired_experiment(
        [BASELINE, REGION_REBALANCE], [3], train, validation, stats, K, model_fn, epochs=1,
        batch_size=4, learning_rate=0.05, progress=False,
    )
    images, labels = validation
    runs = []
    for segmenter, initial in built:
        logits = to_numpy(segmenter.predict(images, verbose=0))
        reference = metrics_from_confusion_matrix(confusion_matrix_numpy(labels, logits.argmax(-1), K))
        runs.append({
            "initial": initial,
            "evaluated": evaluate_segmenter(segmenter, [(images[:4], labels[:4]), (images[4:], labels[4:])], K,
                                            progress=False),
            "reference": reference,
        })
    return results, runs


def test_metrics_are_those_of_evaluate_segmenter(paired_run):
    results, runs = paired_run
    reported = [results["baseline"][0], results["region_rebalance"][0]]  # in run order
    assert len(runs) == 2
    for metrics, run in zip(reported, runs):
        for expected in (run["evaluated"], run["reference"]):
            np.testing.assert_allclose(metrics.iou, expected.iou, rtol=1e-12, equal_nan=True)
            np.testing.assert_allclose(metrics.acc, expected.acc, rtol=1e-12, equal_nan=True)
            np.testing.assert_allclose(metrics.aacc, expected.aacc, rtol=1e-12)


def test_variants_of_a_seed_start_from_the_same_weights(paired_run):
    _, runs = paired_run
    for a, b in zip(runs[0]["initial"], runs[1]["initial"]):
        np.testing.assert_array_equal(a, b)
    # ... which are the seed's, not the session's.
    keras.utils.set_random_seed(3)
    again = small_fcn(K, image_size=SIZE, width=8)
    for a, b in zip(runs[0]["initial"], again.weights):
        np.testing.assert_array_equal(a, to_numpy(b))


def test_train_variant_uses_sgd_momentum_and_the_poly_schedule():
    train, _, stats = _data()
    segmenter = train_variant(BASELINE, 0, *train, stats, K, lambda k: small_fcn(k, image_size=SIZE, width=8),
                              epochs=2, batch_size=4, learning_rate=0.05, weight_decay=1e-3)
    optimizer = segmenter.optimizer
    assert isinstance(optimizer, CoupledWeightDecaySGD)  # the paper's coupled L2 decay
    assert optimizer.momentum == 0.9 and optimizer.coupled_weight_decay == 1e-3 and not optimizer.nesterov
    schedule = optimizer.get_config()["learning_rate"]["config"]
    # 2 epochs of ceil(8 / 4) steps, poly 0.9 down to 0.
    assert schedule["decay_steps"] == 4 and schedule["power"] == 0.9 and schedule["end_learning_rate"] == 0.0
    assert schedule["initial_learning_rate"] == 0.05 and int(to_numpy(optimizer.iterations)) == 4


def test_variant_names_must_be_unique():
    with pytest.raises(ValueError, match="unique"):
        run_paired_experiment([BASELINE, BASELINE], [0], None, None, None, K, None, epochs=1, progress=False)
