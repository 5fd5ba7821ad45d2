"""DeepLabV3+ ResNet-50 on ADE20K, pixel cross-entropy baseline (paper Table 3).

Paper reference (single-scale / multi-scale mIoU): 43.95 / 44.93.
Network and weights: `deeplab_v3_plus_resnet_c`, depth 50, encoder from KerasHub's
ImageNet-1k preset `resnet_vd_50_imagenet`, trained with mmseg's auxiliary FCN head
(weight 0.4). The recipe is configs/ade20k/base.py; the network and how it and its
weights differ from the paper's are described in configs/ade20k/base.py.

Launch:

    python -m keras_rr.tools.train --config=configs/ade20k/deeplabv3plus_r50_baseline.py \
        --workdir=runs/ade20k/deeplabv3plus_r50_baseline --config.data.data_dir=/data/ADEChallengeData2016

Variants (append `:<variant>`, comma-separated): smoke, smoke_model, multi_scale,
authors_head, random_init.
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.load_config(os.path.join(os.path.dirname(__file__), "base.py"))
    config.name = "ade20k_deeplabv3plus_r50_baseline"

    # The paper's DeepLabV3+: dilated ResNet-c (output stride 8) from ImageNet weights.
    config.model.name = "deeplab_v3_plus_resnet_c"
    config.model.depth = 50
    config.model.image_size = 512
    config.model.backbone_preset = "resnet_vd_50_imagenet"

    # Baseline: pixel cross-entropy only, no region branch.
    config.region_rebalance.enabled = False
    return rr_config.apply_variant(config, arg)
