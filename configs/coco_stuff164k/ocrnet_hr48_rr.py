"""`ocrnet_hr48` on `coco_stuff164k` with Region Rebalance, λ = 0.3 (paper Table 4).

Paper mIoU single-scale / multi-scale (`:multi_scale`): 41.83 / 43.29; baseline 40.40 / 41.66.
Network and weights: `ocr_net_hrnet` (HRNetV2-W48, FCN + OCR heads, the FCN head's loss
at weight 0.4), encoder from mmseg's `open-mmlab://msra/hrnetv2_w48` ImageNet checkpoint
`hrnetv2_w48-d2186c55.pth`, a local file given with `--config.model.encoder_checkpoint`
(`:random_init`, or no file: random weights). How they and the recipe (mmseg's, weight
decay 5e-4) differ from the paper's, and every value: configs/recipes.py, family
`ocrnet_hrnet`, row `ocrnet_hr48`, dataset `coco_stuff164k`.

    python -m keras_rr.tools.train --config=configs/coco_stuff164k/ocrnet_hr48_rr.py \
        --workdir=runs/coco_stuff164k/ocrnet_hr48_rr --config.data.data_dir=/data/coco_stuff164k \
        --config.model.encoder_checkpoint=/weights/hrnetv2_w48-d2186c55.pth
"""

import os

from keras_rr.training import config as rr_config


def get_config(arg=None):
    recipes = os.path.join(os.path.dirname(__file__), "..", "recipes.py")
    return rr_config.apply_variant(rr_config.load_config(f"{recipes}:coco_stuff164k_ocrnet_hr48_rr"), arg)
