"""Synthetic long-tailed base recipe: the CPU-sized default, stated in full.

`keras_rr.data.synthetic_long_tailed` (600 training / 200 validation images of 64 px,
12 classes, region imbalance 30; generated, no download), a small FCN, SGD (momentum
0.9, lr 0.01, weight decay 1e-4) with the poly schedule (power 0.9), 1200 steps of
batch 16 (about 32 epochs; minutes on a CPU), whole-image evaluation. The
`small_fcn_*` files load this file and set the model and the region branch. As a run of
its own it is the small-FCN baseline.

Launch:

    python -m keras_rr.tools.train --config=configs/synthetic/base.py \
        --workdir=runs/synthetic/base

Variants (--config=configs/synthetic/base.py:<variant>): smoke, smoke_model,
multi_scale, authors_head (comma-separated to combine).
"""

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.default_config()
    config.name = "synthetic_base"

    # Data: generated in memory (`keras_rr.data.synthetic_long_tailed`), no augmentation.
    config.data.name = "synthetic"
    config.data.num_classes = 12
    config.data.ignore_class = 255
    config.data.synthetic.num_images = 600
    config.data.synthetic.val_images = 200
    config.data.synthetic.image_size = 64
    config.data.synthetic.imbalance = 30.0
    config.data.synthetic.noise = 0.06
    config.data.synthetic.seed = 0
    config.data.synthetic.val_seed = 1
    config.data.synthetic.class_seed = 0
    config.data.augment.enabled = False

    # Model (the small_fcn_* files set their own).
    config.model.name = "small_fcn"
    config.model.width = 32
    config.model.image_size = 64

    # Region Rebalance off; small_fcn_rr.py enables it.
    config.region_rebalance.enabled = False
    config.region_rebalance.loss_weight = 0.3
    config.loss.name = "cross_entropy"

    # Optimizer and schedule.
    config.optimizer.name = "sgd"
    config.optimizer.learning_rate = 0.01
    config.optimizer.momentum = 0.9
    config.optimizer.weight_decay = 1e-4
    config.schedule.name = "poly"
    config.schedule.power = 0.9
    config.schedule.end_learning_rate = 0.0
    config.schedule.warmup_steps = 0

    # Training.
    config.train.batch_size = 16
    config.train.total_steps = 1200
    config.train.checkpoint_every = 200
    config.train.log_every = 20
    config.train.eval_every = 400
    config.train.seed = 0

    # Evaluation: 64 px images, whole-image inference (multi_scale variant: 0.5-1.75 + flip).
    config.eval.mode = "whole"
    config.eval.batch_size = 16
    config.eval.scales = rr_config.PAPER_SCALES
    config.eval.flip = True
    return rr_config.apply_variant(config, arg)
