"""`Variant`: read from a config (ConfigDict or dict) and turned into the compiled model to fit."""

import dataclasses
import os

import keras
import numpy as np
import pytest

from keras_rr.data import ClassStatistics
from keras_rr.models import RegionRebalanceSegmenter
from keras_rr.training import BASELINE
from keras_rr.training import REGION_REBALANCE
from keras_rr.training import Variant
from keras_rr.training import config as rr_config
from tests import tiny_models
from tests.harness import REPO_ROOT

STATS = ClassStatistics.from_counts([10, 5, 2, 1], [3, 2, 1, 1], num_images=3)


def test_baseline_recipe_drops_metrics_a_segmenter_was_compiled_with():
    # KerasHub segmenters compile themselves at construction with a one-hot
    # CategoricalAccuracy, which fails on (B, H, W) integer labels; `compile(metrics=None)`
    # would keep it. Reproduced on a tiny functional model (KerasHub builds are slow).
    k = 4
    segmenter = tiny_models.functional_segmenter(k, size=16, channels=4)
    segmenter.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=[keras.metrics.CategoricalAccuracy()])
    model = BASELINE.compile_model(segmenter, k, STATS, keras.optimizers.SGD(0.01))
    assert model is segmenter and model.get_compile_config()["metrics"] == []
    images = np.zeros((2, 16, 16, 3), "float32")
    labels = np.zeros((2, 16, 16), "int32")
    assert np.isfinite(model.train_on_batch(images, labels, return_dict=True)["loss"])


def test_region_rebalance_variant_wraps_the_segmenter_with_its_settings():
    k = 4
    segmenter = tiny_models.functional_segmenter(k, size=16, channels=4)
    head = {"rebalance": False, "projection_dim": 8, "label_smoothing": 0.1, "pooling_resolution": "labels"}
    variant = dataclasses.replace(REGION_REBALANCE, loss_weight=0.1, region_head=head, pixel_loss="dice_cross_entropy")
    model = variant.compile_model(segmenter, k, STATS, keras.optimizers.SGD(0.01), ignore_class=255,
                                  feature_layer="decoder")
    assert isinstance(model, RegionRebalanceSegmenter) and model.segmenter is segmenter
    config = model.get_config()
    expected = {"loss_weight": 0.1, "feature_layer": "decoder", "ignore_class": 255, "num_classes": k}
    assert {key: config[key] for key in expected} == expected
    head_config = config["region_head"]["config"]
    assert {key: head_config[key] for key in head} == head
    np.testing.assert_array_equal(model.region_frequency, STATS.region_counts)
    images = np.zeros((2, 16, 16, 3), "float32")
    labels = np.tile(np.arange(k, dtype="int32"), (2, 16, 4))
    logs = model.train_on_batch(images, labels, return_dict=True)
    assert np.isfinite(logs["loss"]) and "region_loss" in logs


def test_variant_from_config():
    config = rr_config.load_config(os.path.join(REPO_ROOT, "configs/synthetic/small_fcn_rr.py"))
    assert Variant.from_config(config) == Variant("synthetic_small_fcn_rr", region_rebalance=True, loss_weight=0.3)
    config.region_rebalance.projection_dim = 16
    config.region_rebalance.label_smoothing = 0.1
    config.region_rebalance.pooling_resolution = "labels"
    config.region_rebalance.rebalance = False
    config.loss.name = "dice_cross_entropy"
    variant = Variant.from_config(config)
    assert variant.region_rebalance and variant.pixel_loss == "dice_cross_entropy"
    # Only the options that differ from the head's defaults.
    assert variant.region_head == {
        "projection_dim": 16, "label_smoothing": 0.1, "pooling_resolution": "labels", "rebalance": False
    }
    # A plain dict with the same fields gives the same variant.
    assert Variant.from_config(config.to_dict()) == variant


def test_variant_from_a_minimal_dict_keeps_the_defaults():
    variant = Variant.from_config(
        {"name": "rr", "loss": {"name": "cross_entropy"}, "region_rebalance": {"enabled": True, "loss_weight": 0.2}}
    )
    assert variant == Variant("rr", region_rebalance=True, loss_weight=0.2)
    baseline = Variant.from_config(
        {"loss": {"name": "reweighting"}, "region_rebalance": {"enabled": False, "loss_weight": 0.3}}
    )
    assert baseline == Variant("run", pixel_loss="reweighting")


def test_auxiliary_head_from_the_config_wraps_a_baseline_and_an_rr_run():
    from keras_rr.models import AuxiliaryFCNHead

    k = 4

    config = rr_config.load_config(os.path.join(REPO_ROOT, "configs/synthetic/small_fcn_baseline.py"))
    config.auxiliary_head.enabled = True
    config.auxiliary_head.loss_weight = 0.25
    config.auxiliary_head.channels = 16
    variant = Variant.from_config(config)
    assert (variant.auxiliary_head, variant.auxiliary_loss_weight, variant.auxiliary_channels) == (True, 0.25, 16)
    stats = ClassStatistics.from_counts([10, 5, 2, 1], [3, 2, 1, 1], num_images=3)
    baseline = variant.compile_model(
        tiny_models.segmenter_with_auxiliary_map(k), k, stats, keras.optimizers.SGD(0.01)
    )
    assert isinstance(baseline, RegionRebalanceSegmenter) and baseline.region_head is None
    assert isinstance(baseline.auxiliary_head, AuxiliaryFCNHead)
    assert (baseline.auxiliary_head.loss_weight, baseline.auxiliary_head.channels) == (0.25, 16)
    rr = dataclasses.replace(variant, region_rebalance=True).compile_model(
        tiny_models.segmenter_with_auxiliary_map(k), k, stats, keras.optimizers.SGD(0.01)
    )
    assert rr.region_head is not None and rr.auxiliary_head is not None
    images = np.zeros((2, 32, 32, 3), "float32")
    labels = np.tile(np.arange(k, dtype="int32"), (2, 32, 8))
    logs = rr.train_on_batch(images, labels, return_dict=True)
    assert {"region_loss", "auxiliary_loss"} <= set(logs) and np.isfinite(logs["loss"])
    config.auxiliary_head.loss_weight = -1.0
    with pytest.raises(ValueError, match="auxiliary_head.loss_weight"):
        rr_config.validate_config(config)
