"""Synthetic long-tailed base: the CPU-sized recipe with the small FCN, as a baseline.

A small FCN on `keras_rr.data.synthetic_long_tailed` (600 training / 200 validation images of 64 px,
12 classes, region imbalance 30), SGD + poly, 1200 steps of batch 16 (about 32 epochs; minutes on a CPU).
No download. Ablations are fields (--config.loss.name=reweighting, --config.region_rebalance.loss_weight=0.1).
Every value: configs/recipes.py, DATASETS["synthetic"] with the BASE_ROWS["synthetic"] network.

    python -m keras_rr.tools.train --config=configs/synthetic/base.py \
        --workdir=runs/synthetic/base
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    recipes = os.path.join(os.path.dirname(__file__), "..", "recipes.py")
    return rr_config.apply_variant(rr_config.load_config(f"{recipes}:synthetic_base"), arg)
