"""DeepLabV3+ ResNet-101 on ADE20K, pixel cross-entropy baseline (paper Table 3).

Paper reference (single-scale / multi-scale mIoU): 45.47 / 46.35.
Recipe: configs/ade20k/base.py (docs/method.md, section 6): SGD lr 0.01, momentum 0.9,
weight decay 1e-4, poly 0.9, batch 16 of 512 crops, 160K steps, sliding-window evaluation.
This file sets the model and the region branch. Paper numbers need an ImageNet-pretrained
encoder: pass one with --config.model.encoder_weights=<.weights.h5>.

Launch:

    python -m keras_rr.tools.train --config=configs/ade20k/deeplabv3plus_r101_baseline.py \
        --workdir=runs/ade20k/deeplabv3plus_r101_baseline --config.data.data_dir=/data/ADEChallengeData2016

Variants (--config=configs/ade20k/deeplabv3plus_r101_baseline.py:<variant>): smoke, smoke_model, multi_scale,
authors_head (comma-separated to combine).
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.load_config(os.path.join(os.path.dirname(__file__), "base.py"))
    config.name = "ade20k_deeplabv3plus_r101_baseline"

    # DeepLabV3+ (KerasHub DeepLabV3 with the P2 decoder) on a ResNet.
    config.model.name = "deeplab_v3_plus_resnet"
    config.model.depth = 101
    config.model.image_size = 512

    # Baseline: pixel cross-entropy only, no region branch.
    config.region_rebalance.enabled = False
    return rr_config.apply_variant(config, arg)
