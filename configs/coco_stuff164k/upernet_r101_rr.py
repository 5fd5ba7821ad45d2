"""UPerNet ResNet-101 on COCO-Stuff164K with Region Rebalance, λ = 0.3 (paper Table 4).

Paper mIoU, single-scale / multi-scale: 42.30 / 42.78 (baseline: 41.15 / 41.51).
Network and weights: upernet_r101_baseline.py's (`uper_net_resnet_c` and the auxiliary FCN
head on KerasHub's `resnet_vd_101_imagenet`; `:random_init`: random weights), whose config
this file loads and adds the region branch to; that file names the differences from the
paper's setup.

Launch:

    python -m keras_rr.tools.train --config=configs/coco_stuff164k/upernet_r101_rr.py \
        --workdir=runs/coco_stuff164k/upernet_r101_rr --config.data.data_dir=/data/coco_stuff164k
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    baseline = os.path.join(os.path.dirname(__file__), "upernet_r101_baseline.py")
    config = rr_config.load_config(baseline)
    config.name = "coco_stuff164k_upernet_r101_rr"
    config.region_rebalance.enabled = True
    config.region_rebalance.loss_weight = 0.3
    return rr_config.apply_variant(config, arg)
