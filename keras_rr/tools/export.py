r"""Exports the inference segmenter of a trained model, without the region branch, verified.

The artifact is loaded back by its own runtime and compared with the model before it is
written (see `keras_rr.export.export_segmenter`); the JSON report on the last line gives
the measured difference. Quiet by default (`--verbose` keeps library logs).

Usage:
  python -m keras_rr.tools.export --model=workdir/model.keras --output=segmenter.keras
  python -m keras_rr.tools.export --model=workdir/model.keras --output=saved/ \
      --format=tf_saved_model
  KERAS_BACKEND=tensorflow python -m keras_rr.tools.export --model=workdir/model.keras \
      --output=segmenter.onnx --format=onnx --outputs=labels
  python -m keras_rr.tools.export --model=workdir/model.keras --output=segmenter.tflite \
      --sample_images=val_images.npy --rtol=1e-3
"""

import json

import keras
import numpy as np
from absl import app
from absl import flags

from keras_rr.export.export_segmenter import export_segmenter
from keras_rr.tools.quiet import define_verbose_flag

define_verbose_flag()  # quiet by default; see keras_rr/tools/quiet.py
_MODEL = flags.DEFINE_string("model", None, "A saved `.keras` model (wrapper or segmenter).", required=True)
_OUTPUT = flags.DEFINE_string(
    "output", None, "Output `.keras` / `.onnx` / `.tflite` file or SavedModel directory.", required=True
)
_FORMAT = flags.DEFINE_enum(
    "format", None, ["keras", "tf_saved_model", "onnx", "litert"],
    "Export format. Default: from --output (.keras, .onnx, .tflite, else tf_saved_model).",
)
_OUTPUTS = flags.DEFINE_enum(
    "outputs", "logits", ["logits", "labels"], "Per-pixel logits, or labels + scores computed in the graph."
)
_SAMPLE_IMAGES = flags.DEFINE_string(
    "sample_images", None, "A `.npy` batch (N, H, W, C) to verify on. Default: random images of the input size."
)
_RTOL = flags.DEFINE_float("rtol", 1e-4, "Largest accepted max |difference| over the largest |output|.")
_MIN_ARGMAX_AGREEMENT = flags.DEFINE_float(
    "min_argmax_agreement", 0.999, "Smallest accepted fraction of pixels with the model's class."
)
_VERIFY = flags.DEFINE_bool("verify", True, "Load the artifact in its runtime and compare (--noverify skips).")


def main(argv):
    del argv
    model = keras.saving.load_model(_MODEL.value, compile=False)
    sample_images = np.load(_SAMPLE_IMAGES.value) if _SAMPLE_IMAGES.value else None
    report = export_segmenter(
        model,
        _OUTPUT.value,
        format=_FORMAT.value,
        outputs=_OUTPUTS.value,
        sample_images=sample_images,
        rtol=_RTOL.value,
        min_argmax_agreement=_MIN_ARGMAX_AGREEMENT.value,
        verify=_VERIFY.value,
    )
    print(json.dumps(report))


if __name__ == "__main__":
    app.run(main)
