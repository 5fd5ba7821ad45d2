"""Whole mmseg segmentors (issue 22 item 5): a state dict in mmseg's segmentor layout loads into
our network, decode and auxiliary heads included, and it predicts what the torch reference does.

Each network is one case: a function returning `(wrapper, state, taps, reference)`: the
`RegionRebalanceSegmenter` (segmenter + `AuxiliaryFCNHead`) to load into, the mmseg
state dict (`backbone.` / `decode_head.` / `auxiliary_head.` keys, from torch modules
with mmseg's structure, `tests/checkpoints/mmseg_modules.py`, and timm for the Swin
backbone), the Keras maps the torch heads read (`layer` -> its input, `layer:out` -> its
output), and `reference(images, maps) -> (logits, auxiliary logits)` computed in torch
(NHWC NumPy). Heads-only cases run the torch heads on the Keras encoder's maps
(our ResNet-c encoder is KerasHub's ResNet-vd, not mmseg's V1c). The ResNetV1c, HRNet /
OCRNet and BEiT cases join after their networks are merged.
"""

import functools

import keras
import numpy as np
import pytest

import keras_rr
from keras_rr.checkpoints import layouts
from keras_rr.models import AuxiliaryFCNHead
from keras_rr.models import RegionRebalanceSegmenter
from keras_rr.models import load_torch_weights
from tests.harness import predict
from tests.harness import to_numpy

torch = pytest.importorskip("torch")
mmseg = pytest.importorskip("tests.checkpoints.mmseg_modules")

K = 5
SIZE = 64  # Swin: stage maps 16, 8, 4, 2 (window 2)
SIZE_RESNET = 32
CHANNELS = 8


def _wrapper(segmenter):
    return RegionRebalanceSegmenter(segmenter, K, auxiliary_head=AuxiliaryFCNHead(K, channels=CHANNELS),
                                    region_branch=False)


def _tensor(x):
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def _nhwc(x):
    return x.permute(0, 2, 3, 1).numpy()


def _tensors(segmenter, layers):
    """Keras tensors feeding the named layers (`name` -> its input, `name:out` -> its output)."""
    return [segmenter.get_layer(n[:-4]).output if n.endswith(":out") else segmenter.get_layer(n).input for n in layers]


def _small_resnet_c():
    """ResNet-c (KerasHub vd) with one bottleneck block per stage, 8-filter late stages."""
    import keras_hub

    config = keras_rr.models.resnet_c_config(50, image_shape=(SIZE_RESNET, SIZE_RESNET, 3))
    config.update(stackwise_num_filters=[64, 8, 8, 8], stackwise_num_blocks=[1, 1, 1, 1])
    return keras_hub.models.ResNetBackbone(**config)  # P2: 256, P4 and P5: 32 channels


def _heads(decode_head, auxiliary_head):
    state = {**mmseg.prefixed("decode_head.", mmseg.randomize(decode_head, seed=1)),
             **mmseg.prefixed("auxiliary_head.", mmseg.randomize(auxiliary_head, seed=2))}
    return decode_head, auxiliary_head, state


def uper_net_swin():
    """UPerNet Swin (KerasHub Swin, two blocks per stage: shifted windows) vs timm's Swin + mmseg's heads."""
    import keras_hub

    from tests.timm_reference import import_timm

    import_timm()
    from timm.models.swin_transformer import SwinTransformer

    depths, heads, dim, window = (2, 1, 1, 1), (1, 1, 2, 2), 8, 2  # stage 0: a shifted block
    encoder = keras_hub.models.SwinTransformerBackbone(
        image_shape=(SIZE, SIZE, 3), embed_dim=dim, depths=depths, num_heads=heads, window_size=window
    )
    segmenter = keras_rr.models.uper_net_swin(K, encoder=encoder, image_size=SIZE, channels=CHANNELS,
                                              drop_path_rate=None)
    swin = mmseg.randomize(SwinTransformer(img_size=SIZE, patch_size=4, num_classes=0, embed_dim=dim, depths=depths,
                                           num_heads=heads, window_size=window), seed=0)
    with torch.no_grad():
        for name, tensor in swin.named_parameters():
            if "norm" in name and name.endswith("weight"):
                tensor.uniform_(0.5, 1.5)
    widths = [dim * 2 ** i for i in range(4)]
    norms = [mmseg.randomize(torch.nn.LayerNorm(c), seed=10 + i) for i, c in enumerate(widths)]
    with torch.no_grad():
        for norm in norms:
            norm.weight.uniform_(0.5, 1.5)
    _, backbone_state, _ = layouts.normalise({k: v.numpy() for k, v in swin.state_dict().items()})  # timm -> mmseg
    decode_head, auxiliary_head, state = _heads(mmseg.UPerHead(widths, CHANNELS, K), mmseg.FCNHead(widths[2], CHANNELS, K))
    state.update({k: torch.from_numpy(v) for k, v in backbone_state.items()})
    for i, norm in enumerate(norms):
        state.update(mmseg.prefixed(f"backbone.norm{i}.", norm))

    def reference(images, maps):
        with torch.no_grad():
            stages = swin.forward_intermediates(_tensor(images), intermediates_only=True)
            outs = [norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2) for norm, x in zip(norms, stages)]
            logits = mmseg.resize(decode_head(outs), (SIZE, SIZE))
            return _nhwc(logits), _nhwc(auxiliary_head(outs[:3]))

    reference.timm_state = swin.state_dict()  # for the timm-layout (encoder checkpoint) test
    return _wrapper(segmenter), state, [], reference


