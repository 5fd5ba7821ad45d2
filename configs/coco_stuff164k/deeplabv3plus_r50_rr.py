"""DeepLabV3+ ResNet-50 on COCO-Stuff164K with Region Rebalance, λ = 0.3 (paper Table 4).

Paper reference (single-scale / multi-scale mIoU): 42.66 / 43.47.
Recipe: keras_rr.training.config.paper_config (method.md §6). Paper numbers need an
ImageNet-pretrained encoder: pass one with --config.model.encoder_weights=<.weights.h5>.

Launch:

    python -m keras_rr.tools.train --config=configs/coco_stuff164k/deeplabv3plus_r50_rr.py \
        --workdir=runs/coco_stuff164k/deeplabv3plus_r50_rr --config.data.data_dir=/data/coco_stuff164k

Variants (--config=configs/coco_stuff164k/deeplabv3plus_r50_rr.py:<variant>): smoke, smoke_model, multi_scale,
authors_head (comma-separated to combine).
"""

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.paper_config(
        "coco_stuff164k", model="deeplab_v3_plus_resnet", depth=50, region_rebalance=True
    )
    return rr_config.apply_variant(config, arg)
