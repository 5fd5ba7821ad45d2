"""DeepLabV3+ ResNet-50 on ADE20K, with Region Rebalance, λ = 0.3 (paper Table 3).

Paper reference (single-scale / multi-scale mIoU): 45.02 / 46.03.
Network and weights: `deeplab_v3_plus_resnet_c`, depth 50, encoder from KerasHub's
ImageNet-1k preset `resnet_vd_50_imagenet`, trained with mmseg's auxiliary FCN head
(weight 0.4). The recipe is configs/ade20k/base.py; the network and how it and its
weights differ from the paper's are described in configs/ade20k/base.py.

Launch:

    python -m keras_rr.tools.train --config=configs/ade20k/deeplabv3plus_r50_rr.py \
        --workdir=runs/ade20k/deeplabv3plus_r50_rr --config.data.data_dir=/data/ADEChallengeData2016

Variants (append `:<variant>`, comma-separated): smoke, smoke_model, multi_scale,
authors_head, random_init.
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.load_config(os.path.join(os.path.dirname(__file__), "base.py"))
    config.name = "ade20k_deeplabv3plus_r50_rr"

    # The paper's DeepLabV3+: dilated ResNet-c (output stride 8) from ImageNet weights.
    config.model.name = "deeplab_v3_plus_resnet_c"
    config.model.depth = 50
    config.model.image_size = 512
    config.model.backbone_preset = "resnet_vd_50_imagenet"

    # Region Rebalance: the region branch with the region prior, weight λ.
    config.region_rebalance.enabled = True
    config.region_rebalance.loss_weight = 0.3
    config.region_rebalance.rebalance = True
    return rr_config.apply_variant(config, arg)