def psp_net_resnet_c():
    """PSPNet's PSPHead and the auxiliary FCNHead (on our ResNet-c R18's maps)."""
    segmenter = keras_rr.models.psp_net_resnet_c(K, image_size=SIZE_RESNET, encoder=_small_resnet_c(),
                                                 channels=CHANNELS)
    decode_head, auxiliary_head, state = _heads(mmseg.PSPHead(32, CHANNELS, K), mmseg.FCNHead(32, CHANNELS, K))

    def reference(images, maps):
        p5, p4 = maps
        with torch.no_grad():
            logits = mmseg.resize(decode_head([_tensor(p5)]), (SIZE_RESNET, SIZE_RESNET))
            return _nhwc(logits), _nhwc(auxiliary_head([_tensor(p4)]))

    return _wrapper(segmenter), state, ["psp_1_pool", "auxiliary_features:out"], reference


def deeplab_v3_plus_resnet_c():
    """DeepLabV3+'s DepthwiseSeparableASPPHead (d8: dilations 12, 24, 36) and the auxiliary FCNHead."""
    segmenter = keras_rr.models.deeplab_v3_plus_resnet_c(K, image_size=SIZE_RESNET, encoder=_small_resnet_c(),
                                                         channels=CHANNELS, low_level_channels=4)
    decode_head, auxiliary_head, state = _heads(
        mmseg.DepthwiseSeparableASPPHead(32, 256, CHANNELS, 4, K, dilations=(1, 12, 24, 36)),
        mmseg.FCNHead(32, CHANNELS, K),
    )

    def reference(images, maps):
        p5, p2, p4 = maps
        with torch.no_grad():
            logits = mmseg.resize(decode_head([_tensor(p2), _tensor(p5)]), (SIZE_RESNET, SIZE_RESNET))
            return _nhwc(logits), _nhwc(auxiliary_head([_tensor(p4)]))

    return _wrapper(segmenter), state, ["aspp_pool", "low_level_conv", "auxiliary_features:out"], reference


CASES = {case.__name__: case for case in (uper_net_swin, psp_net_resnet_c, deeplab_v3_plus_resnet_c)}


@functools.cache
def _case(name):
    """Each case is built once per module (its tests load full weights, so sharing is safe)."""
    return CASES[name]()


@pytest.mark.parametrize("name", sorted(CASES))
def test_mmseg_segmentor_state_dict_loads_and_predicts_as_torch(name):
    wrapper, state, taps, reference = _case(name)
    segmenter = wrapper.segmenter
    size = segmenter.inputs[0].shape[1]
    images = np.random.default_rng(0).uniform(-1, 1, size=(2, size, size, 3)).astype("float32")
    report = load_torch_weights(wrapper, state)  # strict: every weight of every loaded part
    assert not report.missing and not report.resized
    scopes = {key.split(".")[0] for key, _ in report.loaded}
    assert {"decode_head", "auxiliary_head"} <= scopes
    # One inference pass: logits, the auxiliary head's logits on its tap, the maps the torch heads read.
    auxiliary = wrapper.auxiliary_head(segmenter.get_layer("auxiliary_features").output)
    probe = keras.Model(segmenter.inputs, [segmenter.outputs[0], auxiliary] + _tensors(segmenter, taps))
    logits, auxiliary, *maps = predict(probe, images)
    expected_logits, expected_auxiliary = reference(images, maps)
    for actual, expected in ((logits, expected_logits), (auxiliary, expected_auxiliary)):
        assert actual.shape == expected.shape
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_timm_swin_checkpoint_loads_as_the_encoder():
    """timm's own Swin state dict (an ImageNet checkpoint's layout) fills the same variables as
    its mmseg-converted segmentor form; mmseg's output norms are not in it and are kept."""
    wrapper, state, _, reference = _case("uper_net_swin")
    load_torch_weights(wrapper, state)
    before = {w.path: to_numpy(w) for w in wrapper.segmenter.weights}
    report = load_torch_weights(wrapper.segmenter, reference.timm_state)
    assert report.layout == "timm_swin"
    assert {key.split(".")[0] for key, _ in report.loaded} == {"backbone"} and not report.missing
    assert {"swin_pyramid/norm0/gamma", "norm/gamma"} <= set(report.kept)
    assert report.skipped["norm.weight"] == "the backbone's classification head"
    for weight in wrapper.segmenter.weights:
        np.testing.assert_array_equal(to_numpy(weight), before[weight.path], err_msg=weight.path)
