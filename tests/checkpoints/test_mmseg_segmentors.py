"""Whole mmseg segmentors (issue 22 item 5): a state dict in mmseg's segmentor layout loads into
our network, decode and auxiliary heads included, and it predicts what the torch reference does.

Each network is one case: a function returning `(wrapper, state, taps, reference)`: the
`RegionRebalanceSegmenter` (segmenter + `AuxiliaryFCNHead`) to load into, the mmseg
state dict (`backbone.` / `decode_head.` / `auxiliary_head.` keys, from torch modules
with mmseg's structure, `tests/checkpoints/mmseg_modules.py`, and timm for the Swin
backbone), the Keras maps the torch heads read (`layer` -> its input, `layer:out` -> its
output), and `reference(images, maps) -> (logits, auxiliary logits)` computed in torch
(NHWC NumPy). The `*_resnet_c` cases are heads-only: they run the torch heads on the Keras
encoder's maps (that encoder is KerasHub's ResNet-vd, not mmseg's V1c). The ResNetV1c cases
(`*_resnet_v1c`) and OCRNet on HRNet are whole networks: timm's ResNet-c (deep stem) /
HRNet (mmseg's module names already) under mmseg's heads, the ResNet stem renamed to
mmcv's `stem.*` here (not by the importer's rules), behind mmseg's input normalisation
for the ResNets; OCRNet's cascade is `decode_head.0` (FCN) / `decode_head.1` (OCR,
`tests.references.torch_ocr_net_heads`) with no `auxiliary_head`. The state dicts are
loaded as a model-zoo file reads: nested in `state_dict` beside `meta`, with BN's
`num_batches_tracked`. UPerNet BEiT: timm's `Beit` renamed as mmseg's `beit2mmseg.py` does
(`tests.models.test_beit.timm_to_mmseg`), mmseg's Feature2Pyramid `neck.*`.
"""

import functools

import keras
import numpy as np
import pytest

import keras_rr
from keras_rr.checkpoints import layouts
from keras_rr.models import AuxiliaryFCNHead
from keras_rr.models import InGraphAuxiliaryHead
from keras_rr.models import RegionRebalanceSegmenter
from keras_rr.models import load_torch_weights
from tests.harness import predict
from tests.harness import to_numpy
from tests.references import randomize_torch_batch_norms

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


# mmseg's data preprocessor (ImageNet mean / std in 0..255 pixel units), written here, not
# read from keras_rr, so the NormalizedSegmenter's input normalisation is checked too.
MMSEG_MEAN = np.asarray([123.675, 116.28, 103.53], dtype="float32")
MMSEG_STD = np.asarray([58.395, 57.12, 57.375], dtype="float32")
# ResNetV1c, tiny: one Bottleneck per stage, stem 8, stage outputs 16 / 32 / 64 / 128 at 64 px.
V1C = dict(stage_blocks=(1, 1, 1, 1), stem_channels=8, base_channels=4)
V1C_CHANNELS = (16, 32, 64, 128)
# timm's ResNet-c deep stem -> mmcv's ResNetV1c `stem` (written here: the importer has its own copy).
TIMM_TO_MMCV_STEM = {"conv1.0.": "stem.0.", "conv1.1.": "stem.1.", "conv1.3.": "stem.3.", "conv1.4.": "stem.4.",
                     "conv1.6.": "stem.6.", "bn1.": "stem.7."}


def _mmseg_normalise(images):
    return (images - MMSEG_MEAN) / MMSEG_STD


@functools.cache
def _timm_resnet_c(output_stride):
    """timm's ResNet-c (deep stem), as tiny as `V1C`, with a 3-class `fc` (a classification checkpoint's)."""
    from tests.timm_reference import import_timm

    import_timm()
    from timm.models.resnet import Bottleneck
    from timm.models.resnet import ResNet

    torch.manual_seed(output_stride)
    model = ResNet(block=Bottleneck, layers=V1C["stage_blocks"], stem_type="deep", stem_width=V1C["stem_channels"] // 2,
                   channels=tuple(V1C["base_channels"] * 2**i for i in range(4)), output_stride=output_stride,
                   num_classes=3)
    return randomize_torch_batch_norms(model).eval()


