"""UPerNet ResNet-50 on ADE20K with Region Rebalance, λ = 0.3 (paper Table 3).

Paper mIoU, single-scale / multi-scale: 43.27 / 44.03 (baseline: 42.05 / 42.78).
Network and weights: upernet_r50_baseline.py's (`uper_net_resnet_c` and the auxiliary FCN
head on KerasHub's `resnet_vd_50_imagenet`; `:random_init`: random weights), whose config
this file loads and adds the region branch to; that file names the differences from the
paper's setup.

Launch:

    python -m keras_rr.tools.train --config=configs/ade20k/upernet_r50_rr.py \
        --workdir=runs/ade20k/upernet_r50_rr --config.data.data_dir=/data/ADEChallengeData2016
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    baseline = os.path.join(os.path.dirname(__file__), "upernet_r50_baseline.py")
    config = rr_config.load_config(baseline)
    config.name = "ade20k_upernet_r50_rr"
    config.region_rebalance.enabled = True
    config.region_rebalance.loss_weight = 0.3
    return rr_config.apply_variant(config, arg)
