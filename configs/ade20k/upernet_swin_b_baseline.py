"""UPerNet Swin-B† on ADE20K, pixel cross-entropy baseline (paper Table 3).

Paper mIoU, single-scale / multi-scale (`:multi_scale`): 50.04 / 51.66; with Region
Rebalance (upernet_swin_b_rr.py): 51.20 / 52.88.
Network and weights: `uper_net_swin` (Swin `base_window12`) with the auxiliary FCN head,
encoder from KerasHub's `swin_base_patch4_window12_384` (`:random_init`: random weights).
Recipe: configs/ade20k/base.py updated by configs/families/upernet_swin.py (mmseg's Swin
schedule: AdamW, warmup, 160K steps), which describes the network, its weights and how they
differ from the paper's setup (ImageNet-22K then 1k fine-tuned weights for the paper's
22K-only ones).

Launch:

    python -m keras_rr.tools.train --config=configs/ade20k/upernet_swin_b_baseline.py \
        --workdir=runs/ade20k/upernet_swin_b_baseline --config.data.data_dir=/data/ADEChallengeData2016
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.load_config(os.path.join(os.path.dirname(__file__), "base.py"))
    config.name = "ade20k_upernet_swin_b_baseline"
    family = os.path.join(os.path.dirname(__file__), "..", "families", "upernet_swin.py:swin_b")
    config.update(rr_config.load_config(family))
    config.auxiliary_head.enabled = True
    config.region_rebalance.enabled = False
    return rr_config.apply_variant(config, arg)
