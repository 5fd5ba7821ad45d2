"""`deeplabv3plus_r50` on COCO-Stuff-LT (LTSS's 40,679-image split): Region Rebalance, λ = 0.3.

The LTSS benchmark's dataset (Li et al., TMM 2024) with the paper's mmseg recipe and
320K iterations (LTSS's DeepLabV3+ R50 schedule). No published Region Rebalance number.
Network and weights: `deeplab_v3_plus_resnet_c`, encoder from KerasHub's `resnet_vd_50_imagenet`
(`:random_init`: random weights).
Every value: configs/recipes.py, dataset `coco_stuff_lt`. Long-tail options are fields, e.g.
--config.data.repeat_factor_threshold=... and --config.data.copy_paste.mode=rare
(docs/guides/long-tail-toolkit.md).

    python -m keras_rr.tools.train --config=configs/coco_stuff_lt/deeplabv3plus_r50_rr.py \
        --workdir=runs/coco_stuff_lt/deeplabv3plus_r50_rr --config.data.data_dir=/data/coco_stuff_lt_40k
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    recipes = os.path.join(os.path.dirname(__file__), "..", "recipes.py")
    return rr_config.apply_variant(rr_config.load_config(f"{recipes}:coco_stuff_lt_deeplabv3plus_r50_rr"), arg)
