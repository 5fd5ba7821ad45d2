"""`upernet_swin_b` on `coco_stuff164k` with Region Rebalance, λ = 0.3 (paper Table 4).

Paper mIoU single-scale / multi-scale (`:multi_scale`): 48.21 / 49.20; baseline 47.67 / 48.57.
Network and weights: `uper_net_swin`, encoder from KerasHub's `swin_base_patch4_window12_384`
(`:random_init`: random weights). How they and the recipe differ from the paper's, and
every value: configs/recipes.py, family `upernet_swin`, row `upernet_swin_b`, dataset `coco_stuff164k`.

    python -m keras_rr.tools.train --config=configs/coco_stuff164k/upernet_swin_b_rr.py \
        --workdir=runs/coco_stuff164k/upernet_swin_b_rr --config.data.data_dir=/data/coco_stuff164k
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    recipes = os.path.join(os.path.dirname(__file__), "..", "recipes.py")
    return rr_config.apply_variant(rr_config.load_config(f"{recipes}:coco_stuff164k_upernet_swin_b_rr"), arg)
