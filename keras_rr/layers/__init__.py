"""Layers: the Region Rebalance head and the in-model image normalisation.

`RegionRebalanceHead` is defined with the rest of the method in
`keras_rr.region_rebalance`; `ImageNormalization` here.
"""

from keras_rr.layers.image_normalization import ImageNormalization
from keras_rr.region_rebalance.region_feature_reducer import RegionFeatureReducer
from keras_rr.region_rebalance.region_rebalance_head import AUTHORS_HEAD
from keras_rr.region_rebalance.region_rebalance_head import AUTHORS_LOSS_WEIGHT
from keras_rr.region_rebalance.region_rebalance_head import RegionRebalanceHead
from keras_rr.region_rebalance.region_rebalance_head import Regions
