"""Synthetic long-tailed default, pixel cross-entropy baseline: the CPU-sized reference run.

A small FCN on `keras_rr.data.synthetic_long_tailed` (600 training / 200 validation
images of 64 px, 12 classes, region imbalance 30), SGD + poly, 1200 steps of batch 16
(about 32 epochs; minutes on a CPU). No download needed.

Launch:

    python -m keras_rr.tools.train --config=configs/synthetic/small_fcn_baseline.py \
        --workdir=runs/synthetic/small_fcn_baseline

Variants (--config=configs/synthetic/small_fcn_baseline.py:<variant>): smoke, smoke_model,
multi_scale, authors_head. Ablations are fields, e.g. --config.loss.name=reweighting
or --config.region_rebalance.loss_weight=0.1 (benchmarks/ablations.py runs them all).
"""

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.synthetic_config(region_rebalance=False)
    return rr_config.apply_variant(config, arg)
