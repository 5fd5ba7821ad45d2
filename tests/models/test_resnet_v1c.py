"""mmseg's ResNetV1c (`keras_rr.models.resnet_v1c_backbone`) against timm's ResNet-C.

timm's `resnet50c` is the same network (deep 3x3 stem 32-32-64, strided 1x1 shortcuts,
stride on the 3x3 conv; with `output_stride=8` it dilates as mmseg's `-d8` does). Tiny
forms of both (one block per stage, narrow) are built, timm's random weights (BatchNorm
statistics randomised so inference BN is not the identity) are copied into ours by
name (our layer names are mmseg's module paths with "-" for "."; mmseg's stem indices
mapped to timm's), and the four stage outputs compared.
"""

import keras
import numpy as np
import pytest

from keras_rr.models import resnet_v1c_backbone
from keras_rr.networks.layers.module_paths import module_path_name
from keras_rr.networks.layers.module_paths import torch_module_path
from tests.harness import predict
from tests.references import randomize_torch_batch_norms
from tests.timm_reference import import_timm

SIZE = 64
STEM = 8  # mmseg stem_channels (timm stem_width 4)
BASE = 4  # mmseg base_channels: stage outputs 16, 32, 64, 128
BLOCKS = (1, 2, 1, 2)  # two blocks in the dilated stages: both dilations of a stage are used

# mmseg stem index -> timm module path (timm: conv1.{0,1,3,4,6} and bn1).
_TIMM_STEM = {"stem.0": "conv1.0", "stem.1": "conv1.1", "stem.3": "conv1.3", "stem.4": "conv1.4",
              "stem.6": "conv1.6", "stem.7": "bn1"}
_KERAS_TO_TORCH = {"kernel": "weight", "gamma": "weight", "beta": "bias", "moving_mean": "running_mean",
                   "moving_variance": "running_var"}


def _timm_reference(output_stride):
    torch = pytest.importorskip("torch")
    timm = import_timm()
    from timm.models.resnet import Bottleneck
    from timm.models.resnet import ResNet

    torch.manual_seed(output_stride)
    model = ResNet(block=Bottleneck, layers=BLOCKS, stem_type="deep", stem_width=STEM // 2,
                   channels=tuple(BASE * 2**i for i in range(4)), output_stride=output_stride, num_classes=0)
    del timm
    return randomize_torch_batch_norms(model).eval()


def _copy_timm_weights(model, reference):
    """Copies a timm ResNet's state dict into our model by mmseg name (test-local importer)."""
    state = {key: value.detach().numpy() for key, value in reference.state_dict().items()}
    used = set()
    for layer in model.layers:
        for variable in layer.weights:
            path = torch_module_path(layer.name)
            torch_name = _TIMM_STEM.get(path, path)
            key = f"{torch_name}.{_KERAS_TO_TORCH[variable.path.split('/')[-1]]}"
            value = state[key]
            if value.ndim == 4:
                value = value.transpose(2, 3, 1, 0)  # OIHW -> HWIO
            variable.assign(value)
            used.add(key)
    unused = {k for k in state if k not in used and not k.endswith("num_batches_tracked")}
    assert not unused, f"timm weights without a Keras variable: {sorted(unused)}"


@pytest.fixture(scope="module", params=[8, 32])
def pair(request):
    output_stride = request.param
    reference = _timm_reference(output_stride)
    model = resnet_v1c_backbone(50, output_stride, SIZE, stage_blocks=BLOCKS, stem_channels=STEM, base_channels=BASE)
    _copy_timm_weights(model, reference)
    return output_stride, model, reference


def test_equals_timm_resnet_c_on_the_same_weights(pair):
    import torch

    output_stride, model, reference = pair
    images = np.random.default_rng(0).normal(size=(2, SIZE, SIZE, 3)).astype("float32")
    actual = predict(model, images)
    with torch.no_grad():
        maps = reference.forward_intermediates(torch.from_numpy(images.transpose(0, 3, 1, 2)),
                                               indices=[1, 2, 3, 4], intermediates_only=True)
    strides = {8: (4, 8, 8, 8), 32: (4, 8, 16, 32)}[output_stride]
    for level, expected, stride, channels in zip(("P2", "P3", "P4", "P5"), maps, strides, (16, 32, 64, 128)):
        expected = expected.numpy().transpose(0, 2, 3, 1)
        assert expected.shape == (2, SIZE // stride, SIZE // stride, channels)
        assert actual[level].shape == expected.shape, level
        np.testing.assert_allclose(actual[level], expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_layers_carry_mmsegs_names_and_dilations(pair):
    output_stride, model, _ = pair
    names = {torch_module_path(layer.name) for layer in model.layers if layer.weights}
    assert {"stem.0", "stem.1", "stem.3", "stem.4", "stem.6", "stem.7", "layer1.0.conv1", "layer1.0.bn3",
            "layer1.0.downsample.0", "layer1.0.downsample.1", "layer4.1.conv2"} <= names
    assert "layer2.1.downsample.0" not in names  # only a stage's first block has a shortcut conv
    expected = {8: {"layer3.0.conv2": 1, "layer4.0.conv2": 2, "layer4.1.conv2": 4},
                32: {"layer3.0.conv2": 1, "layer4.0.conv2": 1, "layer4.1.conv2": 1}}[output_stride]
    for name, rate in expected.items():
        assert model.get_layer(module_path_name(name)).dilation_rate == (rate, rate), name


def test_full_width_channels_and_output_stride_16():
    # mmseg's 256 / 512 / 1024 / 2048 channels; d16: strides 1, 2, 2, 1, dilations 1, 1, 1, 2.
    full = resnet_v1c_backbone(101, 16, image_size=64, stage_blocks=(1, 1, 1, 2))
    assert [full.output[level].shape[-1] for level in ("P2", "P3", "P4", "P5")] == [256, 512, 1024, 2048]
    assert [full.output[level].shape[1] for level in ("P2", "P3", "P4", "P5")] == [16, 8, 4, 4]
    assert full.get_layer("layer4-0-conv2").dilation_rate == (1, 1)
    assert full.get_layer("layer4-1-conv2").dilation_rate == (2, 2)
    assert len([layer for layer in full.layers if layer.weights]) == 6 + 4 * 8 + 1 * 6


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="depth"):
        resnet_v1c_backbone(34)
    with pytest.raises(ValueError, match="output_stride"):
        resnet_v1c_backbone(50, output_stride=4)
    with pytest.raises(ValueError, match="stage_blocks"):
        resnet_v1c_backbone(50, stage_blocks=(1, 1, 1))
    with pytest.raises(ValueError, match="stem_channels"):
        resnet_v1c_backbone(50, stem_channels=7)


def test_save_and_load_round_trip(pair, tmp_path):
    output_stride, model, _ = pair
    if output_stride != 8:
        pytest.skip("one round trip is enough (the same layer types at both strides)")
    path = str(tmp_path / "v1c.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    images = np.random.default_rng(1).normal(size=(1, SIZE, SIZE, 3)).astype("float32")
    np.testing.assert_allclose(predict(restored, images)["P5"], predict(model, images)["P5"], atol=1e-5)
