"""UPerNet on ResNet-c, Swin and MiT (`keras_rr.models.uper_net`) against mmseg's `UPerHead`.

Tiny KerasHub encoders at 64 px (strides 4..32: 16, 8, 4, 2), an 8-channel head, built
once per module; the head's output is compared with a plain-torch `UPerHead` written from
mmsegmentation's definition (`tests.references.torch_uper_head`) on the same weights.
"""

import keras
import numpy as np
import pytest

from keras_rr.models import NormalizedSegmenter
from keras_rr.models import RegionRebalanceSegmenter
from keras_rr.models import SwinTransformerPyramid
from keras_rr.models import resnet_c_config
from keras_rr.networks.segmenters.builders import SEGMENTER_BUILDERS
from keras_rr.models import uper_net_mit
from keras_rr.models import uper_net_resnet_c
from keras_rr.models import uper_net_swin
from tests.harness import BACKEND
from tests.harness import fit_two_steps_with_region_rebalance
from tests.harness import predict
from tests.harness import randomize_weights
from tests.harness import to_numpy
from tests.references import layer_weights
from tests.references import torch_uper_head

SIZE = 64
K = 4
C = 8  # head width
SCALES = (1, 2, 3, 6)


def _images(n=2, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, size=(n, SIZE, SIZE, 3)).astype("float32")


def _conv_bn(cin, cout, k=1):
    return k * k * cin * cout + 2 * cout  # conv without bias, BN gamma and beta


def _uper_head_parameters(in_channels, channels, num_classes, scales=SCALES):
    """Trainable parameters of mmseg's UPerHead (`in_channels` of the four stages)."""
    c1, c2, c3, c4 = in_channels
    return (
        sum(_conv_bn(c, channels) for c in (c1, c2, c3))  # lateral_convs
        + len(scales) * _conv_bn(c4, channels)  # psp_modules
        + _conv_bn(c4 + len(scales) * channels, channels, 3)  # bottleneck
        + 3 * _conv_bn(channels, channels, 3)  # fpn_convs
        + _conv_bn(4 * channels, channels, 3)  # fpn_bottleneck
        + channels * num_classes + num_classes  # conv_seg
    )


def _head_parameters(segmenter):
    encoder = segmenter.get_layer("image_encoder")
    count = sum(int(np.prod(w.shape)) for w in segmenter.trainable_weights)
    return count - sum(int(np.prod(w.shape)) for w in encoder.trainable_weights)


@pytest.fixture(scope="module")
def resnet_encoder():
    import keras_hub

    config = resnet_c_config(50, image_shape=(SIZE, SIZE, 3))
    config.update(stackwise_num_filters=[64, 8, 8, 8], stackwise_num_blocks=[1, 1, 1, 1])
    return keras_hub.models.ResNetBackbone(**config)


@pytest.fixture(scope="module")
def resnet_segmenter(resnet_encoder):
    segmenter = uper_net_resnet_c(K, image_size=SIZE, encoder=resnet_encoder, channels=C)
    randomize_weights(segmenter)
    return segmenter


@pytest.fixture(scope="module")
def swin_encoder():
    import keras_hub

    # Window 2: every stage map (16, 8, 4, 2) is a multiple; KerasHub 0.32 cannot run a
    # stage smaller than its window (its attention keeps the configured window size).
    return keras_hub.models.SwinTransformerBackbone(
        image_shape=(SIZE, SIZE, 3), embed_dim=8, depths=(2, 1, 1, 1), num_heads=(1, 1, 2, 2), window_size=2
    )


@pytest.fixture(scope="module")
def swin_segmenter(swin_encoder):
    return uper_net_swin(K, image_size=SIZE, encoder=swin_encoder, channels=C)


@pytest.fixture(scope="module")
def mit_segmenter():
    import keras_hub

    encoder = keras_hub.models.MiTBackbone(
        layerwise_depths=[1, 1, 1, 1], num_layers=4, layerwise_num_heads=[1, 1, 1, 1],
        layerwise_sr_ratios=[8, 4, 2, 1], max_drop_path_rate=0.1, layerwise_patch_sizes=[7, 3, 3, 3],
        layerwise_strides=[4, 2, 2, 2], hidden_dims=[8, 8, 16, 16], image_shape=(SIZE, SIZE, 3),
    )
    return uper_net_mit(K, image_size=SIZE, encoder=encoder, channels=C)


def test_resnet_c_uper_net_equals_mmsegs_uper_head(resnet_segmenter):
    segmenter = resnet_segmenter
    assert segmenter.output_shape == (None, SIZE, SIZE, K)
    encoder = segmenter.get_layer("image_encoder")
    # Undilated ResNet-c (output stride 32), bottleneck widths 4 x (64, 8, 8, 8).
    assert [tuple(t.shape) for t in encoder.outputs] == [
        (None, 16, 16, 256), (None, 8, 8, 32), (None, 4, 4, 32), (None, 2, 2, 32)
    ]
    assert tuple(segmenter.get_layer("auxiliary_features").output.shape) == (None, 4, 4, 32)  # stage 3, stride 16
    assert _head_parameters(segmenter) == _uper_head_parameters((256, 32, 32, 32), C, K)
    assert isinstance(segmenter.get_layer("dropout"), keras.layers.SpatialDropout2D)
    images = _images()
    features = predict(encoder, images)
    expected = torch_uper_head(features, layer_weights(segmenter.layers), SCALES, SIZE)
    actual = predict(segmenter, images)
    np.testing.assert_allclose(actual, expected, atol=1e-4 * np.abs(expected).max())


