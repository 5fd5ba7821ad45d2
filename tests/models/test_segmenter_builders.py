"""`build_segmenter`: the builder named by a config's `model` section, with its weights loaded."""

import os

import numpy as np
import pytest

from keras_rr.models.segmenter_builders import MODEL_NAMES
from keras_rr.models.segmenter_builders import SEGMENTER_BUILDERS
from keras_rr.models.segmenter_builders import build_segmenter
from keras_rr.models.segmenter_builders import small_fcn
from keras_rr.training import config as rr_config
from tests import tiny_models
from tests.harness import REPO_ROOT
from tests.harness import to_numpy


def _weights(model):
    return [to_numpy(w) for w in model.weights]


def test_build_from_a_config_section_or_a_dict():
    config = rr_config.load_config(os.path.join(REPO_ROOT, "configs/synthetic/small_fcn_rr.py"))
    config.model.width = 8
    config.model.image_size = 32
    segmenter = build_segmenter(config.model, 12)
    assert segmenter.output_shape == (None, 32, 32, 12)
    assert segmenter.get_layer("decoder").filters == 8
    same = build_segmenter({"name": "small_fcn", "image_size": 32, "width": 8}, 12)
    assert same.get_config() == segmenter.get_config()
    # Fields left out (or None) keep the builder's defaults (small_fcn: 64 px).
    default = build_segmenter({"name": "small_fcn", "width": 8, "image_size": None}, 12)
    assert default.output_shape == (None, 64, 64, 12)
    assert MODEL_NAMES == ("deeplab_v3_plus_resnet", "deeplab_v3_plus_resnet_c", "segformer_mit", "small_fcn")


def test_unknown_model_and_bad_class_count_are_clear_errors():
    with pytest.raises(ValueError, match="model.name` must be one of"):
        build_segmenter({"name": "unet"}, 12)
    with pytest.raises(ValueError, match="num_classes"):
        build_segmenter({"name": "small_fcn"}, 0)
    with pytest.raises(ValueError, match="encoder_weights"):
        build_segmenter({"name": "small_fcn", "encoder_weights": "encoder.weights.h5"}, 4)


def test_init_weights_are_loaded(tmp_path):
    source = small_fcn(4, image_size=32, width=8)
    path = str(tmp_path / "segmenter.weights.h5")
    source.save_weights(path)
    fresh = build_segmenter({"name": "small_fcn", "image_size": 32, "width": 8}, 4)
    assert not all(np.array_equal(a, b) for a, b in zip(_weights(fresh), _weights(source)))
    loaded = build_segmenter({"name": "small_fcn", "image_size": 32, "width": 8, "init_weights": path}, 4)
    for a, b in zip(_weights(loaded), _weights(source)):
        np.testing.assert_array_equal(a, b)


def test_encoder_weights_are_loaded_into_the_keras_hub_encoder(tmp_path, monkeypatch):
    # A tiny KerasHub DeepLabV3 registered as a builder: the same loading path as the
    # full-size ResNet / MiT models, at a fraction of their build time.
    monkeypatch.setitem(SEGMENTER_BUILDERS, "tiny_deeplab", (tiny_models.keras_hub_deeplab_v3, ("size",)))
    model_config = {"name": "tiny_deeplab", "size": 32}
    source = build_segmenter(model_config, 4)
    path = str(tmp_path / "encoder.weights.h5")
    source.backbone.image_encoder.save_weights(path)
    loaded = build_segmenter(dict(model_config, encoder_weights=path), 4)
    encoder, source_encoder = loaded.backbone.image_encoder, source.backbone.image_encoder
    assert encoder.weights
    for a, b in zip(_weights(encoder), _weights(source_encoder)):
        np.testing.assert_array_equal(a, b)
    # Only the encoder: the rest keeps its fresh initialisation.
    encoder_ids = {id(w) for w in encoder.weights}
    head = [to_numpy(w) for w in loaded.weights if id(w) not in encoder_ids]
    source_ids = {id(w) for w in source_encoder.weights}
    source_head = [to_numpy(w) for w in source.weights if id(w) not in source_ids]
    assert head and not all(np.array_equal(a, b) for a, b in zip(head, source_head))
