import keras
import numpy as np
import pytest

from keras_rr.layers import ImageNormalization
from tests.harness import run_layer_test
from tests.harness import to_numpy
from tests.tiny_models import IMAGENET_OFFSET
from tests.tiny_models import IMAGENET_SCALE


def images(shape=(2, 5, 4, 3), seed=0):
    return np.random.default_rng(seed).uniform(0, 255, size=shape).astype("float32")


def test_per_channel_scale_and_offset_match_numpy():
    x = images()
    layer = ImageNormalization(scale=IMAGENET_SCALE, offset=IMAGENET_OFFSET)
    got = run_layer_test(layer, x, expected_output_shape=x.shape)
    want = x * np.asarray(IMAGENET_SCALE) + np.asarray(IMAGENET_OFFSET)
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-5, atol=1e-5)
    # ImageNet mean/std: a pixel at the mean maps to 0, one std above to 1.
    mean = np.array([0.485, 0.456, 0.406]) * 255
    std = np.array([0.229, 0.224, 0.225]) * 255
    np.testing.assert_allclose(to_numpy(layer(np.stack([mean, mean + std])[None, None].astype("float32")))[0, 0],
                               [[0, 0, 0], [1, 1, 1]], atol=1e-5)


def test_scalar_values_none_uint8_and_channels_first():
    x = images()
    np.testing.assert_allclose(to_numpy(ImageNormalization(scale=1 / 255)(x)), x / 255, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(ImageNormalization(offset=-1.0)(x)), x - 1, rtol=1e-6)
    np.testing.assert_array_equal(to_numpy(ImageNormalization()(x.astype("uint8"))), x.astype("uint8").astype("float32"))
    cf = np.transpose(x, (0, 3, 1, 2))
    got = ImageNormalization(scale=[1.0, 2.0, 3.0], data_format="channels_first")(cf)
    np.testing.assert_allclose(to_numpy(got), cf * np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1, 1), rtol=1e-6)


def test_from_a_keras_hub_image_converter():
    import keras_hub

    converter = keras_hub.layers.ResNetImageConverter(image_size=(5, 4), scale=IMAGENET_SCALE, offset=IMAGENET_OFFSET)
    layer = ImageNormalization.from_image_converter(converter)
    x = images()
    # The converter's own call resizes (a no-op at this size) then scales: same values.
    np.testing.assert_allclose(to_numpy(layer(x)), to_numpy(converter(x)), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="image_converter"):
        ImageNormalization.from_image_converter(object())


def test_bad_values_raise_clear_errors():
    with pytest.raises(ValueError, match="scale"):
        ImageNormalization(scale=[1.0, float("nan"), 1.0])
    with pytest.raises(ValueError, match="offset"):
        ImageNormalization(offset=[])
    with pytest.raises(ValueError, match="3 per-channel values for images with 4 channels"):
        ImageNormalization(scale=[1.0, 2.0, 3.0])(np.zeros((1, 2, 2, 4), "float32"))
    with pytest.raises(ValueError, match="data_format"):
        ImageNormalization(data_format="nhwc")


def test_saved_inside_a_model(tmp_path):
    inputs = keras.Input((5, 4, 3))
    model = keras.Model(inputs, ImageNormalization(scale=IMAGENET_SCALE, offset=IMAGENET_OFFSET)(inputs))
    path = tmp_path / "normalize.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    x = images()
    np.testing.assert_allclose(to_numpy(restored(x)), to_numpy(model(x)), rtol=1e-6)
