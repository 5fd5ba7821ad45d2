"""The benchmarks' network registry (`benchmarks/paper_networks.py`) builds what it names.

A paper entry at its tiny size (one block per stage, 64 px): the right family, with mmseg's
ResNetV1c under the `_v1c` networks. The full-size builds are the same builder calls
without the tiny encoder and head width (`encoder="resnet_v1c"`, tested in
tests/models/test_resnet_v1c_segmenters.py).
"""

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
