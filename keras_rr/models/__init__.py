"""Models: the Region Rebalance training wrapper and segmenter builders.

`RegionRebalanceSegmenter` and `tap_segmenter` are defined in
`keras_rr.region_rebalance`; the builders of supported segmenters from explicit configs
and KerasHub presets live in `keras_rr.models.segmenter_builders`; preset resolution that
fails fast offline, and `segmenter_from_preset` (any KerasHub segmentation task preset), in
`keras_rr.models.presets`.
"""

from keras_rr.data.class_statistics import resolve_region_frequency
from keras_rr.models import presets
from keras_rr.models.normalized_segmenter import NormalizedSegmenter
from keras_rr.models.presets import PresetUnavailableError
from keras_rr.models.presets import segmenter_from_preset
from keras_rr.region_rebalance.region_rebalance_segmenter import RegionRebalanceSegmenter
from keras_rr.region_rebalance.segmenter_tap import tap_segmenter
