r"""Exports the inference segmenter of a trained model, without the region branch.

Usage:
  python -m keras_rr.tools.export --model=workdir/model.keras --output=segmenter.keras
  python -m keras_rr.tools.export --model=workdir/model.keras --output=saved/ \
      --format=tf_saved_model
"""

import json

from absl import app
from absl import flags
from absl import logging

_MODEL = flags.DEFINE_string("model", None, "A saved `.keras` model (wrapper or segmenter).", required=True)
_OUTPUT = flags.DEFINE_string("output", None, "Output `.keras` file or SavedModel directory.", required=True)
_FORMAT = flags.DEFINE_enum("format", "keras", ["keras", "tf_saved_model"], "Export format.")
_ATOL = flags.DEFINE_float("atol", 1e-5, "Largest accepted output difference in the check.")


def main(argv):
    del argv
    import keras

    import keras_rr

    model = keras.saving.load_model(_MODEL.value, compile=False)
    report = keras_rr.export.export_segmenter(model, _OUTPUT.value, format=_FORMAT.value, atol=_ATOL.value)
    logging.info("Exported: %s", report)
    print(json.dumps(report))


if __name__ == "__main__":
    app.run(main)
