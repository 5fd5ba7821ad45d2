r"""Region Rebalance training-step overhead: RR wrapper step time / plain segmenter step.

Same segmenter object, batch, backend and compile settings in one process; the two
`fit` calls alternate and the median ratio over repeats is reported. Each `fit` is timed
from its first training batch to its return (`timing.fit_steps_seconds`): the steps, not
the one-off set-up before them.

  KERAS_BACKEND=jax python benchmarks/train_step_overhead.py               # CPU setting
  KERAS_BACKEND=jax python benchmarks/train_step_overhead.py --depth=50 \
      --image_size=512 --batch_size=8 --steps=20                          # paper setting
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

_DEPTH = flags.DEFINE_integer("depth", 18, "ResNet depth of the KerasHub DeepLabV3+.")
_IMAGE_SIZE = flags.DEFINE_integer("image_size", 128, "Square crop size.")
_BATCH = flags.DEFINE_integer("batch_size", 4, "Batch size.")
_CLASSES = flags.DEFINE_integer("num_classes", 150, "Number of classes (ADE20K: 150).")
_STEPS = flags.DEFINE_integer("steps", 5, "Training steps per timed fit call.")
_REPEATS = flags.DEFINE_integer("repeats", 5, "Interleaved repeats.")
_METHOD = flags.DEFINE_string("pooling_method", "auto", "region_mean method.")
_RESOLUTION = flags.DEFINE_string("pooling_resolution", "features", "features or labels.")
_BEFORE_UPSAMPLING = flags.DEFINE_bool("pool_before_upsampling", True, "Tap the decoder map before its 4x upsampling.")


def main(argv):
    del argv
    import keras

    from benchmarks import timing
    from benchmarks.overhead_setup import blocky_training_data
    from benchmarks.overhead_setup import compiled_wrapper
    from benchmarks.overhead_setup import plain_pair

    k, size, batch = _CLASSES.value, _IMAGE_SIZE.value, _BATCH.value
    images, labels, freq = blocky_training_data(k, size, batch * _STEPS.value)
    segmenter, plain = plain_pair(k, _DEPTH.value, size)
    rr = compiled_wrapper(
        segmenter,
        k,
        freq,
        pooling_method=_METHOD.value,
        pooling_resolution=_RESOLUTION.value,
        pool_before_upsampling=_BEFORE_UPSAMPLING.value,
    )

    def run(model):
        # Steps only: the wrapper's once-per-fit host label check is measured on its own
        # by benchmarks/step_breakdown.py.
        return lambda: timing.fit_steps_seconds(model, images, labels, batch)

    run(plain)()  # compile both step functions before timing
    run(rr)()
    ratio, t_rr, t_plain = timing.interleaved_ratio(run(rr), run(plain), _REPEATS.value)
    steps = _STEPS.value
    print(
        f"| {keras.backend.backend()} | {timing.device_name()} | R{_DEPTH.value} {size}px b{batch} K={k} "
        f"| {'before upsampling' if _BEFORE_UPSAMPLING.value else 'classifier input'} "
        f"| {1000 * t_plain / steps:.1f} ms | {1000 * t_rr / steps:.1f} ms | **{ratio:.3f}x** |"
    )


if __name__ == "__main__":
    app.run(main)
