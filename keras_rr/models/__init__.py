"""Models: the Region Rebalance training wrapper and segmenter builders.

`RegionRebalanceSegmenter` and `tap_segmenter` are defined in
`keras_rr.region_rebalance`; the builders of supported segmenters from explicit configs
live in `keras_rr.models.segmenter_builders`.
"""

from keras_rr.data.class_statistics import resolve_region_frequency
from keras_rr.models.normalized_segmenter import NormalizedSegmenter
from keras_rr.region_rebalance.region_rebalance_segmenter import RegionRebalanceSegmenter
from keras_rr.region_rebalance.segmenter_tap import tap_segmenter
