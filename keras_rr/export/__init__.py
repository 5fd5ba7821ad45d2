"""Export the plain segmenter (no region branch) for inference, verified in its runtime.

Formats: `keras`, `tf_saved_model`, `onnx`, `litert` (`FORMAT_BACKENDS` says which
backend writes which). Converters and runtimes (TensorFlow, tf2onnx, onnxruntime, the
LiteRT interpreter) are imported only by the functions that use them.
"""

from keras_rr.export.export_error import ExportError
from keras_rr.export.export_segmenter import export_segmenter
from keras_rr.export.inference_model import EXPORT_OUTPUTS
from keras_rr.export.inference_model import inference_model
from keras_rr.export.segmentation_labels import SegmentationLabels
from keras_rr.export.verification import compare_outputs
from keras_rr.export.verification import verify_export
from keras_rr.export.writers import EXPORT_FORMATS
from keras_rr.export.writers import FORMAT_BACKENDS

__all__ = [
    "EXPORT_FORMATS",
    "EXPORT_OUTPUTS",
    "ExportError",
    "FORMAT_BACKENDS",
    "SegmentationLabels",
    "compare_outputs",
    "export_segmenter",
    "inference_model",
    "verify_export",
]


def __dir__():
    return sorted(__all__)
