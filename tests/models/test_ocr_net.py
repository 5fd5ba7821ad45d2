"""HRNetV2 and OCRNet on it (`keras_rr.models.hrnet_backbone`, `ocr_net_hrnet`) against torch.

One tiny OCRNet at 64 px, built once per module (on JAX most of a build is compiling
variable initialisers): HRNet width 4 (branches 4 / 8 / 16 / 32), two Bottlenecks in `layer1` and
two modules in stage 2, the cheapest stage (so block and module indices past 0 are named
and checked), heads 16 / 8 wide. The backbone is compared with timm's HRNet (`head=""`: the
raw stage-4 branches, no `incre_modules`) on identical weights copied by layer name:
timm names its backbone parameters as mmseg does (`conv1`, `layer1.0.downsample.0`,
`transition1.1.0.0`, `stage2.0.fuse_layers.0.1.0`), so this also checks the naming
contract of the torch-checkpoint importer. The heads are compared with `tests.references.
torch_ocr_net_heads`, mmseg's `FCNHead` + `OCRHead` written in torch from their
definitions and reading a state dict keyed by mmseg's parameter names, made from the
Keras layers' names (which also checks the naming contract). Training: two RR steps
under `fit` with the FCN head's loss at weight 0.4, and the export without any
training-only part.
"""

import keras
import numpy as np
import pytest

from keras_rr.models import InGraphAuxiliaryHead
from keras_rr.models import RegionRebalanceSegmenter
from keras_rr.models import build_segmenter
from keras_rr.models import hrnet_backbone
from keras_rr.models import ocr_net_hrnet
from keras_rr.networks.layers.module_paths import torch_module_path
from tests.timm_reference import import_timm
from tests.harness import BACKEND
from tests.harness import fit_two_steps_with_region_rebalance
from tests.harness import predict
from tests.harness import random_labels
from tests.harness import randomize_weights
from tests.harness import run_serialization_test
from tests.harness import to_numpy
from tests.references import torch_ocr_net_heads

SIZE = 64
K = 4
WIDTH = 4
NUM_MODULES = (1, 2, 1, 1)
NUM_BLOCKS = (2, 1, 1, 1)
STAGE1 = 4
CHANNELS = 16
OCR_CHANNELS = 8
_TORCH_NAMES = {"kernel": "weight", "bias": "bias", "gamma": "weight", "beta": "bias",
                "moving_mean": "running_mean", "moving_variance": "running_var"}


def _images(n=2, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, size=(n, SIZE, SIZE, 3)).astype("float32")


def mmseg_state_dict(model):
    """`{mmseg parameter name: torch tensor}` of the segmenter's head layers (a test-local importer)."""
    import torch

    state = {}
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            continue  # the backbone
        for variable in layer.weights:
            value = to_numpy(variable)
            if value.ndim == 4:
                value = value.transpose(3, 2, 0, 1)  # HWIO -> OIHW
            state[f"{torch_module_path(layer.name)}.{_TORCH_NAMES[variable.name]}"] = torch.from_numpy(value.copy())
    return state


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


def copy_torch_weights(model, state_dict, prefix=""):
    """Assigns `state_dict` (torch names) to the Keras layers named by the same module paths.

    Returns the torch keys used. A local stand-in for `keras_rr.models.load_torch_weights`.
    """
    used = set()
    for layer in model.layers:
        for variable in layer.weights:
            key = f"{prefix}{torch_module_path(layer.name)}.{_TORCH_NAMES[variable.name]}"
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
def segmenter():
    backbone = hrnet_backbone(WIDTH, SIZE, num_modules=NUM_MODULES, num_blocks=NUM_BLOCKS, stage1_channels=STAGE1,
                              name="backbone")
    model = ocr_net_hrnet(K, image_size=SIZE, channels=CHANNELS, ocr_channels=OCR_CHANNELS, backbone=backbone)
    randomize_weights(model)
    return model