def _mmcv_resnet_state(timm_resnet):
    """timm's ResNet-c state dict under mmseg's segmentor names (`backbone.stem.0.weight`...), no `fc`."""
    state = {}
    for key, value in timm_resnet.state_dict().items():
        if key.startswith("fc."):
            continue
        for timm_prefix, mmcv_prefix in TIMM_TO_MMCV_STEM.items():
            if key.startswith(timm_prefix):
                key = mmcv_prefix + key[len(timm_prefix):]
                break
        state["backbone." + key] = value
    return state


def _v1c_case(builder, output_stride, decode_head, head_inputs, **kwargs):
    """A ResNetV1c segmenter (behind mmseg's normalisation) and its mmseg segmentor state dict.

    `head_inputs`: indices of the ResNet stages (0..3) the decode head reads, as mmseg's `in_index`.
    """
    encoder = keras_rr.models.resnet_v1c_backbone(50, output_stride, SIZE, **V1C)
    segmenter = builder(K, image_size=SIZE, encoder=encoder, channels=CHANNELS, **kwargs)
    resnet = _timm_resnet_c(output_stride)
    decode_head, auxiliary_head, state = _heads(decode_head, mmseg.FCNHead(V1C_CHANNELS[2], CHANNELS, K))
    state.update(_mmcv_resnet_state(resnet))

    def reference(images, maps):
        with torch.no_grad():
            stages = resnet.forward_intermediates(_tensor(_mmseg_normalise(images)), indices=[1, 2, 3, 4],
                                                  intermediates_only=True)
            logits = mmseg.resize(decode_head([stages[i] for i in head_inputs]), (SIZE, SIZE))
            return _nhwc(logits), _nhwc(auxiliary_head([stages[2]]))  # mmseg's auxiliary in_index=2

    reference.timm_state = resnet.state_dict()
    return _wrapper(segmenter), state, [], reference


def deeplab_v3_plus_resnet_v1c():
    """mmseg `deeplabv3plus_r50-d8`: ResNetV1c d8 + DepthwiseSeparableASPPHead (c1 = stage 1) + FCNHead."""
    head = mmseg.DepthwiseSeparableASPPHead(V1C_CHANNELS[3], V1C_CHANNELS[0], CHANNELS, 4, K, dilations=(1, 12, 24, 36))
    return _v1c_case(keras_rr.models.deeplab_v3_plus_resnet_c, 8, head, (0, 3), low_level_channels=4)


def psp_net_resnet_v1c():
    """mmseg `pspnet_r50-d8`: ResNetV1c d8 + PSPHead + FCNHead."""
    return _v1c_case(keras_rr.models.psp_net_resnet_c, 8, mmseg.PSPHead(V1C_CHANNELS[3], CHANNELS, K), (3,))


def uper_net_resnet_v1c():
    """mmseg `upernet_r50`: ResNetV1c (undilated) + UPerHead on the four stages + FCNHead."""
    head = mmseg.UPerHead(list(V1C_CHANNELS), CHANNELS, K)
    return _v1c_case(keras_rr.models.uper_net_resnet_c, 32, head, (0, 1, 2, 3))


HRNET_WIDTH = 4  # branches 4 / 8 / 16 / 32
HRNET_STAGE1 = 4
OCR_CHANNELS = 4


def _timm_hrnet_config():
    def stage(branches, block="BASIC", channels=None):
        return dict(num_modules=1, num_branches=branches, block_type=block, num_blocks=(1,) * branches,
                    num_channels=channels or tuple(HRNET_WIDTH * 2**i for i in range(branches)), fuse_method="SUM")

    return dict(stem_width=64, stage1=stage(1, "BOTTLENECK", (HRNET_STAGE1,)), stage2=stage(2), stage3=stage(3),
                stage4=stage(4))


