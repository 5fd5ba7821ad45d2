"""DeepLabV3+ ResNet-50 on COCO-Stuff164K, pixel cross-entropy baseline (paper Table 4).

Paper reference (single-scale / multi-scale mIoU): 40.85 / 41.49.
Recipe: configs/coco_stuff164k/base.py (docs/method.md, section 6): SGD lr 0.01, momentum 0.9,
weight decay 1e-4, poly 0.9, batch 16 of 512 crops, 320K steps, sliding-window evaluation.
This file sets the model and the region branch. Paper numbers need an ImageNet-pretrained
encoder: pass one with --config.model.encoder_weights=<.weights.h5>.

Launch:

    python -m keras_rr.tools.train --config=configs/coco_stuff164k/deeplabv3plus_r50_baseline.py \
        --workdir=runs/coco_stuff164k/deeplabv3plus_r50_baseline --config.data.data_dir=/data/coco_stuff164k

Variants (--config=configs/coco_stuff164k/deeplabv3plus_r50_baseline.py:<variant>): smoke, smoke_model, multi_scale,
authors_head (comma-separated to combine).
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.load_config(os.path.join(os.path.dirname(__file__), "base.py"))
    config.name = "coco_stuff164k_deeplabv3plus_r50_baseline"

    # DeepLabV3+ (KerasHub DeepLabV3 with the P2 decoder) on a ResNet.
    config.model.name = "deeplab_v3_plus_resnet"
    config.model.depth = 50
    config.model.image_size = 512

    # Baseline: pixel cross-entropy only, no region branch.
    config.region_rebalance.enabled = False
    return rr_config.apply_variant(config, arg)
