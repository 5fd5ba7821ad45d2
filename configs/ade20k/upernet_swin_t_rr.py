"""`upernet_swin_t` on `ade20k` with Region Rebalance, λ = 0.3 (paper Table 3).

Paper mIoU single-scale / multi-scale (`:multi_scale`): 45.02 / 46.45; baseline 44.51 / 45.81.
Network and weights: `uper_net_swin`, encoder from KerasHub's `swin_tiny_patch4_window7_224`
(`:random_init`: random weights). How they and the recipe differ from the paper's, and
every value: configs/recipes.py, family `upernet_swin`, row `upernet_swin_t`, dataset `ade20k`.

    python -m keras_rr.tools.train --config=configs/ade20k/upernet_swin_t_rr.py \
        --workdir=runs/ade20k/upernet_swin_t_rr --config.data.data_dir=/data/ADEChallengeData2016
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    recipes = os.path.join(os.path.dirname(__file__), "..", "recipes.py")
    return rr_config.apply_variant(rr_config.load_config(f"{recipes}:ade20k_upernet_swin_t_rr"), arg)
