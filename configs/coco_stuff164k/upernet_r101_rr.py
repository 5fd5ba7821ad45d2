"""`upernet_r101` on `coco_stuff164k` with Region Rebalance, λ = 0.3 (paper Table 4).

Paper mIoU single-scale / multi-scale (`:multi_scale`): 42.30 / 42.78; baseline 41.15 / 41.51.
Network and weights: `uper_net_resnet_c`, encoder from KerasHub's `resnet_vd_101_imagenet`
(`:random_init`: random weights). The paper's encoder, mmseg's ResNetV1c with the open-mmlab
weights (a local file): `:resnet_v1c` with `--config.model.encoder_checkpoint=/path/resnet101_v1c.pth`.
How they and the recipe differ from the paper's, and
every value: configs/recipes.py, family `upernet_resnet_c`, row `upernet_r101`, dataset `coco_stuff164k`.

    python -m keras_rr.tools.train --config=configs/coco_stuff164k/upernet_r101_rr.py \
        --workdir=runs/coco_stuff164k/upernet_r101_rr --config.data.data_dir=/data/coco_stuff164k
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    recipes = os.path.join(os.path.dirname(__file__), "..", "recipes.py")
    return rr_config.apply_variant(rr_config.load_config(f"{recipes}:coco_stuff164k_upernet_r101_rr"), arg)
