"""Synthetic long-tailed default with Region Rebalance (λ = 0.3): the CPU-sized RR run.

A small FCN on `keras_rr.data.synthetic_long_tailed` (600 training / 200 validation images of 64 px,
12 classes, region imbalance 30), SGD + poly, 1200 steps of batch 16 (about 32 epochs; minutes on a CPU).
No download. Ablations are fields (--config.loss.name=reweighting, --config.region_rebalance.loss_weight=0.1).
The region branch: REGION_REBALANCE in configs/recipes.py; every other value: dataset `synthetic`, row `small_fcn`.

    python -m keras_rr.tools.train --config=configs/synthetic/small_fcn_rr.py \
        --workdir=runs/synthetic/small_fcn_rr
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    recipes = os.path.join(os.path.dirname(__file__), "..", "recipes.py")
    return rr_config.apply_variant(rr_config.load_config(f"{recipes}:synthetic_small_fcn_rr"), arg)
