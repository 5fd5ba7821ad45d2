"""Synthetic long-tailed default, pixel cross-entropy baseline: the CPU-sized reference run.

A small FCN on `keras_rr.data.synthetic_long_tailed` (600 training / 200 validation images of 64 px,
12 classes, region imbalance 30), SGD + poly, 1200 steps of batch 16 (about 32 epochs; minutes on a CPU).
No download needed.
Every value: configs/recipes.py, dataset `synthetic`, row `small_fcn`.

    python -m keras_rr.tools.train --config=configs/synthetic/small_fcn_baseline.py \
        --workdir=runs/synthetic/small_fcn_baseline
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    recipes = os.path.join(os.path.dirname(__file__), "..", "recipes.py")
    return rr_config.apply_variant(rr_config.load_config(f"{recipes}:synthetic_small_fcn_baseline"), arg)
