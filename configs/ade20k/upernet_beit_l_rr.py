"""`upernet_beit_l` on `ade20k` with Region Rebalance, λ = 0.3 (paper Table 3).

Paper mIoU single-scale / multi-scale (`:multi_scale`): 57.2 / 57.7; baseline 56.7 / 57.0.
Network and weights: `uper_net_beit` (BEiT-L, UPerNet BEiT-L† in the paper); the encoder from
the BEiT authors' ImageNet-22K checkpoint `beit_large_patch16_224_pt22k_ft22k.pth`, a local
file given with --config.model.encoder_checkpoint (its relative-position tables resized to
640 px on loading); without it, random weights. How they and the recipe (mmseg's: AdamW 2e-5,
weight decay 0.05, layer-wise lr decay 0.95, warmup 3,000, poly 1.0, 640 crops, sliding
window 640 / 426) differ from the paper's, and every value: configs/recipes.py, family
`upernet_beit`, row `upernet_beit_l`, dataset `ade20k`.

    python -m keras_rr.tools.train --config=configs/ade20k/upernet_beit_l_rr.py \
        --workdir=runs/ade20k/upernet_beit_l_rr --config.data.data_dir=/data/ADEChallengeData2016 \
        --config.model.encoder_checkpoint=/path/beit_large_patch16_224_pt22k_ft22k.pth
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    recipes = os.path.join(os.path.dirname(__file__), "..", "recipes.py")
    return rr_config.apply_variant(rr_config.load_config(f"{recipes}:ade20k_upernet_beit_l_rr"), arg)
