"""Layers: the Region Rebalance head and the in-model image normalisation.

`RegionRebalanceHead` is defined with the rest of the method in
`keras_rr.region_rebalance`; `ImageNormalization` here.
"""

from keras_rr.layers.image_normalization import ImageNormalization
from keras_rr.region_rebalance.region_rebalance_head import RegionRebalanceHead
