"""PSPNet on the dilated ResNet-c (`keras_rr.models.psp_net`) against mmseg's `PSPHead`.

A tiny ResNet-c (one bottleneck per stage) at 64 px: the stride-8 `P5` map is 8x8, so
the 3- and 6-bin poolings have overlapping bins (torch's `AdaptiveAvgPool2d`), compared
with a plain-torch `PSPHead` (`tests.references.torch_psp_head`) on the same weights.
"""

import keras
import numpy as np
import pytest

from keras_rr.models import NormalizedSegmenter
from keras_rr.models import PassThrough
from keras_rr.models import RegionRebalanceSegmenter
from keras_rr.models import psp_net_resnet_c
from keras_rr.models import resnet_c_config
from keras_rr.networks.segmenters.builders import SEGMENTER_BUILDERS
from keras_rr.models import build_segmenter
from tests.harness import BACKEND
from tests.harness import fit_two_steps_with_region_rebalance
from tests.harness import predict
from tests.harness import randomize_weights
from tests.references import layer_weights
from tests.references import torch_psp_head

SIZE = 64
K = 4
C = 8
SCALES = (1, 2, 3, 6)


@pytest.fixture(scope="module")
def segmenter():
    import keras_hub

    config = resnet_c_config(50, image_shape=(SIZE, SIZE, 3))
    config.update(stackwise_num_filters=[64, 8, 8, 8], stackwise_num_blocks=[1, 1, 1, 1])
    built = psp_net_resnet_c(K, image_size=SIZE, encoder=keras_hub.models.ResNetBackbone(**config), channels=C)
    randomize_weights(built)
    return built


def _images(n=2, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, size=(n, SIZE, SIZE, 3)).astype("float32")


def test_psp_net_equals_mmsegs_psp_head_on_the_stride_8_map(segmenter):
    assert segmenter.output_shape == (None, SIZE, SIZE, K)
    encoder = segmenter.get_layer("image_encoder")
    assert tuple(encoder.output["P5"].shape) == (None, 8, 8, 32)  # dilated: stride 8
    assert tuple(segmenter.get_layer("auxiliary_features").output.shape) == (None, 8, 8, 32)  # stage 3, stride 8
    # Trainable parameters of mmseg's PSPHead: four 1x1 PPM ConvModules on P5, the 3x3
    # bottleneck on P5 + 4 C channels, conv_seg with bias (BN: gamma and beta).
    p5 = 32
    expected = 4 * (p5 * C + 2 * C) + 9 * (p5 + 4 * C) * C + 2 * C + C * K + K
    head = sum(int(np.prod(w.shape)) for w in segmenter.trainable_weights) - sum(
        int(np.prod(w.shape)) for w in encoder.trainable_weights
    )
    assert head == expected
    images = _images()
    p5_map = predict(encoder, images)["P5"]
    expected = torch_psp_head(p5_map, layer_weights(segmenter.layers), SCALES, SIZE)
    # Compiled `predict` on every backend: a TF graph is what `fit` runs.
    actual = segmenter.predict(images, verbose=0)
    np.testing.assert_allclose(actual, expected, atol=1e-4 * np.abs(expected).max())


def test_region_rebalance_finds_the_bottleneck_and_the_auxiliary_map_stays(segmenter):
    model = RegionRebalanceSegmenter(segmenter, K, region_frequency=[40, 12, 3, 1])
    assert model.feature_description == "input of 'classifier'"
    assert tuple(model.feature_model.outputs[1].shape) == (None, 8, 8, C)
    # The PSP head does not read stage 3; a PassThrough keeps its named map in the graph.
    keep = segmenter.get_layer("keep_auxiliary_features")
    assert isinstance(keep, PassThrough)
    assert keep.input[1] is segmenter.get_layer("auxiliary_features").output


def test_save_and_load_round_trip(segmenter, tmp_path):
    path = str(tmp_path / "psp.keras")
    segmenter.save(path)
    restored = keras.saving.load_model(path)
    images = _images(seed=1)
    np.testing.assert_allclose(predict(restored, images), predict(segmenter, images), atol=1e-5)


def test_built_by_name_from_a_backbone_preset_directory(resnet_presets):
    assert SEGMENTER_BUILDERS["psp_net_resnet_c"][0] is psp_net_resnet_c
    built = psp_net_resnet_c(K, image_size=32, backbone_preset=resnet_presets["resnet"], channels=C)
    assert isinstance(built, NormalizedSegmenter)
    for a, b in zip(built.inner.get_layer("image_encoder").get_weights(), resnet_presets["encoder_weights"]):
        np.testing.assert_array_equal(a, b)
    assert built.inner.get_layer("image_encoder").get_layer("stack3_block0_1_conv").dilation_rate == (2, 2)
    with pytest.raises(ValueError, match="multiple of `output_stride`"):
        psp_net_resnet_c(K, image_size=36, backbone_preset=resnet_presets["resnet"])
    with pytest.raises(ValueError, match="not supported"):
        build_segmenter({"name": "psp_net_resnet_c", "preset": "segformer_b0_ade20k_512"}, K)


def test_trains_two_steps_with_region_rebalance(segmenter, tmp_path):
    # With the auxiliary FCN head on the stage-3 map; the export has neither branch.
    fit_two_steps_with_region_rebalance(segmenter, K, SIZE, auxiliary_head=True, export_dir=tmp_path)


@pytest.mark.parametrize("format", {"tensorflow": ("onnx",), "jax": ("tf_saved_model",), "torch": ("onnx",)}[BACKEND])
def test_exports_verified(segmenter, format, tmp_path):
    # PPM's torch-exact adaptive pooling and the PassThrough keeping the auxiliary map
    # convert to the format a deployment from each backend most needs (LiteRT from TF
    # also verifies, but costs a minute of CI: benchmarks/export_table.py covers it).
    from keras_rr.export import export_segmenter
    from keras_rr.export.writers import FORMAT_SUFFIXES

    path = str(tmp_path / ("pspnet" + FORMAT_SUFFIXES.get(format, "")))
    report = export_segmenter(segmenter, path, format=format, sample_images=_images())
    assert report["relative_diff"] <= 1e-4 and report["argmax_agreement"] >= 0.999, report
