"""PSPNet ResNet-101 on COCO-Stuff164K, pixel cross-entropy baseline (paper Table 4).

Paper mIoU, single-scale / multi-scale (`:multi_scale`): 41.95 / 42.42; with Region
Rebalance (pspnet_r101_rr.py): 43.40 / 43.85.
Network and weights: `psp_net_resnet_c` (mmseg's `pspnet_r101-d8`) with the auxiliary FCN
head, encoder from KerasHub's `resnet_vd_101_imagenet` (`:random_init`: random weights).
Recipe: configs/coco_stuff164k/base.py (SGD, 320K steps) updated by
configs/families/resnet_c.py, which describes the network, its weights and how they differ
from the paper's setup (KerasHub's ResNet-vd weights, per-replica BatchNorm).

Launch:

    python -m keras_rr.tools.train --config=configs/coco_stuff164k/pspnet_r101_baseline.py \
        --workdir=runs/coco_stuff164k/pspnet_r101_baseline --config.data.data_dir=/data/coco_stuff164k
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.load_config(os.path.join(os.path.dirname(__file__), "base.py"))
    config.name = "coco_stuff164k_pspnet_r101_baseline"
    family = os.path.join(os.path.dirname(__file__), "..", "families", "resnet_c.py:pspnet_r101")
    config.update(rr_config.load_config(family))
    config.auxiliary_head.enabled = True
    config.region_rebalance.enabled = False
    return rr_config.apply_variant(config, arg)