def _mmseg_ocr_heads(in_channels, channels, ocr_channels):
    """mmseg OCRNet's `decode_head` ModuleList with mmseg's module structure (state-dict names only):
    0: FCNHead(kernel_size=1, channels=in_channels); 1: OCRHead (bottleneck, object_context_block)."""
    nn = torch.nn
    fcn = nn.Module()
    fcn.convs = nn.Sequential(mmseg.ConvModule(in_channels, in_channels, 1))
    fcn.conv_seg = nn.Conv2d(in_channels, K, 1)
    block = nn.Module()
    block.key_project = nn.Sequential(mmseg.ConvModule(channels, ocr_channels, 1),
                                      mmseg.ConvModule(ocr_channels, ocr_channels, 1))
    block.query_project = nn.Sequential(mmseg.ConvModule(channels, ocr_channels, 1),
                                        mmseg.ConvModule(ocr_channels, ocr_channels, 1))
    block.value_project = mmseg.ConvModule(channels, ocr_channels, 1)
    block.out_project = mmseg.ConvModule(ocr_channels, channels, 1)
    block.bottleneck = mmseg.ConvModule(2 * channels, channels, 1)
    ocr = nn.Module()
    ocr.bottleneck = mmseg.ConvModule(in_channels, channels, 3)
    ocr.object_context_block = block
    ocr.conv_seg = nn.Conv2d(channels, K, 1)
    return nn.ModuleList([fcn, ocr])


def ocr_net_hrnet():
    """mmseg `ocrnet_hr18` (CascadeEncoderDecoder): HRNetV2 + FCNHead (`decode_head.0`) + OCRHead
    (`decode_head.1`), no `auxiliary_head`; timm's HRNet + `tests.references.torch_ocr_net_heads`."""
    from tests.references import torch_ocr_net_heads
    from tests.timm_reference import import_timm

    timm = import_timm()
    backbone = keras_rr.models.hrnet_backbone(HRNET_WIDTH, SIZE, num_modules=(1, 1, 1, 1), num_blocks=(1, 1, 1, 1),
                                              stage1_channels=HRNET_STAGE1, name="backbone")
    segmenter = keras_rr.models.ocr_net_hrnet(K, image_size=SIZE, channels=CHANNELS, ocr_channels=OCR_CHANNELS,
                                              backbone=backbone)
    wrapper = RegionRebalanceSegmenter(segmenter, K, region_branch=False, auxiliary_head=True)
    hrnet = mmseg.randomize(timm.models.hrnet.HighResolutionNet(_timm_hrnet_config(), head=""), seed=3)
    with torch.no_grad():
        for module in hrnet.modules():
            if isinstance(module, torch.nn.BatchNorm2d):  # timm zero-inits some BN weights
                module.weight.uniform_(0.5, 1.5)
    in_channels = sum(HRNET_WIDTH * 2**i for i in range(4))
    heads = mmseg.randomize(_mmseg_ocr_heads(in_channels, CHANNELS, OCR_CHANNELS), seed=4)
    state = {**mmseg.prefixed("backbone.", hrnet), **mmseg.prefixed("decode_head.", heads)}

    def reference(images, maps):
        with torch.no_grad():
            branches = [_nhwc(b) for b in hrnet.forward_features(_tensor(images))]
        soft_regions, logits = torch_ocr_net_heads(branches, state, SIZE, OCR_CHANNELS)
        return logits, soft_regions

    # A timm classification checkpoint of the same backbone: its head (`incre_modules`,
    # `downsamp_modules`, `final_layer`, `classifier`) around the same backbone weights.
    classifier = timm.models.hrnet.HighResolutionNet(_timm_hrnet_config(), num_classes=3)
    reference.timm_state = {**classifier.state_dict(), **hrnet.state_dict()}
    return wrapper, state, [], reference


BEIT = dict(embed_dim=16, depth=4, num_heads=2)


