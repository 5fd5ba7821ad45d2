"""Layers: the Region Rebalance head (defined in `keras_rr.region_rebalance`)."""

from keras_rr.region_rebalance.region_rebalance_head import RegionRebalanceHead
