"""`make_pixel_loss`: the pixel losses of paper Table 1 by name."""

import keras
import numpy as np
import pytest

from keras_rr.data import ClassStatistics
from keras_rr.losses import PIXEL_LOSSES
from keras_rr.losses import BalancedSoftmaxCrossEntropy
from keras_rr.losses import BLVCrossEntropy
from keras_rr.losses import ClassWeightedCrossEntropy
from keras_rr.losses import DiceCrossEntropy
from keras_rr.losses import DiceLoss
from keras_rr.losses import inverse_frequency_weights
from keras_rr.losses import make_pixel_loss
from tests import tiny_models
from tests.harness import random_labels
from tests.harness import to_numpy
from tests.references import np_sparse_cross_entropy

K = 5


def statistics():
    return ClassStatistics.from_counts([400, 100, 50, 0, 10], [9, 5, 4, 0, 1], num_images=10)


def test_make_pixel_loss_reweighting_uses_inverse_pixel_frequency():
    labels = random_labels((2, 3, 4), K, ignore_fraction=0.25, seed=2)
    logits = np.random.default_rng(2).normal(size=(2, 3, 4, K)).astype("float32")
    stats = statistics()
    loss = make_pixel_loss("reweighting", K, stats)
    assert isinstance(loss, ClassWeightedCrossEntropy)
    _, expected = np_sparse_cross_entropy(labels, logits, class_weights=inverse_frequency_weights(stats.pixel_counts))
    np.testing.assert_allclose(to_numpy(loss(labels, logits)), expected, rtol=1e-5)
    region = make_pixel_loss("region_balanced_softmax", K, stats)
    assert isinstance(region, BalancedSoftmaxCrossEntropy) and region.class_counts == [9, 5, 4, 0, 1]
    pixel = make_pixel_loss("pixel_balanced_softmax", K, stats, ignore_class=None)
    assert pixel.class_counts == [400, 100, 50, 0, 10] and pixel.ignore_class is None


def test_make_pixel_loss_by_name():
    expected = {
        "cross_entropy": keras.losses.SparseCategoricalCrossentropy,
        "reweighting": ClassWeightedCrossEntropy,
        "pixel_balanced_softmax": BalancedSoftmaxCrossEntropy,
        "region_balanced_softmax": BalancedSoftmaxCrossEntropy,
        "dice": DiceLoss,
        "dice_cross_entropy": DiceCrossEntropy,
        "blv": BLVCrossEntropy,
    }
    assert set(PIXEL_LOSSES) == set(expected)
    for name, cls in expected.items():
        loss = make_pixel_loss(name, K, statistics(), ignore_class=7)
        assert type(loss) is cls, name
        assert loss.get_config().get("ignore_class", 7) == 7, name


def test_make_pixel_loss_rejects_bad_arguments():
    stats = statistics()
    with pytest.raises(ValueError, match="statistics"):
        make_pixel_loss("reweighting", K)
    with pytest.raises(ValueError, match="one entry per class"):
        make_pixel_loss("pixel_balanced_softmax", K + 1, stats)
    with pytest.raises(ValueError, match="Received: name='focal'"):
        make_pixel_loss("focal", K, stats)
    with pytest.raises(ValueError, match="num_classes"):
        make_pixel_loss("dice", 1)


@pytest.mark.parametrize("name", ["reweighting", "dice", "dice_cross_entropy"])
def test_new_pixel_losses_train_one_step(name):
    """The new Table 1 losses compile into a training step and give a finite loss."""
    stats = ClassStatistics.from_counts([400, 100, 50, 5, 10], [9, 5, 4, 1, 1], num_images=10)
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, size=(2, 8, 8, 3)).astype("float32")
    labels = rng.integers(0, K, size=(2, 8, 8)).astype("int32")
    labels[:, :2] = 255
    segmenter = tiny_models.functional_segmenter(K, size=8, channels=4)
    segmenter.compile(optimizer=keras.optimizers.SGD(0.1), loss=make_pixel_loss(name, K, stats))
    logs = segmenter.train_on_batch(images, labels, return_dict=True)
    assert np.isfinite(logs["loss"])