def uper_net_beit():
    """mmseg `upernet_beit`: BEiT (timm's `Beit`, renamed as mmseg's `beit2mmseg.py` does), the
    Feature2Pyramid `neck`, UPerHead and the auxiliary FCNHead on the neck's stride-16 map."""
    from tests.models.test_beit import random_timm_beit
    from tests.models.test_beit import timm_to_mmseg
    from tests.models.test_uper_net_beit import torch_feature2pyramid

    dim = BEIT["embed_dim"]
    segmenter = keras_rr.models.uper_net_beit(K, image_size=SIZE, out_indices=(0, 1, 2, 3), drop_path_rate=0.0,
                                              channels=CHANNELS, **BEIT)
    beit = random_timm_beit(SIZE, dim, BEIT["depth"], BEIT["num_heads"], seed=5)
    neck = torch_feature2pyramid(dim, seed=6)
    decode_head, auxiliary_head, state = _heads(mmseg.UPerHead([dim] * 4, CHANNELS, K), mmseg.FCNHead(dim, CHANNELS, K))
    # timm's classifier-side `fc_norm` (global_pool="avg") is no part of mmseg's BEiT.
    state.update({"backbone." + k: torch.from_numpy(v) for k, v in timm_to_mmseg(beit.state_dict()).items()
                  if not k.startswith("fc_norm.")})
    state.update(mmseg.prefixed("neck.", neck))

    def reference(images, maps):
        with torch.no_grad():
            blocks = beit.forward_intermediates(_tensor(images), indices=[0, 1, 2, 3], norm=False,
                                                intermediates_only=True)
            pyramid = neck(blocks)
            logits = mmseg.resize(decode_head(pyramid), (SIZE, SIZE))
            return _nhwc(logits), _nhwc(auxiliary_head([pyramid[2]]))  # mmseg's auxiliary in_index=2

    reference.timm_state = beit.state_dict()
    return _wrapper(segmenter), state, [], reference


CASES = {case.__name__: case for case in (uper_net_swin, psp_net_resnet_c, deeplab_v3_plus_resnet_c,
                                          deeplab_v3_plus_resnet_v1c, psp_net_resnet_v1c, uper_net_resnet_v1c,
                                          ocr_net_hrnet, uper_net_beit)}


@functools.cache
def _case(name):
    """Each case is built once per module (its tests load full weights, so sharing is safe)."""
    return CASES[name]()


@pytest.mark.parametrize("name", sorted(CASES))
def test_mmseg_segmentor_state_dict_loads_and_predicts_as_torch(name):
    wrapper, state, taps, reference = _case(name)
    segmenter = wrapper.segmenter
    inner = getattr(segmenter, "inner", segmenter)  # a NormalizedSegmenter's functional model
    size = inner.inputs[0].shape[1]
    rng = np.random.default_rng(0)
    if inner is segmenter:
        images = rng.uniform(-1, 1, size=(2, size, size, 3)).astype("float32")
        inner_images = images
    else:  # pixels in 0..255, normalised as mmseg's data preprocessor does
        images = rng.uniform(0, 255, size=(2, size, size, 3)).astype("float32")
        inner_images = _mmseg_normalise(images).astype("float32")
    # A trained segmentor's file: `state_dict` nesting, `meta`, BN's `num_batches_tracked`.
    report = load_torch_weights(wrapper, {"meta": {"iter": 160000}, "state_dict": state})  # strict
    assert report.layout == "mmseg_segmentor"
    assert not report.missing and not report.resized
    assert {key.split(".")[0] for key, _ in report.loaded} == {key.split(".")[0] for key in state}
    # One inference pass: logits, the auxiliary head's logits on its tap, the maps the torch heads read.
    if isinstance(wrapper.auxiliary_head, InGraphAuxiliaryHead):  # OCRNet: the cascade's FCN head
        auxiliary = inner.get_layer("auxiliary_logits").output
    else:
        auxiliary = wrapper.auxiliary_head(inner.get_layer("auxiliary_features").output)
    probe = keras.Model(inner.inputs, [inner.outputs[0], auxiliary] + _tensors(inner, taps))
    logits, auxiliary, *maps = predict(probe, inner_images)
    if inner is not segmenter:  # the whole segmenter, normalisation included, on the raw pixels
        np.testing.assert_allclose(predict(segmenter, images), logits, rtol=1e-4, atol=1e-4 * np.abs(logits).max())
    expected_logits, expected_auxiliary = reference(images if inner is not segmenter else inner_images, maps)
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


