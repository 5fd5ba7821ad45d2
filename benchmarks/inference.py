r"""Exported segmenter latency / original segmenter latency (must be 1.00x within noise).

The export is `model.segmenter` saved and reloaded: the same graph, no extra ops. "Within
noise" is measured too: a second functional view of the original model, compiled on its
own, is timed in the same rounds, and its ratio is what two copies of one graph get.

By default each timed `predict` returns what a deployed segmenter hands on: per pixel, the
predicted class and its score (argmax and max of the logits, inside the compiled predict
function). `--outputs=logits` returns the full `(B, H, W, K)` logits instead; at the paper
setting (512 px, batch 8, K=150) that is 1.26 GB per batch copied to the host and
concatenated by `predict`; on a GPU that copy takes several times the forward pass, so the
ratio measures host copies rather than the two graphs.

  KERAS_BACKEND=jax python benchmarks/inference.py
  KERAS_BACKEND=torch python benchmarks/inference.py --depth=50 --image_size=512 --batch_size=8
"""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from benchmarks.model_flags import define_model_flags  # noqa: E402

_MODEL = define_model_flags()
_STEPS = flags.DEFINE_integer("steps", 5, "Batches per timed predict call.")
_REPEATS = flags.DEFINE_integer("repeats", 6, "Interleaved rounds (a multiple of 3: original, exported, twin).")
_OUTPUTS = flags.DEFINE_enum(
    "outputs", "labels", ["labels", "logits"],
    "What each timed predict returns: per-pixel class and score, or the full logits.",
)


def _progress(message, start=time.perf_counter()):
    # To stderr, so a run cut off by its time limit still says how far it got.
    print(f"[{time.perf_counter() - start:.0f} s] {message}", file=sys.stderr, flush=True)


def main(argv):
    del argv
    import keras
    import numpy as np

    import keras_rr
    from benchmarks import timing
    from keras_rr.models import deeplab_v3_plus_resnet

    depth, size, batch, k = _MODEL.values()
    segmenter = deeplab_v3_plus_resnet(k, depth=depth, image_size=size)
    wrapper = keras_rr.models.RegionRebalanceSegmenter(segmenter, k, region_frequency=np.ones(k))
    images = np.random.default_rng(0).uniform(0, 255, size=(batch * _STEPS.value, size, size, 3)).astype("float32")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "segmenter.keras")
        start = time.perf_counter()
        # Outputs are compared below through the very `predict` calls that are timed,
        # which saves the export check's own two compilations (slow on GPU).
        keras_rr.export.export_segmenter(wrapper, path, verify=False)
        export_seconds = time.perf_counter() - start
        _progress(f"exported in {export_seconds:.0f} s")
        exported = keras.saving.load_model(path)

    # Plain functional views of both, so `predict` is Keras' own (KerasHub tasks wrap
    # predict in a preprocessing pipeline that needs TensorFlow).
    original = _view(segmenter, _OUTPUTS.value)
    original_twin = _view(segmenter, _OUTPUTS.value)
    exported = _view(exported, _OUTPUTS.value)

    def run(model):
        return lambda: model.predict(images, batch_size=batch, verbose=0)

    # Also compiles both. Scores are the logits' per-pixel max, so any difference
    # between the two graphs' logits at the winning class shows here too.
    max_abs_diff, labels_differ = _differences(run(original)(), run(exported)())
    run(original_twin)()
    _progress("predict functions compiled; timing")
    ratios, seconds, t_orig = timing.interleaved_ratios(
        {"exported": run(exported), "twin": run(original_twin)}, run(original), _REPEATS.value
    )
    steps = _STEPS.value
    print(
        f"| {keras.backend.backend()} | {timing.device_name()} | R{depth} {size}px b{batch} "
        f"| {1000 * t_orig / steps:.1f} ms | {1000 * seconds['exported'] / steps:.1f} ms "
        f"| **{ratios['exported']:.3f}x** | noise floor (original twin) {ratios['twin']:.3f}x "
        f"| max abs diff {max_abs_diff:.1e}, labels differing {labels_differ} "
        f"| outputs={_OUTPUTS.value} | export {export_seconds:.0f} s |"
    )


def _view(model, outputs):
    """A functional model over `model`'s layers returning logits, or labels and scores."""
    import keras
    from keras import ops

    logits = model.outputs[0]
    if outputs == "logits":
        return keras.Model(model.inputs, logits)
    return keras.Model(model.inputs, {"labels": ops.argmax(logits, axis=-1), "scores": ops.max(logits, axis=-1)})


def _differences(a, b):
    """(max abs difference of logits or scores, number of differing labels)."""
    import numpy as np

    if not isinstance(a, dict):
        return float(np.max(np.abs(a - b))), 0
    return float(np.max(np.abs(a["scores"] - b["scores"]))), int(np.sum(a["labels"] != b["labels"]))


if __name__ == "__main__":
    app.run(main)
