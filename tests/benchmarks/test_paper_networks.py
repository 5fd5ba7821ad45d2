"""The benchmarks' network registry (`benchmarks/paper_networks.py`) builds what it names.

A paper entry at its tiny size (one block per stage, 64 px): the right family, with mmseg's
ResNetV1c under the `_v1c` networks. The full-size builds are the same builder calls
without the tiny encoder and head width (`encoder="resnet_v1c"`, tested in
tests/models/test_resnet_v1c_segmenters.py).
"""

import numpy as np
import pytest

from benchmarks.paper_networks import PAPER_NETWORKS
from benchmarks.paper_networks import PAPER_SET
from benchmarks.paper_networks import build_network


# CI time: one entry built (the V1c segmenters themselves are tested in
# tests/models/test_resnet_v1c_segmenters.py; the other entries are the same calls).
@pytest.mark.parametrize("name", ["pspnet_r50_v1c"])
def test_a_network_builds_at_its_tiny_size(name):
    segmenter = build_network(name, 5, 64, depth=18, tiny=True)
    assert segmenter.output_shape == (None, 64, 64, 5)
    inner = getattr(segmenter, "inner", segmenter)
    names = {layer.name for layer in inner.layers}
    assert "stem-0" in {layer.name for layer in inner.get_layer("image_encoder").layers}
    assert {"deeplabv3plus": "aspp_bottleneck_conv", "pspnet": "psp_bottleneck_conv",
            "upernet": "fpn_bottleneck_conv"}[name.split("_")[0]] in names
    assert set(PAPER_SET) <= set(PAPER_NETWORKS)


def test_an_unknown_network_is_named():
    with pytest.raises(ValueError, match="model='ocrnet_hr18'"):
        build_network("ocrnet_hr18", 5, 64)


def test_ocr_net_compares_with_its_fcn_head_loss_on_both_sides():
    # OCRNet's baseline trains the cascade's FCN head too (mmseg: loss weight 0.4), so the
    # baseline is the wrapper without its region branch, and RR adds the region branch alone.
    from benchmarks.overhead_setup import step_variants
    from benchmarks.paper_networks import wrapper_options
    from keras_rr.models import InGraphAuxiliaryHead
    from keras_rr.models import RegionRebalanceSegmenter

    assert "ocr_net_hrnet18" in PAPER_SET and wrapper_options("pspnet_r50_v1c") == {}
    segmenter = build_network("ocr_net_hrnet18", 5, 64, tiny=True)
    assert segmenter.output_shape == (None, 64, 64, 5)
    assert "decode_head-1-conv_seg" in {layer.name for layer in segmenter.layers}
    models = step_variants(segmenter, 5, np.arange(1, 6), ["plain_twin", "rr"],
                           wrapper_options=wrapper_options("ocr_net_hrnet18"))
    for name, model in models.items():
        assert isinstance(model, RegionRebalanceSegmenter), name
        assert isinstance(model.auxiliary_head, InGraphAuxiliaryHead), name
        assert (model.region_head is None) == (name != "rr"), name
