"""`upernet_r50` on `ade20k` with Region Rebalance, λ = 0.3 (paper Table 3).

Paper mIoU single-scale / multi-scale (`:multi_scale`): 43.27 / 44.03; baseline 42.05 / 42.78.
Network and weights: `uper_net_resnet_c`, encoder from KerasHub's `resnet_vd_50_imagenet`
(`:random_init`: random weights). The paper's encoder, mmseg's ResNetV1c with the open-mmlab
weights (a local file): `:resnet_v1c` with `--config.model.encoder_checkpoint=/path/resnet50_v1c.pth`.
How they and the recipe differ from the paper's, and
every value: configs/recipes.py, family `upernet_resnet_c`, row `upernet_r50`, dataset `ade20k`.

    python -m keras_rr.tools.train --config=configs/ade20k/upernet_r50_rr.py \
        --workdir=runs/ade20k/upernet_r50_rr --config.data.data_dir=/data/ADEChallengeData2016
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    recipes = os.path.join(os.path.dirname(__file__), "..", "recipes.py")
    return rr_config.apply_variant(rr_config.load_config(f"{recipes}:ade20k_upernet_r50_rr"), arg)
