"""keras_rr.inference: whole-image, sliding-window and multi-scale + flip inference.

Works on any model mapping images to per-pixel class scores (e.g. the exported
segmenter); `evaluate_segmenter` streams a dataset into `keras_rr.metrics` results.
"""

from keras_rr.inference.dataset_evaluation import evaluate_segmenter
from keras_rr.inference.predict import DEFAULT_SCALES
from keras_rr.inference.predict import default_stride
from keras_rr.inference.predict import model_input_size
from keras_rr.inference.predict import predict_labels
from keras_rr.inference.predict import predict_multi_scale
from keras_rr.inference.predict import predict_probabilities
from keras_rr.inference.predict import predict_sliding_window
from keras_rr.inference.predict import predict_whole

__all__ = [
    "DEFAULT_SCALES",
    "default_stride",
    "evaluate_segmenter",
    "model_input_size",
    "predict_labels",
    "predict_multi_scale",
    "predict_probabilities",
    "predict_sliding_window",
    "predict_whole",
]


def __dir__():
    return sorted(__all__)
