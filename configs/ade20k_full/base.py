"""`deeplabv3plus_r50` on ADE20K-Full (847 classes, LTSS's layout): baseline.

The LTSS benchmark's dataset (Li et al., TMM 2024) with the paper's mmseg recipe and
200K iterations (LTSS's DeepLabV3+ R50 schedule). No published Region Rebalance number.
Network and weights: `deeplab_v3_plus_resnet_c`, encoder from KerasHub's `resnet_vd_50_imagenet`
(`:random_init`: random weights).
Every value: configs/recipes.py, dataset `ade20k_full`. Long-tail options are fields, e.g.
--config.data.repeat_factor_threshold=... and --config.data.copy_paste.mode=rare
(docs/guides/long-tail-toolkit.md).

    python -m keras_rr.tools.train --config=configs/ade20k_full/base.py \
        --workdir=runs/ade20k_full/base --config.data.data_dir=/data/ADE20K_2021_17_01
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    recipes = os.path.join(os.path.dirname(__file__), "..", "recipes.py")
    return rr_config.apply_variant(rr_config.load_config(f"{recipes}:ade20k_full_base"), arg)
