"""`upernet_swin_b` on `ade20k`, the pixel cross-entropy baseline (paper Table 3).

Paper mIoU single-scale / multi-scale (`:multi_scale`): 50.04 / 51.66; with Region Rebalance 51.20 / 52.88.
Network and weights: `uper_net_swin`, encoder from KerasHub's `swin_base_patch4_window12_384`
(`:random_init`: random weights). How they and the recipe differ from the paper's, and
every value: configs/recipes.py, family `upernet_swin`, row `upernet_swin_b`, dataset `ade20k`.

    python -m keras_rr.tools.train --config=configs/ade20k/upernet_swin_b_baseline.py \
        --workdir=runs/ade20k/upernet_swin_b_baseline --config.data.data_dir=/data/ADEChallengeData2016
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    recipes = os.path.join(os.path.dirname(__file__), "..", "recipes.py")
    return rr_config.apply_variant(rr_config.load_config(f"{recipes}:ade20k_upernet_swin_b_baseline"), arg)
