"""DeepLabV3+ ResNet-50 on ADE20K, pixel cross-entropy baseline (paper Table 3).

Paper reference (single-scale / multi-scale mIoU): 43.95 / 44.93.
Recipe: configs/ade20k/base.py (docs/method.md, section 6): SGD lr 0.01, momentum 0.9,
weight decay 1e-4, poly 0.9, batch 16 of 512 crops, 160K steps, sliding-window evaluation.
This file sets the model and the region branch.

Network and weights: mmsegmentation's DeepLabV3+ (`model.name = "deeplab_v3_plus_resnet_c"`,
`keras_rr.models.deeplab_v3_plus_resnet_c`): ResNet-50 with the deep 3x3 stem, dilated
to output stride 8 (strides 1, 2, 1, 1; dilations 1, 1, 2, 4), depthwise-separable ASPP
(dilations 12, 24, 36) on the stride-8 map and the 1/4 low-level decoder, 512 channels.
The encoder starts from KerasHub's ImageNet-1k preset `resnet_vd_50_imagenet` (downloaded
on first use; offline, pass a `save_to_preset` directory with
--config.model.backbone_preset=DIR, or train from random weights with `:random_init`).
Differences from the paper's model: KerasHub's ResNet-vd is mmseg's ResNetV1d (its
stage shortcuts average-pool; the paper's ResNetV1c does not) and its ImageNet weights
are KerasHub's, not mmseg's `open-mmlab://resnet50_v1c` checkpoint; no auxiliary FCN
head (mmseg adds one on stage 3 with weight 0.4); BatchNorm statistics are per replica
(mmseg: SyncBN). The optimizer is the paper's coupled-L2 SGD.

Launch:

    python -m keras_rr.tools.train --config=configs/ade20k/deeplabv3plus_r50_baseline.py \
        --workdir=runs/ade20k/deeplabv3plus_r50_baseline --config.data.data_dir=/data/ADEChallengeData2016

Variants (--config=configs/ade20k/deeplabv3plus_r50_baseline.py:<variant>): smoke, smoke_model, multi_scale,
authors_head, random_init (comma-separated to combine).
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
