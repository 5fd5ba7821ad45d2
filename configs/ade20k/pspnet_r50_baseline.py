"""`pspnet_r50` on `ade20k`, the pixel cross-entropy baseline (paper Table 3).

Paper mIoU single-scale / multi-scale (`:multi_scale`): 42.48 / 43.44; with Region Rebalance 42.83 / 44.26.
Network and weights: `psp_net_resnet_c`, encoder from KerasHub's `resnet_vd_50_imagenet`
(`:random_init`: random weights). The paper's encoder, mmseg's ResNetV1c with the open-mmlab
weights (a local file): `:resnet_v1c` with `--config.model.encoder_checkpoint=/path/resnet50_v1c.pth`.
How they and the recipe differ from the paper's, and
every value: configs/recipes.py, family `pspnet_resnet_c`, row `pspnet_r50`, dataset `ade20k`.

    python -m keras_rr.tools.train --config=configs/ade20k/pspnet_r50_baseline.py \
        --workdir=runs/ade20k/pspnet_r50_baseline --config.data.data_dir=/data/ADEChallengeData2016
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    recipes = os.path.join(os.path.dirname(__file__), "..", "recipes.py")
    return rr_config.apply_variant(rr_config.load_config(f"{recipes}:ade20k_pspnet_r50_baseline"), arg)
