"""keras_rr.ops: backend-agnostic ops of Region Rebalance.

A face: `region_mean`, `resize_bilinear_align_corners` and `sample_labels_nearest` are
defined in `keras_rr.region_rebalance.region_pooling`, `check_labels` in
`keras_rr.validation`.
"""

from keras_rr.region_rebalance.region_pooling import region_mean
from keras_rr.region_rebalance.region_pooling import resize_bilinear_align_corners
from keras_rr.region_rebalance.region_pooling import sample_labels_nearest
from keras_rr.validation import check_labels
