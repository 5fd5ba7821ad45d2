"""PSPNet ResNet-101 on ADE20K with Region Rebalance, λ = 0.3 (paper Table 3).

Paper mIoU, single-scale / multi-scale: 44.65 / 46.15 (baseline: 44.39 / 45.35).
Network and weights: pspnet_r101_baseline.py's (`psp_net_resnet_c` and the auxiliary FCN
head on KerasHub's `resnet_vd_101_imagenet`; `:random_init`: random weights), whose config
this file loads and adds the region branch to; that file names the differences from the
paper's setup.

Launch:

    python -m keras_rr.tools.train --config=configs/ade20k/pspnet_r101_rr.py \
        --workdir=runs/ade20k/pspnet_r101_rr --config.data.data_dir=/data/ADEChallengeData2016
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    baseline = os.path.join(os.path.dirname(__file__), "pspnet_r101_baseline.py")
    config = rr_config.load_config(baseline)
    config.name = "ade20k_pspnet_r101_rr"
    config.region_rebalance.enabled = True
    config.region_rebalance.loss_weight = 0.3
    return rr_config.apply_variant(config, arg)
