"""keras_rr.metrics: segmentation confusion matrix, mIoU/mAcc/aAcc and per-class reports.

`SegmentationConfusionMatrix` is the streaming Keras metric (use it in `compile`); the
NumPy functions give the same numbers outside a graph and compare runs, and the LTSS
rare/common/frequent group mIoU (`frequency_groups`, `frequency_group_miou`) (paper Fig.
3/5/6, Table 2; the conventions are in `docs/method.md`, section 5). Plot helpers
import matplotlib only when called.
"""

from keras_rr.metrics.analysis import delta_per_class
from keras_rr.metrics.analysis import frequency_order
from keras_rr.metrics.analysis import head_body_tail_split
from keras_rr.metrics.analysis import head_body_tail_summary
from keras_rr.metrics.analysis import imbalance_factor
from keras_rr.metrics.analysis import pearson_r
from keras_rr.metrics.analysis import per_class_table
from keras_rr.metrics.frequency_groups import class_frequencies
from keras_rr.metrics.frequency_groups import frequency_group_miou
from keras_rr.metrics.frequency_groups import frequency_groups
from keras_rr.metrics.plotting import plot_frequency_histogram
from keras_rr.metrics.plotting import plot_per_class_delta
from keras_rr.metrics.segmentation_confusion_matrix import SegmentationConfusionMatrix
from keras_rr.metrics.segmentation_metrics import SegmentationMetrics
from keras_rr.metrics.segmentation_metrics import confusion_matrix_numpy
from keras_rr.metrics.segmentation_metrics import metrics_from_confusion_matrix

__all__ = [
    "SegmentationConfusionMatrix",
    "SegmentationMetrics",
    "class_frequencies",
    "confusion_matrix_numpy",
    "delta_per_class",
    "frequency_group_miou",
    "frequency_groups",
    "frequency_order",
    "head_body_tail_split",
    "head_body_tail_summary",
    "imbalance_factor",
    "metrics_from_confusion_matrix",
    "pearson_r",
    "per_class_table",
    "plot_frequency_histogram",
    "plot_per_class_delta",
]


def __dir__():
    return sorted(__all__)
