"""OCRNet on HRNet (`keras_rr.models.ocr_net_hrnet`) against mmseg's heads in plain torch.

A tiny OCRNet (HRNet width 4, one module and block per stage, heads 16 / 8 wide) at 64
px, built once per module. Its heads are compared with `tests.references.
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
from tests.harness import fit_two_steps_with_region_rebalance
from tests.harness import predict
from tests.harness import random_labels
from tests.harness import randomize_weights
from tests.harness import to_numpy
from tests.references import torch_ocr_net_heads

SIZE = 64
K = 4
WIDTH = 4
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


@pytest.fixture(scope="module")
def segmenter():
    backbone = hrnet_backbone(WIDTH, SIZE, num_modules=(1, 1, 1, 1), num_blocks=(1, 1, 1, 1), stage1_channels=4,
                              name="backbone")
    model = ocr_net_hrnet(K, image_size=SIZE, channels=CHANNELS, ocr_channels=OCR_CHANNELS, backbone=backbone)
    randomize_weights(model)
    return model


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


def test_ocr_net_trains_with_region_rebalance_and_exports_without_training_parts(segmenter, tmp_path):
    history = fit_two_steps_with_region_rebalance(segmenter, K, SIZE, auxiliary_head=InGraphAuxiliaryHead(K),
                                                  export_dir=tmp_path)
    assert {"pixel_loss", "region_loss", "auxiliary_loss"} <= set(history)


def test_ocr_net_losses_weigh_the_fcn_head_by_0_4(segmenter):
    model = RegionRebalanceSegmenter(segmenter, K, region_frequency=[4, 3, 2, 1], auxiliary_head=True)
    assert isinstance(model.auxiliary_head, InGraphAuxiliaryHead)
    assert model.auxiliary_head.loss_weight == 0.4 and not model.auxiliary_head.weights
    # RR pools the OCR head's object-contextual features, the input of its classifier.
    assert "decode_head-1-conv_seg" in model.feature_description
    assert model.feature_model.outputs[1].shape[-1] == CHANNELS
    model.compile(optimizer=keras.optimizers.SGD(0.0))
    images, labels = _images(2, seed=3), random_labels((2, SIZE, SIZE), K, seed=4)
    logs = model.evaluate(images, labels, batch_size=2, verbose=0, return_dict=True)
    expected = logs["pixel_loss"] + 0.3 * logs["region_loss"] + 0.4 * logs["auxiliary_loss"]
    np.testing.assert_allclose(logs["loss"], expected, rtol=1e-5)
    # The auxiliary loss is the cross-entropy of the FCN head's soft regions, resized to the labels.
    probe = keras.Model(segmenter.inputs, segmenter.get_layer("auxiliary_logits").output)
    regions = keras.ops.image.resize(predict(probe, images), (SIZE, SIZE), interpolation="bilinear")
    regions = to_numpy(regions).astype("float64")
    log_p = regions - regions.max(-1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(-1, keepdims=True))
    valid = labels != 255
    picked = np.take_along_axis(log_p, np.where(valid, labels, 0)[..., None], -1)[..., 0]
    np.testing.assert_allclose(logs["auxiliary_loss"], -picked[valid].mean(), rtol=1e-4)


def test_ocr_net_builds_by_config_name_and_refuses_bad_arguments():
    with pytest.raises(ValueError, match="multiple of 32"):
        ocr_net_hrnet(K, image_size=100)
    with pytest.raises(ValueError, match="hrnet_backbone"):
        ocr_net_hrnet(K, image_size=SIZE, backbone=keras.Sequential([keras.layers.Dense(2)]))
    with pytest.raises(ValueError, match="num_classes"):
        build_segmenter({"name": "ocr_net_hrnet", "image_size": SIZE, "width": 2}, num_classes=0)
