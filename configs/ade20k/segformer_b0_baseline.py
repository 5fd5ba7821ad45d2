"""`segformer_b0` on `ade20k`, the pixel cross-entropy baseline: SegFormer's AdamW recipe, not a paper row.

A light model for smaller GPUs (its encoder was trained on ADE20K itself); with Region Rebalance: segformer_b0_rr.py.
Network and weights: `segformer_mit`, encoder from KerasHub's `mit_b0_ade20k_512`
(`:random_init`: random weights). How they and the recipe differ from the paper's, and
every value: configs/recipes.py, family `segformer_mit`, row `segformer_b0`, dataset `ade20k`.

    python -m keras_rr.tools.train --config=configs/ade20k/segformer_b0_baseline.py \
        --workdir=runs/ade20k/segformer_b0_baseline --config.data.data_dir=/data/ADEChallengeData2016
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    recipes = os.path.join(os.path.dirname(__file__), "..", "recipes.py")
    return rr_config.apply_variant(rr_config.load_config(f"{recipes}:ade20k_segformer_b0_baseline"), arg)
