"""ResNet-c dilated to output stride 8 and DeepLabV3+ on it (`keras_rr.models.resnet_c`).

The encoders are tiny KerasHub ResNets with the presets' deep 3x3 stem (two blocks per
stage, narrow late stages) at 64 px, built once per module: on JAX most of a build is
compiling variable initialisers.
"""

import keras
import numpy as np
import pytest

from keras_rr.models import RegionRebalanceSegmenter
from keras_rr.models import ResizeLike
from keras_rr.models import deeplab_v3_plus_resnet_c
from keras_rr.models import dilated_resnet
from keras_rr.models import resnet_c_config
from tests.harness import predict
from tests.harness import randomize_weights
from tests.harness import run_layer_test
from tests.harness import to_numpy

SIZE = 64
SEG_SIZE = 32
K = 4


def _tiny_config(block_type="bottleneck_block_vd"):
    config = resnet_c_config(50, image_shape=(SIZE, SIZE, 3))
    config.update(stackwise_num_filters=[64, 16, 16, 16], stackwise_num_blocks=[2, 2, 2, 2], block_type=block_type)
    return config


def _images(n=2, size=SIZE, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, size=(n, size, size, 3)).astype("float32")


def _assert_close(actual, expected):
    # Relative to the map's scale: float32 sums over hundreds of terms.
    np.testing.assert_allclose(actual, expected, atol=1e-5 * np.abs(expected).max())


@pytest.fixture(scope="module")
def vd_encoder():
    import keras_hub

    encoder = keras_hub.models.ResNetBackbone(**_tiny_config())
    randomize_weights(encoder)
    return encoder


