"""SegFormer MiT-B0 on ADE20K with Region Rebalance, λ = 0.3 (AdamW recipe of SegFormer).

Not a paper row (its transformer rows use Swin and BEiT); a light model for smaller GPUs.
Recipe: keras_rr.training.config.paper_config (method.md §6). Paper numbers need an
ImageNet-pretrained encoder: pass one with --config.model.encoder_weights=<.weights.h5>.

Launch:

    python -m keras_rr.tools.train --config=configs/ade20k/segformer_b0_rr.py \
        --workdir=runs/ade20k/segformer_b0_rr --config.data.data_dir=/data/ADEChallengeData2016

Variants (--config=configs/ade20k/segformer_b0_rr.py:<variant>): smoke, smoke_model, multi_scale,
authors_head (comma-separated to combine).
"""

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.paper_config(
        "ade20k", model="segformer_mit", variant="b0", region_rebalance=True
    )
    return rr_config.apply_variant(config, arg)
