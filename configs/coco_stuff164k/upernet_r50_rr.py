"""`upernet_r50` on `coco_stuff164k` with Region Rebalance, λ = 0.3 (paper Table 4).

Paper mIoU single-scale / multi-scale (`:multi_scale`): 41.20 / 41.73; baseline 39.86 / 40.26.
Network and weights: `uper_net_resnet_c`, encoder from KerasHub's `resnet_vd_50_imagenet`
(`:random_init`: random weights). The paper's encoder, mmseg's ResNetV1c with the open-mmlab
weights (a local file): `:resnet_v1c` with `--config.model.encoder_checkpoint=/path/resnet50_v1c.pth`.
How they and the recipe differ from the paper's, and
every value: configs/recipes.py, family `upernet_resnet_c`, row `upernet_r50`, dataset `coco_stuff164k`.

    python -m keras_rr.tools.train --config=configs/coco_stuff164k/upernet_r50_rr.py \
        --workdir=runs/coco_stuff164k/upernet_r50_rr --config.data.data_dir=/data/coco_stuff164k
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    recipes = os.path.join(os.path.dirname(__file__), "..", "recipes.py")
    return rr_config.apply_variant(rr_config.load_config(f"{recipes}:coco_stuff164k_upernet_r50_rr"), arg)
