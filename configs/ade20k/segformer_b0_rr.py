"""SegFormer MiT-B0 on ADE20K with Region Rebalance, λ = 0.3 (AdamW recipe of SegFormer).

Not a paper row (its transformer rows use Swin and BEiT); a light model for smaller GPUs.
Recipe: configs/ade20k/base.py (docs/method.md, section 6): batch 16 of 512 crops, 160K steps,
sliding-window evaluation. This file sets the model, the region branch and SegFormer's own
optimizer (AdamW lr 6e-5, weight decay 0.01, poly power 1.0 after a 1500-step linear
warmup) in place of the base's SGD.

Network and weights: KerasHub's SegFormer-B0 (`model.name = "segformer_mit"`), encoder
from the `mit_b0_ade20k_512` preset, the only MiT weights KerasHub ships. They are not
ImageNet-1k weights: they are the encoder of a SegFormer already trained on ADE20K, so
on ADE20K the encoder has seen the training set (and on other datasets it brings
ADE20K's classes); numbers are not comparable with ImageNet-initialised SegFormer runs.
The decoder starts from random weights. `:random_init` trains from random weights,
offline; --config.model.backbone_preset=DIR takes a `save_to_preset` directory.

Launch:

    python -m keras_rr.tools.train --config=configs/ade20k/segformer_b0_rr.py \
        --workdir=runs/ade20k/segformer_b0_rr --config.data.data_dir=/data/ADEChallengeData2016

Variants (--config=configs/ade20k/segformer_b0_rr.py:<variant>): smoke, smoke_model, multi_scale,
authors_head, random_init (comma-separated to combine).
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.load_config(os.path.join(os.path.dirname(__file__), "base.py"))
    config.name = "ade20k_segformer_b0_rr"

    # SegFormer on a Mix Transformer encoder.
    config.model.name = "segformer_mit"
    config.auxiliary_head.enabled = False  # mmseg's SegFormer has no auxiliary head
    config.model.variant = "b0"
    config.model.image_size = 512
    config.model.backbone_preset = "mit_b0_ade20k_512"  # see the docstring: ADE20K-trained

    # SegFormer's own recipe instead of the base's SGD: AdamW, poly 1.0 after a linear warmup.
    config.optimizer.name = "adamw"
    config.optimizer.learning_rate = 6e-5
    config.optimizer.weight_decay = 0.01
    config.optimizer.beta_1 = 0.9
    config.optimizer.beta_2 = 0.999
    config.schedule.name = "poly"
    config.schedule.power = 1.0
    config.schedule.end_learning_rate = 0.0
    config.schedule.warmup_steps = 1500
    config.schedule.warmup_ratio = 1e-6

    # Region Rebalance: the region branch with the region prior, weight λ.
    config.region_rebalance.enabled = True
    config.region_rebalance.loss_weight = 0.3
    config.region_rebalance.rebalance = True
    return rr_config.apply_variant(config, arg)
