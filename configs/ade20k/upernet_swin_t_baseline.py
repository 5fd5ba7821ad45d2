"""UPerNet Swin-T on ADE20K, pixel cross-entropy baseline (paper Table 3).

Paper mIoU, single-scale / multi-scale (`:multi_scale`): 44.51 / 45.81; with Region
Rebalance (upernet_swin_t_rr.py): 45.02 / 46.45.
Network and weights: `uper_net_swin` (Swin `tiny`) with the auxiliary FCN head, encoder from
KerasHub's `swin_tiny_patch4_window7_224` (`:random_init`: random weights).
Recipe: configs/ade20k/base.py updated by configs/families/upernet_swin.py (mmseg's Swin
schedule: AdamW, warmup, 160K steps), which describes the network, its weights and how they
differ from the paper's setup (the paper's ImageNet-1k pretraining; KerasHub's Swin pads
after the window shift).

Launch:

    python -m keras_rr.tools.train --config=configs/ade20k/upernet_swin_t_baseline.py \
        --workdir=runs/ade20k/upernet_swin_t_baseline --config.data.data_dir=/data/ADEChallengeData2016
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.load_config(os.path.join(os.path.dirname(__file__), "base.py"))
    config.name = "ade20k_upernet_swin_t_baseline"
    family = os.path.join(os.path.dirname(__file__), "..", "families", "upernet_swin.py:swin_t")
    config.update(rr_config.load_config(family))
    config.auxiliary_head.enabled = True
    config.region_rebalance.enabled = False
    return rr_config.apply_variant(config, arg)
