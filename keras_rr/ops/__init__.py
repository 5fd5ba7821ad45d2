"""Backend-agnostic ops for Region Rebalance."""

from keras_rr.region_rebalance.region_pooling import check_labels
from keras_rr.region_rebalance.region_pooling import region_mean
from keras_rr.region_rebalance.region_pooling import sample_labels_nearest
