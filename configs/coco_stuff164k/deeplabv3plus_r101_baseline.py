"""DeepLabV3+ ResNet-101 on COCO-Stuff164K, pixel cross-entropy baseline (paper Table 4).

Paper reference (single-scale / multi-scale mIoU): 42.39 / 42.96.
Recipe: keras_rr.training.config.paper_config (method.md §6). Paper numbers need an
ImageNet-pretrained encoder: pass one with --config.model.encoder_weights=<.weights.h5>.

Launch:

    python -m keras_rr.tools.train --config=configs/coco_stuff164k/deeplabv3plus_r101_baseline.py \
        --workdir=runs/coco_stuff164k/deeplabv3plus_r101_baseline --config.data.data_dir=/data/coco_stuff164k

Variants (--config=configs/coco_stuff164k/deeplabv3plus_r101_baseline.py:<variant>): smoke, smoke_model, multi_scale,
authors_head (comma-separated to combine).
"""

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.paper_config(
        "coco_stuff164k", model="deeplab_v3_plus_resnet", depth=101, region_rebalance=False
    )
    return rr_config.apply_variant(config, arg)