@pytest.mark.parametrize("name, layout, classifier", [
    ("psp_net_resnet_v1c", "timm_resnet", "fc.weight"),
    ("ocr_net_hrnet", "timm_hrnet", "classifier.weight"),
    ("uper_net_beit", "timm_beit", "fc_norm.weight"),
])
def test_timm_backbone_checkpoint_loads_as_the_encoder_checkpoint(name, layout, classifier):
    """timm's ResNet-c / HRNet / BEiT classification state dicts (stem `conv1.0`... / mmseg's HRNet
    names / `blocks.i`..., plus their classifiers) fill exactly the backbone variables their mmseg-named
    segmentor form does, loaded as the trainer loads `model.encoder_checkpoint`
    (`parts=("backbone",)`); the classifier is skipped, the heads keep their values."""
    wrapper, state, _, reference = _case(name)
    load_torch_weights(wrapper, state)
    before = {w.path: to_numpy(w) for w in wrapper.weights}
    inner = getattr(wrapper.segmenter, "inner", wrapper.segmenter)
    names = [layer.name for layer in inner.layers]
    encoder = inner.get_layer("image_encoder" if "image_encoder" in names else "backbone")
    for weight in encoder.weights:  # the backbone must be filled by the timm checkpoint alone
        weight.assign(np.zeros(weight.shape, weight.dtype))
    report = load_torch_weights(wrapper, reference.timm_state, parts=("backbone",))
    assert report.layout == layout
    assert {key.split(".")[0] for key, _ in report.loaded} == {"backbone"} and not report.missing
    assert len(report.loaded) == len([key for key in state if key.startswith("backbone.")
                                      and not key.endswith("num_batches_tracked")])
    assert report.skipped[classifier] == "the backbone's classification head"
    for weight in wrapper.weights:
        np.testing.assert_array_equal(to_numpy(weight), before[weight.path], err_msg=weight.path)


def test_a_224_px_timm_beit_loads_into_another_window_with_mmsegs_resized_tables():
    """A BEiT checkpoint pretrained at 224 px (a 14 x 14 patch grid) into a BEiT at 256 px (16 x 16;
    mmseg: 640 px, 40 x 40): every block's relative-position table ((2 * 14 - 1)^2 + 3 rows) is
    resized as mmseg's `BEiT.resize_rel_pos_embed` does (SciPy, `tests.models.test_beit`), the
    3 class-token rows kept, and the model then computes timm's BEiT at 256 px carrying those tables."""
    from tests.models.test_beit import mmseg_geometric_sequence_interpolation
    from tests.models.test_beit import random_timm_beit

    dim, depth, heads, size = 16, 2, 2, 256
    source = random_timm_beit(224, dim, depth, heads, seed=7)
    backbone = keras_rr.models.beit_backbone(image_size=size, embed_dim=dim, depth=depth, num_heads=heads,
                                             out_indices=(0, 1), drop_path_rate=0.0)
    report = load_torch_weights(backbone, source.state_dict())
    assert report.layout == "timm_beit" and not report.missing
    assert report.resized == [(f"backbone.layers.{i}.attn.relative_position_bias_table", (27**2 + 3, heads),
                               (31**2 + 3, heads)) for i in range(depth)]
    # timm's BEiT at 256 px with the same weights and mmseg's resized tables.
    target = random_timm_beit(size, dim, depth, heads, seed=8)
    state = {k: v for k, v in source.state_dict().items() if not k.endswith("relative_position_index")}
    for i in range(depth):
        key = f"blocks.{i}.attn.relative_position_bias_table"
        resized = mmseg_geometric_sequence_interpolation(state[key].numpy(), 14, 16)
        assert resized.shape == (31**2 + 3, heads)
        state[key] = torch.from_numpy(resized.astype("float32"))
    target.load_state_dict(state, strict=False)
    images = np.random.default_rng(1).normal(size=(1, size, size, 3)).astype("float32")
    with torch.no_grad():
        expected = target.forward_intermediates(_tensor(images), indices=[0, 1], norm=False, intermediates_only=True)
    actual = predict(backbone, images)
    for got, want in zip(actual, expected):
        want = _nhwc(want)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
