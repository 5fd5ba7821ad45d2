"""Export the plain segmenter (no region branch) for inference."""

from keras_rr.export.export_segmenter import EXPORT_FORMATS
from keras_rr.export.export_segmenter import export_segmenter
