"""mmseg's auxiliary FCN head (`keras_rr.models.AuxiliaryFCNHead`) against plain torch."""

import keras
import numpy as np
import pytest

from keras_rr.models import AuxiliaryFCNHead
from tests.harness import random_labels
from tests.harness import randomize_weights
from tests.harness import run_layer_test
from tests.harness import to_numpy
from tests.references import layer_weights
from tests.references import np_sparse_cross_entropy
from tests.references import torch_fcn_head
from tests.references import torch_resize

K = 5


def _features(seed=0):
    return np.random.default_rng(seed).normal(size=(2, 4, 6, 12)).astype("float32")


def _head_layers(head):
    return [*head.convs, *head.norms, head.classifier]


def test_is_mmsegs_fcn_head_at_inference():
    head = AuxiliaryFCNHead(K, channels=8)
    x = _features()
    run_layer_test(head, x, expected_output_shape=(2, 4, 6, K))
    # mmseg FCNHead(num_convs=1, concat_input=False): 3x3 ConvModule (no bias, BN gamma and
    # beta), conv_seg with bias.
    assert sum(int(np.prod(w.shape)) for w in head.trainable_weights) == 9 * 12 * 8 + 2 * 8 + 8 * K + K
    assert (head.loss_weight, head.dropout, head.channels) == (0.4, 0.1, 8)
    randomize_weights(head)
    expected = torch_fcn_head(x, layer_weights(_head_layers(head)))
    np.testing.assert_allclose(to_numpy(head(x, training=False)), expected, atol=1e-5)
    # Two convs, as `num_convs=2` configs have.
    two = AuxiliaryFCNHead(K, channels=8, num_convs=2)
    two(x)
    randomize_weights(two, seed=1)
    expected = torch_fcn_head(x, layer_weights(_head_layers(two)), num_convs=2)
    np.testing.assert_allclose(to_numpy(two(x, training=False)), expected, atol=1e-5)


def test_loss_is_cross_entropy_of_logits_resized_to_the_labels():
    head = AuxiliaryFCNHead(K, channels=8)
    logits = _features(seed=2)[..., :K]
    labels = random_labels((2, 16, 24), K, seed=3)
    # mmseg: resize(seg_logits, label size, bilinear, align_corners=False), then CE.
    resized = torch_resize(__import__("torch").from_numpy(logits).permute(0, 3, 1, 2), (16, 24))
    _, expected = np_sparse_cross_entropy(labels, resized.permute(0, 2, 3, 1).numpy().astype("float64"))
    # Unweighted: the wrapper multiplies by `loss_weight` (0.4) itself.
    actual = float(to_numpy(head.compute_loss(labels[..., None], logits)))
    np.testing.assert_allclose(actual, expected, rtol=1e-5)
    all_ignored = np.full((2, 16, 24), 255, "int32")
    assert float(to_numpy(head.compute_loss(all_ignored, logits))) == 0.0


def test_dropout_is_channel_dropout_in_training_only():
    head = AuxiliaryFCNHead(K, channels=8, dropout=0.5)
    x = _features(seed=4)
    np.testing.assert_array_equal(to_numpy(head(x)), to_numpy(head(x, training=False)))
    assert isinstance(head.dropout_layer, keras.layers.SpatialDropout2D)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="num_convs"):
        AuxiliaryFCNHead(K, num_convs=0)
    with pytest.raises(ValueError, match="dropout"):
        AuxiliaryFCNHead(K, dropout=1.0)
