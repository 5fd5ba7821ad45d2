"""DeepLabV3+ ResNet-101 on COCO-Stuff164K, pixel cross-entropy baseline (paper Table 4).

Paper reference (single-scale / multi-scale mIoU): 42.39 / 42.96.
Network and weights: `deeplab_v3_plus_resnet_c`, depth 101, encoder from KerasHub's
ImageNet-1k preset `resnet_vd_101_imagenet`, trained with mmseg's auxiliary FCN head
(weight 0.4). The recipe is configs/coco_stuff164k/base.py; the network and how it and its
weights differ from the paper's are described in configs/ade20k/base.py.

Launch:

    python -m keras_rr.tools.train --config=configs/coco_stuff164k/deeplabv3plus_r101_baseline.py \
        --workdir=runs/coco_stuff164k/deeplabv3plus_r101_baseline --config.data.data_dir=/data/coco_stuff164k

Variants (append `:<variant>`, comma-separated): smoke, smoke_model, multi_scale,
authors_head, random_init.
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.load_config(os.path.join(os.path.dirname(__file__), "base.py"))
    config.name = "coco_stuff164k_deeplabv3plus_r101_baseline"

    # The paper's DeepLabV3+: dilated ResNet-c (output stride 8) from ImageNet weights.
    config.model.name = "deeplab_v3_plus_resnet_c"
    config.model.depth = 101
    config.model.image_size = 512
    config.model.backbone_preset = "resnet_vd_101_imagenet"

    # Baseline: pixel cross-entropy only, no region branch.
    config.region_rebalance.enabled = False
    return rr_config.apply_variant(config, arg)