def _reference_resnet_v1d_d8(encoder):
    """mmsegmentation's ResNetV1d-d8, written out from its definition, on `encoder`'s weights.

    Deep stem; bottleneck blocks with the stride on the 3x3 conv ("pytorch" style);
    stage strides 1, 2, 1, 1 and dilations 1, 1, 2, 4 with `contract_dilation` (a
    dilated stage's first block uses half the dilation); torch padding `dilation` on
    every 3x3 conv; `avg_down` shortcuts (2x2 average pool before the 1x1 conv) where
    the stride is 2. Independent of `dilated_resnet` (no cloning): layer names follow
    KerasHub's only to copy the weights.
    """
    layers = keras.layers

    def conv(x, filters, kernel_size, name, stride=1, dilation=1):
        pad = dilation * (kernel_size - 1) // 2
        if pad:
            x = layers.ZeroPadding2D(pad)(x)
        x = layers.Conv2D(filters, kernel_size, strides=stride, dilation_rate=dilation, use_bias=False, name=name)(x)
        return x

    def bn(x, name):
        return layers.BatchNormalization(epsilon=1e-5, name=name)(x)

    inputs = keras.Input((SIZE, SIZE, 3))
    x = inputs
    for i, filters in enumerate(encoder.input_conv_filters):
        x = layers.ReLU()(bn(conv(x, filters, 3, f"conv{i + 1}_conv", stride=2 if i == 0 else 1), f"conv{i + 1}_bn"))
    x = layers.MaxPooling2D(3, strides=2)(layers.ZeroPadding2D(1)(x))
    strides, dilations = (1, 2, 1, 1), (1, 1, 2, 4)
    outputs = {}
    for stage, (filters, blocks) in enumerate(zip(encoder.stackwise_num_filters, encoder.stackwise_num_blocks)):
        for block in range(blocks):
            name = f"stack{stage}_block{block}"
            stride = strides[stage] if block == 0 else 1
            dilation = max(dilations[stage] // 2, 1) if block == 0 else dilations[stage]
            if block == 0:
                shortcut = layers.AveragePooling2D(stride)(x) if stride > 1 else x
                shortcut = bn(conv(shortcut, 4 * filters, 1, f"{name}_0_conv"), f"{name}_0_bn")
            else:
                shortcut = x
            y = layers.ReLU()(bn(conv(x, filters, 1, f"{name}_1_conv"), f"{name}_1_bn"))
            y = layers.ReLU()(bn(conv(y, filters, 3, f"{name}_2_conv", stride, dilation), f"{name}_2_bn"))
            y = bn(conv(y, 4 * filters, 1, f"{name}_3_conv"), f"{name}_3_bn")
            x = layers.ReLU()(layers.Add()([shortcut, y]))
        outputs[f"P{stage + 2}"] = x
    reference = keras.Model(inputs, outputs)
    for layer in reference.layers:
        if layer.weights:
            layer.set_weights(encoder.get_layer(layer.name).get_weights())
    return reference


def test_dilated_encoder_has_stride_8_and_the_encoders_variables(vd_encoder, tmp_path):
    encoder = dilated_resnet(vd_encoder, output_stride=8)
    assert {k: tuple(v.shape) for k, v in encoder.output.items()} == {
        "P2": (None, 16, 16, 256),  # strides 4, 8, 8, 8
        "P3": (None, 8, 8, 64),
        "P4": (None, 8, 8, 64),
        "P5": (None, 8, 8, 64),
    }
    # Same variables (path, shape, order) with the same values: weights load unchanged.
    assert [(w.path, tuple(w.shape)) for w in encoder.weights] == [(w.path, tuple(w.shape)) for w in vd_encoder.weights]
    for a, b in zip(encoder.weights, vd_encoder.weights):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    # mmseg's d8 setting, first blocks contracted: stage 3 dilations 1, 2; stage 4: 2, 4.
    rates = {name: encoder.get_layer(name).dilation_rate for name in (
        "stack1_block0_2_conv", "stack2_block0_2_conv", "stack2_block1_2_conv", "stack3_block0_2_conv",
        "stack3_block1_2_conv")}
    assert rates == {"stack1_block0_2_conv": (1, 1), "stack2_block0_2_conv": (1, 1), "stack2_block1_2_conv": (2, 2),
                     "stack3_block0_2_conv": (2, 2), "stack3_block1_2_conv": (4, 4)}
    # An encoder `.weights.h5` loads into a freshly dilated copy.
    path = str(tmp_path / "encoder.weights.h5")
    vd_encoder.save_weights(path)
    fresh = dilated_resnet(_tiny_config(), output_stride=8)
    fresh.load_weights(path)
    for a, b in zip(fresh.weights, vd_encoder.weights):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


def test_dilated_vd_encoder_equals_mmsegmentations_resnet_v1d_d8(vd_encoder):
    images = _images()
    actual = predict(dilated_resnet(vd_encoder, output_stride=8), images)
    expected = predict(_reference_resnet_v1d_d8(vd_encoder), images)
    for key in ("P2", "P3", "P4", "P5"):
        assert actual[key].shape == expected[key].shape
        _assert_close(actual[key], expected[key])


def test_dilation_is_the_strided_network_on_a_finer_grid():
    # "A trous": with contracted first-block dilations, the dilated network sampled every
    # 2nd (P4) / 4th (P5) pixel equals the original strided network exactly, padding
    # included. Strided 1x1 shortcuts (non-vd blocks) sample what stride 1 + subsampling
    # does; the vd shortcut's average pool would not, hence the plain bottleneck here.
    import keras_hub

    encoder = keras_hub.models.ResNetBackbone(**_tiny_config("bottleneck_block"))
    randomize_weights(encoder, seed=1)
    images = _images(seed=1)
    strided = predict(keras.Model(encoder.input, dict(encoder.pyramid_outputs)), images)
    # Output stride 32 changes nothing: the clone is the encoder itself.
    for output_stride, steps in ((8, {"P4": 2, "P5": 4}), (16, {"P5": 2}), (32, {})):
        dilated = predict(dilated_resnet(encoder, output_stride=output_stride), images)
        for key in ("P2", "P3", "P4", "P5"):
            step = steps.get(key, 1)
            _assert_close(dilated[key][:, ::step, ::step], strided[key])
    # Without the contraction (dilation 2 already in stage 3's first block) it is not.
    uncontracted = predict(dilated_resnet(encoder, output_stride=8, contract_dilation=False), images)
    assert np.abs(uncontracted["P5"][:, ::4, ::4] - strided["P5"]).max() > 1e-2 * np.abs(strided["P5"]).max()


def test_bad_encoders_and_strides_are_clear_errors(vd_encoder):
    with pytest.raises(ValueError, match="output_stride"):
        dilated_resnet(vd_encoder, output_stride=4)
    with pytest.raises(ValueError, match="ResNetBackbone"):
        dilated_resnet(keras.Sequential([keras.layers.Dense(2)]))
    with pytest.raises(ValueError, match="depth"):
        resnet_c_config(152)
    with pytest.raises(ValueError, match="output_stride"):
        deeplab_v3_plus_resnet_c(K, output_stride=32, encoder=vd_encoder)


def _np_resize_bilinear(x, height, width):
    """Half-pixel bilinear resize (torch `align_corners=False`) of (B, h, w, C), NumPy."""

    def weights(size_in, size_out):
        src = np.clip((np.arange(size_out) + 0.5) * size_in / size_out - 0.5, 0, size_in - 1)
        low = np.floor(src).astype(int)
        high = np.minimum(low + 1, size_in - 1)
        matrix = np.zeros((size_out, size_in))
        matrix[np.arange(size_out), low] += 1 - (src - low)
        matrix[np.arange(size_out), high] += src - low
        return matrix

    return np.einsum("ih,jw,bhwc->bijc", weights(x.shape[1], height), weights(x.shape[2], width), x)


def test_resize_like_matches_numpy_bilinear_and_broadcasts_a_pooled_map():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 5, 4)).astype("float32")
    reference = np.zeros((2, 7, 9, 1), "float32")
    out = run_layer_test(ResizeLike(), [x, reference], expected_output_shape=(2, 7, 9, 4))
    np.testing.assert_allclose(to_numpy(out), _np_resize_bilinear(x, 7, 9), atol=1e-5)
    pooled = x[:, :1, :1]
    broadcast = to_numpy(ResizeLike()([pooled, reference]))
    np.testing.assert_allclose(broadcast, np.broadcast_to(pooled, (2, 7, 9, 4)), rtol=1e-6)


