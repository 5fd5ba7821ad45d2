"""`keras_rr.networks.segmenters.presets`: handles resolve offline or fail within seconds, naming the handle;
a preset's image converter gives the model's normalisation."""

import logging
import os
import pathlib
import shutil
import socket
import time

import numpy as np
import pytest

from keras_rr.networks.segmenters import presets
from tests import tiny_models
from tests.harness import to_numpy

# No proxy may redirect the loopback probes of these tests.
_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
_OFFLINE_VARIABLES = (presets.OFFLINE_ENV, "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    """No offline switch, no proxy, and an empty kagglehub cache of our own."""
    for name in _PROXY_VARIABLES + _OFFLINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "kagglehub"))
    return monkeypatch


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_local_directory_resolves_offline(clean_environment, resnet_presets):
    clean_environment.setenv(presets.OFFLINE_ENV, "1")
    directory = resnet_presets["resnet"]
    assert presets.resolve_preset(directory) == directory
    assert presets.resolve_preset(pathlib.Path(directory)) == directory


def test_the_offline_switch_fails_within_seconds_naming_the_handle(clean_environment):
    clean_environment.setenv(presets.OFFLINE_ENV, "1")
    start = time.monotonic()
    with pytest.raises(presets.PresetUnavailableError) as error:
        presets.resolve_preset("resnet_50_imagenet", kind="backbone")
    message = str(error.value)
    assert "resnet_50_imagenet (kaggle://keras/resnetv1/keras/resnet_50_imagenet/3)" in message
    assert "KERAS_RR_OFFLINE=1 is set" in message
    assert "Backbone.from_preset('resnet_50_imagenet').save_to_preset(d)" in message
    assert "ImageConverter.from_preset('resnet_50_imagenet').save_to_preset(d)" in message
    with pytest.raises(presets.PresetUnavailableError, match="ImageSegmenter.from_preset"):
        presets.resolve_preset("kaggle://keras/deeplabv3plus/keras/deeplab_v3_plus_resnet50_pascalvoc/4")
    # Hugging Face's own switch holds for hf:// handles.
    clean_environment.delenv(presets.OFFLINE_ENV)
    clean_environment.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(presets.PresetUnavailableError, match=r"hf://keras-rr/no-such-model: HF_HUB_OFFLINE=1"):
        presets.resolve_preset("hf://keras-rr/no-such-model")
    assert time.monotonic() - start < 5.0


def test_an_unreachable_host_fails_within_the_timeout(clean_environment):
    # The real probe, against loopback only: a closed port refuses, an HTTP server answers.
    import http.server
    import threading

    port = _free_port()
    clean_environment.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    start = time.monotonic()
    with pytest.raises(presets.PresetUnavailableError, match=f"http://127.0.0.1:{port} cannot be reached"):
        presets.resolve_preset("hf://keras-rr/no-such-model", timeout=2.0)
    assert time.monotonic() - start < 3.0
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)  # answers 501
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        clean_environment.setenv("HF_ENDPOINT", endpoint)
        assert presets.resolve_preset("hf://keras-rr/model") == "hf://keras-rr/model"
        assert presets.probe_endpoint(endpoint, timeout=2.0) is None
    finally:
        server.shutdown()
        server.server_close()
    # The whole probe (name lookup included) is bounded by the timeout; a host that
    # accepts connections without being the server (a middlebox) does not pass either.
    start = time.monotonic()
    assert presets.probe_endpoint("https://10.255.255.1", timeout=0.5) is not None
    assert time.monotonic() - start < 1.5


def test_a_copy_in_the_kagglehub_cache_loads_offline(clean_environment, resnet_presets):
    from kagglehub.cache import Cache
    from kagglehub.handle import parse_model_handle

    # Lay the tiny preset out where kagglehub caches `resnet_50_imagenet`.
    handle = parse_model_handle("keras/resnetv1/keras/resnet_50_imagenet/3")
    cached = Cache().get_path(handle)
    shutil.copytree(resnet_presets["resnet"], cached)
    Cache().mark_as_complete(handle, "config.json")
    clean_environment.setenv(presets.OFFLINE_ENV, "1")
    assert presets.resolve_preset("resnet_50_imagenet") == cached
    encoder, normalization = presets.load_backbone_preset("resnet_50_imagenet")
    for actual, expected in zip(encoder.get_weights(), resnet_presets["encoder_weights"]):
        np.testing.assert_array_equal(actual, expected)
    assert normalization == {"scale": tuple(tiny_models.CONVERTER_SCALE), "offset": tuple(tiny_models.CONVERTER_OFFSET)}


def test_unknown_names_and_missing_directories_are_value_errors(clean_environment, tmp_path):
    with pytest.raises(ValueError, match="neither an existing directory nor a KerasHub preset name"):
        presets.resolve_preset("no_such_preset_v9")
    with pytest.raises(ValueError, match=r"'[^']*missing' is not an existing directory\. Received"):
        presets.resolve_preset(str(tmp_path / "missing"))
    for bad in ("", "  ", 3, None):
        with pytest.raises(ValueError, match="must be a KerasHub preset name"):
            presets.resolve_preset(bad)


def test_backbone_normalization_is_the_preset_converters(clean_environment, resnet_presets, tmp_path, caplog):
    import keras_hub

    encoder, normalization = presets.load_backbone_preset(resnet_presets["resnet"])
    converter = keras_hub.layers.ImageConverter.from_preset(resnet_presets["resnet"])
    assert normalization == {"scale": tuple(converter.scale), "offset": tuple(converter.offset)}
    images = np.random.default_rng(0).uniform(0, 255, size=(2, 32, 32, 3)).astype("float32")
    expected = images * np.float32(tiny_models.CONVERTER_SCALE) + np.float32(tiny_models.CONVERTER_OFFSET)
    np.testing.assert_allclose(to_numpy(converter(images)), expected, rtol=1e-5, atol=1e-5)
    # A preset without an image converter gets its family's default, with a warning.
    bare = str(tmp_path / "bare")
    shutil.copytree(resnet_presets["resnet"], bare)
    os.remove(os.path.join(bare, "image_converter.json"))
    assert presets.preset_normalization(bare) is None
    with caplog.at_level(logging.WARNING, logger="keras_rr.networks.segmenters.presets"):
        _, normalization = presets.load_backbone_preset(bare, image_size=64)
    assert normalization == presets.IMAGENET_NORMALIZATION
    assert "has no image converter" in caplog.text
