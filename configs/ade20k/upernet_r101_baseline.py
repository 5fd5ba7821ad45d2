"""UPerNet ResNet-101 on ADE20K, pixel cross-entropy baseline (paper Table 3).

Paper mIoU, single-scale / multi-scale (`:multi_scale`): 43.82 / 44.85; with Region
Rebalance (upernet_r101_rr.py): 44.78 / 46.11.
Network and weights: `uper_net_resnet_c` (mmseg's `upernet_r101`) with the auxiliary FCN
head, encoder from KerasHub's `resnet_vd_101_imagenet` (`:random_init`: random weights).
Recipe: configs/ade20k/base.py (SGD, 160K steps) updated by configs/families/resnet_c.py,
which describes the network, its weights and how they differ from the paper's setup
(KerasHub's ResNet-vd weights, per-replica BatchNorm).

Launch:

    python -m keras_rr.tools.train --config=configs/ade20k/upernet_r101_baseline.py \
        --workdir=runs/ade20k/upernet_r101_baseline --config.data.data_dir=/data/ADEChallengeData2016
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.load_config(os.path.join(os.path.dirname(__file__), "base.py"))
    config.name = "ade20k_upernet_r101_baseline"
    family = os.path.join(os.path.dirname(__file__), "..", "families", "resnet_c.py:upernet_r101")
    config.update(rr_config.load_config(family))
    config.auxiliary_head.enabled = True
    config.region_rebalance.enabled = False
    return rr_config.apply_variant(config, arg)
