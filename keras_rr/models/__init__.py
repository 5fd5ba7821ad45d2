"""Models: the Region Rebalance training wrapper and segmenter builders."""

from keras_rr.models.region_rebalance_segmenter import RegionRebalanceSegmenter
from keras_rr.models.region_rebalance_segmenter import resolve_region_frequency
from keras_rr.models.segmenter_tap import tap_segmenter
