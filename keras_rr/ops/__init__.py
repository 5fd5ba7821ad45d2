"""Backend-agnostic ops of Region Rebalance (defined in `keras_rr.region_rebalance`)."""

from keras_rr.region_rebalance.region_pooling import region_mean
from keras_rr.region_rebalance.region_pooling import resize_bilinear_align_corners
from keras_rr.region_rebalance.region_pooling import sample_labels_nearest
from keras_rr.validation import check_labels
