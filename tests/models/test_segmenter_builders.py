"""The builders: `build_segmenter` (a config's `model` section, its weights and presets) and
the model families from explicit configs, backbone presets and whole-task presets."""

import os
import time

import numpy as np
import pytest

from keras_rr.models import NormalizedSegmenter
from keras_rr.networks.segmenters import presets
from keras_rr.models import segmenter_from_preset
from keras_rr.models import MODEL_NAMES
from keras_rr.networks.segmenters.builders import SEGMENTER_BUILDERS
from keras_rr.models import build_segmenter
from keras_rr.networks.segmenters.builders import check_model_config
from keras_rr.models import deeplab_v3_plus_resnet
from keras_rr.models import segformer_mit
from keras_rr.models import small_fcn
from keras_rr.training import config as rr_config
from tests import tiny_models
from tests.harness import REPO_ROOT
from tests.harness import skip_on_backends
from tests.harness import to_numpy
from tests.tiny_models import IMAGENET_OFFSET
from tests.tiny_models import PRESET_CLASSES
from tests.tiny_models import IMAGENET_SCALE


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
    assert MODEL_NAMES == (
        "deeplab_v3_plus_resnet", "deeplab_v3_plus_resnet_c", "psp_net_resnet_c", "uper_net_resnet_c",
        "uper_net_swin", "uper_net_mit", "uper_net_beit", "segformer_mit", "ocr_net_hrnet", "small_fcn",
    )


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


# --- Presets (offline, from the session-scoped `resnet_presets` of tests/conftest.py) ---------------


def _raw_images(size, n=2, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, size=(n, size, size, 3)).astype("float32")


def _assert_weights_equal(actual, expected):
    assert len(actual) == len(expected) > 0
    for a, b in zip(actual, expected):
        np.testing.assert_array_equal(to_numpy(a), b)


def test_whole_task_preset_is_reheaded_and_normalises_like_its_converter(resnet_presets):
    model = build_segmenter(
        {"name": "deeplab_v3_plus_resnet", "preset": resnet_presets["deeplab"], "image_size": 32}, num_classes=6
    )
    assert isinstance(model, NormalizedSegmenter) and model.output_shape == (None, 32, 32, 6)
    task = model.inner
    _assert_weights_equal(task.backbone.image_encoder.get_weights(), resnet_presets["encoder_weights"])
    # The preprocessor's normalisation is the model's first layer, value for value.
    converter = task.preprocessor.image_converter
    assert model.normalization.scale == pytest.approx(IMAGENET_SCALE)
    assert model.normalization.offset == pytest.approx(IMAGENET_OFFSET)
    images = _raw_images(32)
    np.testing.assert_allclose(
        to_numpy(model.normalization(images)), to_numpy(converter(images)), rtol=1e-5, atol=1e-5
    )


def test_same_class_count_keeps_the_head_and_image_size_rebuilds(resnet_presets):
    model = segmenter_from_preset(resnet_presets["deeplab"], num_classes=PRESET_CLASSES, image_size=64)
    assert model.output_shape == (None, 64, 64, PRESET_CLASSES)
    _assert_weights_equal(model.inner.get_weights(), resnet_presets["task_weights"])


def test_backbone_preset_under_our_head_normalises_like_its_converter(resnet_presets):
    import keras_hub

    model = build_segmenter(
        {"name": "deeplab_v3_plus_resnet", "backbone_preset": resnet_presets["resnet"], "image_size": 32},
        num_classes=3,
    )
    assert isinstance(model, NormalizedSegmenter) and model.output_shape == (None, 32, 32, 3)
    _assert_weights_equal(model.inner.backbone.image_encoder.get_weights(), resnet_presets["encoder_weights"])
    # Not the family default (ImageNet): the preset's own converter.
    converter = keras_hub.layers.ImageConverter.from_preset(resnet_presets["resnet"])
    images = _raw_images(32)
    expected = images * np.float32(tiny_models.CONVERTER_SCALE) + np.float32(tiny_models.CONVERTER_OFFSET)
    np.testing.assert_allclose(to_numpy(model.normalization(images)), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(to_numpy(model.normalization(images)), to_numpy(converter(images)), atol=1e-5)


@skip_on_backends(
    "jax", "tensorflow",
    reason="building and reloading a tiny MiT takes ~27 s on TF and ~55 s on JAX, 4 s on torch; the code path "
    "is backend-independent and ResNet presets test it on every backend",
)
def test_segformer_from_a_mit_backbone_preset(tmp_path):
    import keras_hub

    directory = str(tmp_path / "mit")
    encoder = tiny_models.keras_hub_mit(64)
    encoder.save_to_preset(directory)
    keras_hub.layers.MiTImageConverter(
        image_size=(64, 64), scale=tiny_models.CONVERTER_SCALE, offset=tiny_models.CONVERTER_OFFSET
    ).save_to_preset(directory)
    model = segformer_mit(3, image_size=64, backbone_preset=directory, projection_filters=16)
    assert isinstance(model.inner, keras_hub.models.SegFormerImageSegmenter)
    assert model.output_shape == (None, 64, 64, 3)
    assert model.normalization.scale == pytest.approx(tiny_models.CONVERTER_SCALE)
    assert model.normalization.offset == pytest.approx(tiny_models.CONVERTER_OFFSET)
    _assert_weights_equal(model.inner.backbone.image_encoder.get_weights(), encoder.get_weights())


def test_preset_arguments_are_checked(resnet_presets):
    with pytest.raises(ValueError, match="either `preset`"):
        deeplab_v3_plus_resnet(3, preset="a", backbone_preset="b")
    with pytest.raises(ValueError, match="model.preset` is not supported by model.name='small_fcn'"):
        build_segmenter({"name": "small_fcn", "preset": resnet_presets["deeplab"]}, 3)
    with pytest.raises(ValueError, match="either `preset`"):
        check_model_config({"name": "segformer_mit", "preset": "a", "backbone_preset": "b"})
    with pytest.raises(ValueError, match="must be a KerasHub preset name"):
        check_model_config({"name": "segformer_mit", "backbone_preset": 3})
    # A ResNet has no P1: not an encoder for the SegFormer head.
    with pytest.raises(ValueError, match=r"without the pyramid levels \['P1'\]"):
        segformer_mit(3, image_size=32, backbone_preset=resnet_presets["resnet"])


def test_builders_fail_within_seconds_offline(monkeypatch, tmp_path):
    monkeypatch.setenv(presets.OFFLINE_ENV, "1")
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path))  # nothing cached
    start = time.monotonic()
    with pytest.raises(presets.PresetUnavailableError, match="resnet_50_imagenet"):
        build_segmenter({"name": "deeplab_v3_plus_resnet", "backbone_preset": "resnet_50_imagenet"}, 150)
    with pytest.raises(presets.PresetUnavailableError, match="segformer_b0_ade20k_512"):
        segmenter_from_preset("segformer_b0_ade20k_512", num_classes=19)
    assert time.monotonic() - start < 5.0
