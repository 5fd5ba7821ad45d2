"""Models and recipes from configs; KerasHub segmenters train as plain (baseline) models."""

import keras
import numpy as np
import pytest

from keras_rr.data import ClassStatistics
from keras_rr.training import config as rr_config
from keras_rr.training.experiment import BASELINE
from keras_rr.training.experiment import build_training_model
from keras_rr.training.segmenter_factory import build_segmenter
from keras_rr.training.segmenter_factory import training_variant
from tests import tiny_models


def test_baseline_recipe_drops_metrics_a_segmenter_was_compiled_with():
    # KerasHub segmenters compile themselves at construction with a one-hot
    # CategoricalAccuracy, which fails on (B, H, W) integer labels; `compile(metrics=None)`
    # would keep it. Reproduced on a tiny functional model (KerasHub builds are slow).
    k = 4
    segmenter = tiny_models.functional_segmenter(k, size=16, channels=4)
    segmenter.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=[keras.metrics.CategoricalAccuracy()])
    stats = ClassStatistics.from_counts([10, 5, 2, 1], [3, 2, 1, 1], num_images=3)
    model = build_training_model(BASELINE, segmenter, k, stats, keras.optimizers.SGD(0.01))
    assert model is segmenter and model.get_compile_config()["metrics"] == []
    images = np.zeros((2, 16, 16, 3), "float32")
    labels = np.zeros((2, 16, 16), "int32")
    assert np.isfinite(model.train_on_batch(images, labels, return_dict=True)["loss"])


def test_variant_and_model_from_config():
    config = rr_config.synthetic_config(region_rebalance=True)
    config.region_rebalance.projection_dim = 16
    config.region_rebalance.label_smoothing = 0.1
    config.region_rebalance.pooling_resolution = "labels"
    config.loss.name = "dice_cross_entropy"
    variant = training_variant(config)
    assert variant.region_rebalance and variant.projection_dim == 16 and variant.label_smoothing == 0.1
    assert variant.pooling_resolution == "labels" and variant.pixel_loss == "dice_cross_entropy"
    config.model.width = 8
    config.model.image_size = 32
    segmenter = build_segmenter(config.model, 12)
    assert segmenter.output_shape == (None, 32, 32, 12)
    config.model.name = "unet"
    with pytest.raises(ValueError, match="model.name"):
        build_segmenter(config.model, 12)
