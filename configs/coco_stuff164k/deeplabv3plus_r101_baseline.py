"""`deeplabv3plus_r101` on `coco_stuff164k`, the pixel cross-entropy baseline (paper Table 4).

Paper mIoU single-scale / multi-scale (`:multi_scale`): 42.39 / 42.96; with Region Rebalance 43.93 / 44.62.
Network and weights: `deeplab_v3_plus_resnet_c`, encoder from KerasHub's `resnet_vd_101_imagenet`
(`:random_init`: random weights). The paper's encoder, mmseg's ResNetV1c with the open-mmlab
weights (a local file): `:resnet_v1c` with `--config.model.encoder_checkpoint=/path/resnet101_v1c.pth`.
How they and the recipe differ from the paper's, and
every value: configs/recipes.py, family `deeplabv3plus_resnet_c`, row `deeplabv3plus_r101`, dataset `coco_stuff164k`.

    python -m keras_rr.tools.train --config=configs/coco_stuff164k/deeplabv3plus_r101_baseline.py \
        --workdir=runs/coco_stuff164k/deeplabv3plus_r101_baseline --config.data.data_dir=/data/coco_stuff164k
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    recipes = os.path.join(os.path.dirname(__file__), "..", "recipes.py")
    return rr_config.apply_variant(rr_config.load_config(f"{recipes}:coco_stuff164k_deeplabv3plus_r101_baseline"), arg)