@pytest.fixture(scope="module")
def small_encoder():
    """One block per stage: half the layers to compile for the segmenter tests."""
    import keras_hub

    config = _tiny_config()
    config.update(stackwise_num_blocks=[1, 1, 1, 1], image_shape=(None, None, 3))
    return keras_hub.models.ResNetBackbone(**config)


@pytest.fixture(scope="module")
def segmenter(small_encoder):
    return deeplab_v3_plus_resnet_c(K, image_size=SEG_SIZE, encoder=small_encoder, channels=16, low_level_channels=8)


def test_head_is_mmsegmentations_depthwise_separable_aspp_head(segmenter, small_encoder):
    assert segmenter.output_shape == (None, SEG_SIZE, SEG_SIZE, K)
    encoder = segmenter.get_layer("image_encoder")
    assert encoder.output["P5"].shape[1:3] == (SEG_SIZE // 8, SEG_SIZE // 8)  # ASPP on the stride-8 map
    for a, b in zip(encoder.weights, small_encoder.weights):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    assert [segmenter.get_layer(f"aspp_{i}_depthwise").dilation_rate for i in (1, 2, 3)] == [(12, 12), (24, 24), (36, 36)]
    # Trainable parameters of the head, counted from mmseg's definition (C = channels,
    # c1 = low-level channels, BN: 2 per channel): image pool 1x1 + ASPP 1x1 on the
    # 64-channel P5, three separable convs, the plain 3x3 bottleneck on 5C (ASPPHead's),
    # the P2 1x1, two decoder separable convs, the classifier with bias.
    c, c1, p5, p2 = 16, 8, 64, 256

    def conv_bn(cin, cout):
        return cin * cout + 2 * cout

    def separable(cin, cout):
        return 9 * cin + 2 * cin + conv_bn(cin, cout)

    expected = (
        2 * conv_bn(p5, c) + 3 * separable(p5, c) + conv_bn(9 * 5 * c, c) + conv_bn(p2, c1)
        + separable(c + c1, c) + separable(c, c) + c * K + K
    )
    head = sum(int(np.prod(w.shape)) for w in segmenter.trainable_weights) - sum(
        int(np.prod(w.shape)) for w in encoder.trainable_weights
    )
    assert head == expected
    assert isinstance(segmenter.get_layer("dropout"), keras.layers.SpatialDropout2D)
    # mmseg's auxiliary FCN head reads stage 3 (stride 8 after dilation): named, kept.
    assert tuple(segmenter.get_layer("auxiliary_features").output.shape) == (None, SEG_SIZE // 8, SEG_SIZE // 8, 64)


def test_region_rebalance_finds_the_decoder_features(segmenter):
    # (A two-step `fit` of this wrapper passed on every backend; it is left out of the
    # suite for time: 40-60 s of train-step compilation on TF and JAX.)
    model = RegionRebalanceSegmenter(segmenter, K, region_frequency=[40, 12, 3, 1])
    # The classifier reads the decoder's 1/4 map (the tap skips the dropout before it).
    assert model.feature_description == "input of 'classifier'"
    assert tuple(model.feature_model.outputs[1].shape) == (None, SEG_SIZE // 4, SEG_SIZE // 4, 16)


def test_save_and_load_round_trip(segmenter, tmp_path):
    # `run_saving_test` by hand with `predict`: two compiled `predict`s cost 10 s on TF.
    path = str(tmp_path / "segmenter.keras")
    segmenter.save(path)
    restored = keras.saving.load_model(path)
    assert isinstance(restored.get_layer("aspp_resize"), ResizeLike)
    images = _images(size=SEG_SIZE, seed=4)
    np.testing.assert_allclose(predict(restored, images), predict(segmenter, images), atol=1e-5)


def test_built_from_a_backbone_preset_directory_offline(small_encoder, tmp_path, caplog):
    import keras_hub

    from keras_rr.models import NormalizedSegmenter

    small_encoder.save_to_preset(str(tmp_path / "resnet_c"))
    loaded = keras_hub.models.Backbone.from_preset(str(tmp_path / "resnet_c"))
    # Any input size, as mmseg resizes to the input: 60 px gives a 15x15 P2, an 8x8 P5.
    built = deeplab_v3_plus_resnet_c(K, image_size=None, encoder=loaded, channels=8, low_level_channels=4)
    for a, b in zip(built.get_layer("image_encoder").weights, small_encoder.weights):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    assert predict(built, _images(n=1, size=60)).shape == (1, 60, 60, K)
    # By handle: the preset (no image converter saved) gets ImageNet mean/std in the model.
    from_handle = deeplab_v3_plus_resnet_c(
        K, image_size=SEG_SIZE, backbone_preset=str(tmp_path / "resnet_c"), channels=8, low_level_channels=4
    )
    assert "has no image converter" in caplog.text
    assert isinstance(from_handle, NormalizedSegmenter)
    for a, b in zip(from_handle.inner.get_layer("image_encoder").weights, small_encoder.weights):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    with pytest.raises(ValueError, match="not both"):
        deeplab_v3_plus_resnet_c(K, encoder=loaded, backbone_preset=str(tmp_path / "resnet_c"))


def test_build_segmenter_names_it_and_loads_a_keras_hub_encoders_weights(small_encoder, tmp_path, monkeypatch):
    # `build_segmenter`'s "deeplab_v3_plus_resnet_c" is this builder; a tiny encoder (a dict
    # of ResNetBackbone arguments) stands in for the full-size one, as a builder entry.
    from keras_rr.networks.segmenters.builders import SEGMENTER_BUILDERS
    from keras_rr.models import build_segmenter

    assert SEGMENTER_BUILDERS["deeplab_v3_plus_resnet_c"][0] is deeplab_v3_plus_resnet_c
    config = dict(small_encoder.get_config(), image_shape=(SEG_SIZE, SEG_SIZE, 3))

    def tiny(num_classes, image_size):
        return deeplab_v3_plus_resnet_c(num_classes, image_size=image_size, encoder=config, channels=8, low_level_channels=4)

    monkeypatch.setitem(SEGMENTER_BUILDERS, "tiny_resnet_c", (tiny, ("image_size",)))
    path = str(tmp_path / "resnet_vd.weights.h5")
    small_encoder.save_weights(path)  # a KerasHub ResNetBackbone's own file
    built = build_segmenter({"name": "tiny_resnet_c", "image_size": SEG_SIZE, "encoder_weights": path}, K)
    for a, b in zip(built.get_layer("image_encoder").weights, small_encoder.weights):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
