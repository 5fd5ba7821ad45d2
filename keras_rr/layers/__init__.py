"""keras_rr.layers: the Region Rebalance head and the layers of this package's networks.

A face: the names are defined in `keras_rr.region_rebalance` (the region head, its
presets, the authors' feature reducer) and `keras_rr.networks.layers` (general layers)
and re-exported.

- `RegionRebalanceHead`: region pooling, region classifier and region loss; its two
  named presets `REGION_HEAD_PRESETS` ("paper", "authors"; `AUTHORS_HEAD` and
  `AUTHORS_LOSS_WEIGHT` are the authors' released branch); `Regions`;
  `RegionFeatureReducer`.
- `ImageNormalization`, `ResizeLike`, `PassThrough`, `TorchAdaptiveAveragePooling2D`;
  OCRNet's `SpatialGather` and `ObjectAttention` (`keras_rr.networks.decode_heads`).
- BEiT's: `BEiTAttention`, `BEiTTransformerLayer`, `ClassToken`.
"""

from keras_rr.networks.backbones.beit_transformer_layer import BEiTTransformerLayer

from keras_rr.networks.decode_heads.ocr_head import ObjectAttention
from keras_rr.networks.decode_heads.ocr_head import SpatialGather
from keras_rr.networks.layers.beit_attention import BEiTAttention
from keras_rr.networks.layers.class_token import ClassToken
from keras_rr.networks.layers.image_normalization import ImageNormalization
from keras_rr.networks.layers.pass_through import PassThrough
from keras_rr.networks.layers.resize_like import ResizeLike
from keras_rr.networks.layers.torch_adaptive_average_pooling import TorchAdaptiveAveragePooling2D
from keras_rr.region_rebalance.region_feature_reducer import RegionFeatureReducer
from keras_rr.region_rebalance.region_rebalance_head import AUTHORS_HEAD
from keras_rr.region_rebalance.region_rebalance_head import AUTHORS_LOSS_WEIGHT
from keras_rr.region_rebalance.region_rebalance_head import REGION_HEAD_PRESETS
from keras_rr.region_rebalance.region_rebalance_head import RegionRebalanceHead
from keras_rr.region_rebalance.region_rebalance_head import Regions
