"""UPerNet ResNet-50 on COCO-Stuff164K, pixel cross-entropy baseline (paper Table 4).

Paper mIoU, single-scale / multi-scale (`:multi_scale`): 39.86 / 40.26; with Region
Rebalance (upernet_r50_rr.py): 41.20 / 41.73.
Network and weights: `uper_net_resnet_c` (mmseg's `upernet_r50`) with the auxiliary FCN
head, encoder from KerasHub's `resnet_vd_50_imagenet` (`:random_init`: random weights).
Recipe: configs/coco_stuff164k/base.py (SGD, 320K steps) updated by
configs/families/resnet_c.py, which describes the network, its weights and how they differ
from the paper's setup (KerasHub's ResNet-vd weights, per-replica BatchNorm).

Launch:

    python -m keras_rr.tools.train --config=configs/coco_stuff164k/upernet_r50_baseline.py \
        --workdir=runs/coco_stuff164k/upernet_r50_baseline --config.data.data_dir=/data/coco_stuff164k
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.load_config(os.path.join(os.path.dirname(__file__), "base.py"))
    config.name = "coco_stuff164k_upernet_r50_baseline"
    family = os.path.join(os.path.dirname(__file__), "..", "families", "resnet_c.py:upernet_r50")
    config.update(rr_config.load_config(family))
    config.auxiliary_head.enabled = True
    config.region_rebalance.enabled = False
    return rr_config.apply_variant(config, arg)
