"""Synthetic long-tailed default with Region Rebalance (λ = 0.3): the CPU-sized RR run.

A small FCN on `keras_rr.data.synthetic_long_tailed` (600 training / 200 validation
images of 64 px, 12 classes, region imbalance 30), SGD + poly, 1200 steps of batch 16
(about 32 epochs; minutes on a CPU). No download needed. Recipe: configs/synthetic/base.py;
this file sets the model and the region branch.

Launch:

    python -m keras_rr.tools.train --config=configs/synthetic/small_fcn_rr.py \
        --workdir=runs/synthetic/small_fcn_rr

Variants (--config=configs/synthetic/small_fcn_rr.py:<variant>): smoke, smoke_model,
multi_scale, authors_head. Ablations are fields, e.g. --config.loss.name=reweighting
or --config.region_rebalance.loss_weight=0.1 (benchmarks/ablations.py runs them all).
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.load_config(os.path.join(os.path.dirname(__file__), "base.py"))
    config.name = "synthetic_small_fcn_rr"

    # A small BatchNorm-free encoder-decoder CNN (`keras_rr.models.segmenter_builders.small_fcn`).
    config.model.name = "small_fcn"
    config.model.width = 32
    config.model.image_size = 64

    # Region Rebalance: the region branch with the region prior, weight λ.
    config.region_rebalance.enabled = True
    config.region_rebalance.loss_weight = 0.3
    config.region_rebalance.rebalance = True
    return rr_config.apply_variant(config, arg)