def test_swin_pyramid_is_the_backbone_run_stage_by_stage(swin_encoder):
    pyramid = SwinTransformerPyramid(swin_encoder)
    inputs = keras.Input((SIZE, SIZE, 3))
    model = keras.Model(inputs, pyramid(inputs))
    # mmseg's out_indices (0, 1, 2, 3): strides 4, 8, 16, 32, channels C, 2C, 4C, 8C.
    assert [tuple(o.shape) for o in model.outputs] == [
        (None, 16, 16, 8), (None, 8, 8, 16), (None, 4, 4, 32), (None, 2, 2, 64)
    ]
    # With the classifier's final norm as the last stage's, the last map is KerasHub's
    # own forward pass: the stages (blocks, then patch merging) run as in the backbone.
    pyramid.norms[3].set_weights(swin_encoder.get_layer("norm").get_weights())
    images = _images(seed=1)
    expected = predict(swin_encoder, images).reshape(2, 2, 2, 64)
    np.testing.assert_allclose(predict(model, images)[3], expected, atol=1e-5)


def test_swin_and_mit_uper_nets_have_mmsegs_head(swin_segmenter, mit_segmenter):
    for segmenter, channels in ((swin_segmenter, (8, 16, 32, 64)), (mit_segmenter, (8, 8, 16, 16))):
        assert segmenter.output_shape == (None, SIZE, SIZE, K)
        assert [tuple(t.shape) for t in segmenter.get_layer("image_encoder").outputs] == [
            (None, 16, 16, channels[0]), (None, 8, 8, channels[1]), (None, 4, 4, channels[2]),
            (None, 2, 2, channels[3]),
        ]
        assert tuple(segmenter.get_layer("auxiliary_features").output.shape) == (None, 4, 4, channels[2])
        assert _head_parameters(segmenter) == _uper_head_parameters(channels, C, K)
    # mmseg's Swin UPerNet configs: stochastic depth 0.3.
    assert swin_segmenter.get_layer("image_encoder").get_layer("swin_pyramid").backbone.drop_path == 0.3


def test_region_rebalance_finds_the_fpn_bottleneck(resnet_segmenter, swin_segmenter, mit_segmenter):
    for segmenter in (resnet_segmenter, swin_segmenter, mit_segmenter):
        model = RegionRebalanceSegmenter(segmenter, K, region_frequency=[40, 12, 3, 1])
        assert model.feature_description == "input of 'classifier'"
        assert tuple(model.feature_model.outputs[1].shape) == (None, SIZE // 4, SIZE // 4, C)


def test_save_and_load_round_trip(swin_segmenter, mit_segmenter, tmp_path):
    # The transformer encoders sit in keras_rr layers saved as KerasHub configs.
    restored = {}
    for segmenter in (swin_segmenter, mit_segmenter):
        randomize_weights(segmenter, seed=2)
        path = str(tmp_path / f"{segmenter.name}.keras")
        segmenter.save(path)
        restored[segmenter.name] = keras.saving.load_model(path)
        # Shapes, not paths: KerasHub's inner layers take session-counted automatic names
        # (`conv2d_7`), which depend on what the process built before.
        assert [w.shape for w in restored[segmenter.name].weights] == [w.shape for w in segmenter.weights]
        for a, b in zip(restored[segmenter.name].weights, segmenter.weights):
            np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    if BACKEND == "jax":
        return  # CI time (two more compilations); the computation is checked on TF and torch
    # The same computation (Swin's KerasHub layers, re-run stage by stage, rebuilt).
    images = _images(seed=3)
    np.testing.assert_allclose(predict(restored["uper_net_swin"], images), predict(swin_segmenter, images), atol=1e-5)


def test_built_from_backbone_preset_directories_offline(swin_encoder, resnet_presets, tmp_path):
    swin_encoder.save_to_preset(str(tmp_path / "swin"))
    built = uper_net_swin(K, image_size=SIZE, backbone_preset=str(tmp_path / "swin"), channels=C)
    assert isinstance(built, NormalizedSegmenter)  # ImageNet mean/std inside (no converter saved)
    backbone = built.inner.get_layer("image_encoder").get_layer("swin_pyramid").backbone
    for a, b in zip(backbone.weights, swin_encoder.weights):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    # A ResNet backbone preset (the session's tiny one, 7x7 stem) under the head.
    resnet = uper_net_resnet_c(K, image_size=32, backbone_preset=resnet_presets["resnet"], channels=C)
    for a, b in zip(resnet.inner.get_layer("image_encoder").get_weights(), resnet_presets["encoder_weights"]):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="SwinTransformerBackbone"):
        uper_net_swin(K, image_size=32, backbone_preset=resnet_presets["resnet"])
    with pytest.raises(ValueError, match="multiple of 32"):
        uper_net_resnet_c(K, image_size=48, backbone_preset=resnet_presets["resnet"])
    assert SEGMENTER_BUILDERS["uper_net_resnet_c"][0] is uper_net_resnet_c
    assert SEGMENTER_BUILDERS["uper_net_swin"][0] is uper_net_swin
    assert SEGMENTER_BUILDERS["uper_net_mit"][0] is uper_net_mit


@pytest.mark.parametrize("backbone", ["resnet", "swin", "mit"])
def test_each_uper_net_trains_two_steps_with_region_rebalance(backbone, request, tmp_path):
    # With the auxiliary FCN head on the stage-3 map; the export has neither branch.
    segmenter = request.getfixturevalue(f"{backbone}_segmenter")
    fit_two_steps_with_region_rebalance(segmenter, K, SIZE, auxiliary_head=True, export_dir=tmp_path)
