"""The networks the step benchmarks measure, by name: `--model` of step_cost.py and
train_step_overhead.py (no flags defined here).

`PAPER_NETWORKS` maps a name to a builder call `(num_classes, image_size, depth, tiny) ->
segmenter` (random weights, nothing downloaded). The paper's networks are mmseg's, at the
paper's 512 px: DeepLabV3+ (`-c`, ResNetV1c-d8), PSPNet (ResNetV1c-d8), UPerNet
(ResNetV1c, undilated), UPerNet Swin-T, OCRNet on HRNetV2-W18 and UPerNet BEiT-B / -L (the
paper's BEiT row is -L at 640 px). `keras_hub_deeplab_v3_plus` (KerasHub's DeepLabV3+, ResNet
of `--depth`) is the benchmarks' historical default. A new network is one more entry.

`WRAPPER_OPTIONS` holds what a network's training always adds around the segmenter,
for the baseline and every RR variant alike: OCRNet's FCN head (the cascade's soft
regions, in the graph) has its own loss (weight 0.4), so its baseline is
`RegionRebalanceSegmenter(segmenter, K, region_branch=False, auxiliary_head=True)`, not
the plain segmenter, and the RR variants get `auxiliary_head=True` too: the comparison
is then RR's region branch alone.

`tiny=True` builds the same network family at its smallest (one block per stage, heads 16
channels wide, the "micro" Swin, the "tiny" BEiT, HRNet width 4) for the tests; `depth` is
read only by the KerasHub entry (the others name their depth).
"""

_TINY_V1C = dict(stage_blocks=(1, 1, 1, 1), stem_channels=8, base_channels=4)
_TINY_HEAD = 16


def _v1c_encoder(depth, output_stride, image_size, tiny):
    """`"resnet_v1c"` (the builders build mmseg's ResNetV1c), or a tiny one."""
    from keras_rr.models import resnet_v1c_backbone

    if not tiny:
        return "resnet_v1c"
    return resnet_v1c_backbone(depth, output_stride, image_size, **_TINY_V1C)


def _head(tiny):
    return {"channels": _TINY_HEAD} if tiny else {}


def _keras_hub_deeplab(num_classes, image_size, depth, tiny):
    from keras_rr.models import deeplab_v3_plus_resnet

    return deeplab_v3_plus_resnet(num_classes, depth=18 if tiny else depth, image_size=image_size)


def _deeplab_v1c(depth):
    def build(num_classes, image_size, _, tiny):
        from keras_rr.models import deeplab_v3_plus_resnet_c

        encoder = _v1c_encoder(depth, 8, image_size, tiny)
        return deeplab_v3_plus_resnet_c(num_classes, depth=depth, image_size=image_size, encoder=encoder, **_head(tiny))

    return build


def _pspnet_v1c(depth):
    def build(num_classes, image_size, _, tiny):
        from keras_rr.models import psp_net_resnet_c

        encoder = _v1c_encoder(depth, 8, image_size, tiny)
        return psp_net_resnet_c(num_classes, depth=depth, image_size=image_size, encoder=encoder, **_head(tiny))

    return build


def _upernet_v1c(depth):
    def build(num_classes, image_size, _, tiny):
        from keras_rr.models import uper_net_resnet_c

        encoder = _v1c_encoder(depth, 32, image_size, tiny)
        return uper_net_resnet_c(num_classes, depth=depth, image_size=image_size, encoder=encoder, **_head(tiny))

    return build


def _upernet_swin(variant):
    def build(num_classes, image_size, _, tiny):
        from keras_rr.models import uper_net_swin

        return uper_net_swin(num_classes, variant="micro" if tiny else variant, image_size=image_size, **_head(tiny))

    return build


def _upernet_beit(variant):
    def build(num_classes, image_size, _, tiny):
        from keras_rr.models import uper_net_beit

        return uper_net_beit(num_classes, variant="tiny" if tiny else variant, image_size=image_size, **_head(tiny))

    return build


def _ocrnet_hrnet(width):
    def build(num_classes, image_size, _, tiny):
        from keras_rr.models import ocr_net_hrnet

        if tiny:  # HRNet width 4, one module and one block per stage
            return ocr_net_hrnet(num_classes, width=4, image_size=image_size, channels=_TINY_HEAD, ocr_channels=8,
                                 num_modules=(1, 1, 1, 1), num_blocks=(1, 1, 1, 1), stage1_channels=4)
        return ocr_net_hrnet(num_classes, width=width, image_size=image_size)

    return build


PAPER_NETWORKS = {
    "keras_hub_deeplab_v3_plus": _keras_hub_deeplab,
    "deeplabv3plus_r50_v1c": _deeplab_v1c(50),
    "deeplabv3plus_r101_v1c": _deeplab_v1c(101),
    "pspnet_r50_v1c": _pspnet_v1c(50),
    "pspnet_r101_v1c": _pspnet_v1c(101),
    "upernet_r50_v1c": _upernet_v1c(50),
    "upernet_r101_v1c": _upernet_v1c(101),
    "upernet_swin_t": _upernet_swin("tiny"),
    # UPerNet BEiT (mmseg's; the paper's row is BEiT-L at 640, -B is the cheaper measure).
    "upernet_beit_b": _upernet_beit("base"),
    "upernet_beit_l": _upernet_beit("large"),
    "ocr_net_hrnet18": _ocrnet_hrnet(18),
}
# `RegionRebalanceSegmenter` options of the baseline and of every RR variant (see above).
WRAPPER_OPTIONS = {
    "ocr_net_hrnet18": {"auxiliary_head": True},
}
# The paper's networks at 512 px, one of each (`--model=paper` of step_cost.py).
PAPER_SET = ("deeplabv3plus_r50_v1c", "pspnet_r50_v1c", "upernet_r50_v1c", "upernet_swin_t", "ocr_net_hrnet18",
             "upernet_beit_b")


def build_network(name, num_classes, image_size, depth=50, tiny=False):
    """The segmenter `name` of `PAPER_NETWORKS` (random weights).

    Args:
        name: str. A key of `PAPER_NETWORKS`.
        num_classes: int.
        image_size: int. Square input size.
        depth: int. ResNet depth of `keras_hub_deeplab_v3_plus` only. Defaults to `50`.
        tiny: bool. The family at its smallest (tests). Defaults to `False`.

    Returns:
        A `keras.Model` from images to logits.

    Example:

    >>> segmenter = build_network("pspnet_r50_v1c", 150, 512)
    """
    if name not in PAPER_NETWORKS:
        raise ValueError(f"Unknown network. Expected one of {tuple(PAPER_NETWORKS)}. Received: model={name!r}")
    return PAPER_NETWORKS[name](num_classes, image_size, depth, tiny)


def wrapper_options(name):
    """The `RegionRebalanceSegmenter` options every model of network `name`'s comparison gets.

    Args:
        name: str. A key of `PAPER_NETWORKS`.

    Returns:
        A new dict (empty: the baseline is the plain segmenter).

    Example:

    >>> wrapper_options("ocr_net_hrnet18")
    {'auxiliary_head': True}
    """
    if name not in PAPER_NETWORKS:
        raise ValueError(f"Unknown network. Expected one of {tuple(PAPER_NETWORKS)}. Received: model={name!r}")
    return dict(WRAPPER_OPTIONS.get(name, {}))