def test_hrnet_equals_timms_branches_on_the_same_weights(segmenter):
    backbone = segmenter.get_layer("backbone")
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
    actual = predict(backbone, images)
    assert list(actual) == ["P2", "P3", "P4", "P5"]
    for i, level in enumerate(("P2", "P3", "P4", "P5")):
        want = expected[i].numpy().transpose(0, 2, 3, 1)
        assert actual[level].shape == (2, SIZE // 2 ** (i + 2), SIZE // 2 ** (i + 2), WIDTH * 2**i)
        np.testing.assert_allclose(actual[level], want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


def test_hrnet_names_layers_by_mmseg_module_paths(segmenter):
    backbone = segmenter.get_layer("backbone")
    names = {torch_module_path(layer.name) for layer in backbone.layers if layer.weights}
    for name in ("conv1", "bn1", "conv2", "bn2", "layer1.0.conv1", "layer1.0.downsample.0", "layer1.0.downsample.1",
                 "transition1.0.0", "transition1.1.0.0", "transition2.2.0.0", "transition3.3.0.1",
                 "stage2.0.branches.0.0.conv1", "stage2.1.branches.1.0.bn2", "layer1.1.conv3",
                 "stage2.0.fuse_layers.0.1.0",
                 "stage4.0.fuse_layers.3.0.2.0", "stage4.0.fuse_layers.3.0.1.1", "stage2.1.fuse_layers.1.0.0.1"):
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


def test_ocr_net_equals_mmsegs_cascade_heads(segmenter):
    assert segmenter.output_shape == (None, SIZE, SIZE, K)
    state = mmseg_state_dict(segmenter)
    in_channels = WIDTH * (1 + 2 + 4 + 8)
    # mmseg's parameter names and shapes (ocrnet_hr18.py at these widths).
    assert tuple(state["decode_head.0.convs.0.conv.weight"].shape) == (in_channels, in_channels, 1, 1)
    assert tuple(state["decode_head.1.bottleneck.conv.weight"].shape) == (CHANNELS, in_channels, 3, 3)
    block = "decode_head.1.object_context_block"
    assert tuple(state[f"{block}.key_project.1.conv.weight"].shape) == (OCR_CHANNELS, OCR_CHANNELS, 1, 1)
    assert tuple(state[f"{block}.value_project.bn.running_var"].shape) == (OCR_CHANNELS,)
    assert tuple(state[f"{block}.bottleneck.conv.weight"].shape) == (CHANNELS, 2 * CHANNELS, 1, 1)
    # FCN: a ConvModule (5 tensors) + conv_seg (2); OCR: 8 ConvModules + conv_seg.
    assert len(state) == (5 + 2) + (8 * 5 + 2)
    images = _images()
    branches = predict(segmenter.get_layer("backbone"), images)
    soft_regions, logits = torch_ocr_net_heads([branches[k] for k in ("P2", "P3", "P4", "P5")], state, SIZE,
                                               OCR_CHANNELS)
    probe = keras.Model(segmenter.inputs, [segmenter.get_layer("auxiliary_logits").output, segmenter.output])
    actual_regions, actual_logits = predict(probe, images)
    for actual, expected in ((actual_regions, soft_regions), (actual_logits, logits)):
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_ocr_net_trains_with_region_rebalance_and_the_fcn_heads_loss(segmenter):
    history = fit_two_steps_with_region_rebalance(segmenter, K, SIZE, auxiliary_head=InGraphAuxiliaryHead(K))
    # The loss fit minimises: pixel + 0.3 region + 0.4 FCN head (means over the two steps).
    total = history["pixel_loss"][-1] + 0.3 * history["region_loss"][-1] + 0.4 * history["auxiliary_loss"][-1]
    np.testing.assert_allclose(history["loss"][-1], total, rtol=1e-4)


def test_ocr_net_fcn_head_loss_is_its_soft_regions_cross_entropy_weighted_0_4(segmenter):
    model = RegionRebalanceSegmenter(segmenter, K, region_frequency=[4, 3, 2, 1], auxiliary_head=True)
    assert isinstance(model.auxiliary_head, InGraphAuxiliaryHead)
    assert model.auxiliary_head.loss_weight == 0.4 and not model.auxiliary_head.weights
    run_serialization_test(model.auxiliary_head)
    # RR pools the OCR head's object-contextual features, the input of its classifier.
    assert model.feature_description == "input of 'decode_head-1-conv_seg'"
    assert model.feature_model.outputs[1].shape[-1] == CHANNELS
    model.compile(optimizer=keras.optimizers.SGD(0.0))
    images, labels = _images(2, seed=3), random_labels((2, SIZE, SIZE), K, seed=4)
    if BACKEND == "jax":  # compiled: eager JAX compiles op by op
        logs = model.evaluate(images, labels, batch_size=2, verbose=0, return_dict=True)
    else:  # one eager loss computation: no step to trace (CI time)
        loss = model.compute_loss(x=images, y=labels, y_pred=model(images), training=False)
        logs = {"loss": float(to_numpy(loss))}
        for tracker in (model.pixel_loss_tracker, model.region_loss_tracker, model.auxiliary_loss_tracker):
            logs[tracker.name] = float(to_numpy(tracker.result()))
    auxiliary = logs["auxiliary_loss"]
    np.testing.assert_allclose(logs["loss"], logs["pixel_loss"] + 0.3 * logs["region_loss"] + 0.4 * auxiliary,
                               rtol=1e-5)
    # The auxiliary loss is the cross-entropy of the FCN head's soft regions, resized
    # (bilinear, half-pixel) to the labels, over the labelled pixels.
    probe = keras.Model(segmenter.inputs, segmenter.get_layer("auxiliary_logits").output)
    regions = keras.ops.image.resize(predict(probe, images), (SIZE, SIZE), interpolation="bilinear")
    regions = to_numpy(regions).astype("float64")
    log_p = regions - regions.max(-1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(-1, keepdims=True))
    valid = labels != 255
    picked = np.take_along_axis(log_p, np.where(valid, labels, 0)[..., None], -1)[..., 0]
    np.testing.assert_allclose(auxiliary, -picked[valid].mean(), rtol=1e-4)


def test_ocr_net_config_variant_trains_the_fcn_head_in_the_graph(segmenter):
    # What the trainer does with `auxiliary_head.enabled` (configs/*/ocrnet_*): the loss
    # of the segmenter's own soft regions, not a second FCN head on a stage map.
    from keras_rr.data import ClassStatistics
    from keras_rr.training import Variant

    statistics = ClassStatistics.from_counts([10, 5, 2, 1], [3, 2, 1, 1], num_images=3)
    variant = Variant("rr", region_rebalance=True, auxiliary_head=True, auxiliary_loss_weight=0.4)
    model = variant.compile_model(segmenter, K, statistics, keras.optimizers.SGD(0.01))
    assert isinstance(model.auxiliary_head, InGraphAuxiliaryHead) and model.auxiliary_head.loss_weight == 0.4
    assert model.auxiliary_feature_layer == "auxiliary_logits"


def test_ocr_net_exports_without_training_parts(segmenter, tmp_path):
    from keras_rr.export import export_segmenter

    model = RegionRebalanceSegmenter(segmenter, K, region_frequency=[4, 3, 2, 1], auxiliary_head=True)
    path = str(tmp_path / "ocr_net.keras")
    images = _images(2, seed=5)
    report = export_segmenter(model, path, sample_images=images)
    assert report["max_abs_diff"] == 0.0 and report["num_weights"] == len(segmenter.weights)
    exported = keras.saving.load_model(path)
    assert exported.get_layer("auxiliary_logits") is not None  # the FCN head is part of the network
    assert not any("region" in w.path or "auxiliary_head" in w.path for w in exported.weights)
    np.testing.assert_allclose(exported.predict(images, verbose=0), predict(segmenter, images), atol=1e-6)


def test_ocr_net_builds_by_config_name_and_refuses_bad_arguments():
    with pytest.raises(ValueError, match="multiple of 32"):
        ocr_net_hrnet(K, image_size=100)
    with pytest.raises(ValueError, match="hrnet_backbone"):
        ocr_net_hrnet(K, image_size=SIZE, backbone=keras.Sequential([keras.layers.Dense(2)]))
    with pytest.raises(ValueError, match="num_classes"):
        build_segmenter({"name": "ocr_net_hrnet", "image_size": SIZE, "width": 2}, num_classes=0)
