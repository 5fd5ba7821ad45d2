"""HRNetV2 (`keras_rr.models.hrnet_backbone`) against timm's HRNet on identical weights.

timm's `HighResolutionNet` with `head=""` returns the raw branches of stage 4 (no
`incre_modules`), and names its backbone parameters as mmseg does (`conv1`,
`layer1.0.downsample.0`, `transition1.1.0.0`, `stage2.0.fuse_layers.0.1.0`), so copying
the state dict by layer name also checks the naming contract of the torch-checkpoint
importer. A tiny configuration (width 4, two modules in stage 3, one block per branch)
at 64 px keeps the test in seconds; the structure (every transition and fuse path) is
W18's.
"""

import numpy as np
import pytest

from keras_rr.models import hrnet_backbone
from keras_rr.networks.layers.module_paths import torch_module_path
from tests.timm_reference import import_timm

SIZE = 64
WIDTH = 4
NUM_MODULES = (1, 1, 2, 1)
NUM_BLOCKS = (1, 1, 1, 2)  # stage 4: a second block per branch
STAGE1 = 8


def _timm_cfg():
    def stage(branches):
        return dict(num_modules=NUM_MODULES[branches - 1], num_branches=branches, block_type="BASIC",
                    num_blocks=(NUM_BLOCKS[branches - 1],) * branches,
                    num_channels=tuple(WIDTH * 2**i for i in range(branches)), fuse_method="SUM")

    return dict(
        stem_width=64,
        stage1=dict(num_modules=1, num_branches=1, block_type="BOTTLENECK", num_blocks=(NUM_BLOCKS[0],),
                    num_channels=(STAGE1,), fuse_method="SUM"),
        stage2=stage(2), stage3=stage(3), stage4=stage(4),
    )


_KERAS_TO_TORCH = {"kernel": "weight", "bias": "bias", "gamma": "weight", "beta": "bias",
                   "moving_mean": "running_mean", "moving_variance": "running_var"}


def copy_torch_weights(model, state_dict, prefix=""):
    """Assigns `state_dict` (torch names) to the Keras layers named by the same module paths.

    Returns the torch keys used. A local stand-in for `keras_rr.models.load_torch_weights`.
    """
    used = set()
    for layer in model.layers:
        for variable in layer.weights:
            key = f"{prefix}{torch_module_path(layer.name)}.{_KERAS_TO_TORCH[variable.name]}"
            value = state_dict[key].detach().numpy()
            if value.ndim == 4:
                value = value.transpose(2, 3, 1, 0)  # OIHW -> HWIO
            assert tuple(variable.shape) == value.shape, key
            variable.assign(value)
            used.add(key)
    return used


def randomize_torch(module, seed=0):
    """Random parameters and BN statistics, so that inference BN is not the identity."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if not tensor.is_floating_point():
                continue
            if name.endswith("running_var") or (name.endswith("weight") and tensor.ndim == 1):
                tensor.copy_(0.5 + torch.rand(tensor.shape, generator=generator))
            elif tensor.ndim == 1:
                tensor.copy_(0.1 * torch.randn(tensor.shape, generator=generator))
            else:
                fan_in = int(np.prod(tensor.shape[1:]))
                tensor.copy_(torch.randn(tensor.shape, generator=generator) / np.sqrt(fan_in))


@pytest.fixture(scope="module")
def backbone():
    return hrnet_backbone(WIDTH, SIZE, num_modules=NUM_MODULES, num_blocks=NUM_BLOCKS, stage1_channels=STAGE1)


def test_hrnet_equals_timms_branches_on_the_same_weights(backbone):
    timm = import_timm()
    import torch

    reference = timm.models.hrnet.HighResolutionNet(_timm_cfg(), head="").eval()
    randomize_torch(reference)
    state = reference.state_dict()
    used = copy_torch_weights(backbone, state)
    # Every backbone parameter and BN statistic of timm's model has a Keras home.
    assert used == {k for k in state if not k.endswith("num_batches_tracked")}
    images = np.random.default_rng(0).normal(size=(2, SIZE, SIZE, 3)).astype("float32")
    with torch.no_grad():
        expected = reference.forward_features(torch.from_numpy(images.transpose(0, 3, 1, 2)))
    actual = backbone.predict(images, verbose=0)
    assert list(actual) == ["P2", "P3", "P4", "P5"]
    for i, level in enumerate(("P2", "P3", "P4", "P5")):
        want = expected[i].numpy().transpose(0, 2, 3, 1)
        assert actual[level].shape == (2, SIZE // 2 ** (i + 2), SIZE // 2 ** (i + 2), WIDTH * 2**i)
        np.testing.assert_allclose(actual[level], want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


def test_hrnet_names_layers_by_mmseg_module_paths(backbone):
    names = {torch_module_path(layer.name) for layer in backbone.layers if layer.weights}
    for name in ("conv1", "bn1", "conv2", "bn2", "layer1.0.conv1", "layer1.0.downsample.0", "layer1.0.downsample.1",
                 "transition1.0.0", "transition1.1.0.0", "transition2.2.0.0", "transition3.3.0.1",
                 "stage2.0.branches.0.0.conv1", "stage3.1.branches.2.0.bn2", "stage2.0.fuse_layers.0.1.0",
                 "stage4.0.fuse_layers.3.0.2.0", "stage4.0.fuse_layers.3.0.1.1"):
        assert name in names, name


def test_hrnet_w18_and_w48_shapes_and_parameter_counts():
    # mmseg / timm HRNetV2-W18 backbone: 9.56 M parameters (timm's hrnet_w18 without its
    # classification head); W48: 65.33 M.
    for width, branches, count in ((18, (18, 36, 72, 144), 9_562_260), (48, (48, 96, 192, 384), 65_325_120)):
        model = hrnet_backbone(width)
        assert [model.output[k].shape[-1] for k in ("P2", "P3", "P4", "P5")] == list(branches)
        assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == count


@pytest.mark.parametrize("kwargs, match", [
    (dict(image_size=100), "multiple of 32"),
    (dict(num_modules=(2, 1, 1, 1)), "exactly one module"),
    (dict(num_blocks=(1, 1, 1)), "four ints"),
    (dict(width=0), "width"),
])
def test_hrnet_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        hrnet_backbone(**kwargs)
