r"""Region Rebalance training-step overhead: RR wrapper step time / plain segmenter step.

Same segmenter object, batch, backend and compile settings in one process; the two
`fit` calls alternate and the median ratio over repeats is reported. Each `fit` is timed
from its first training batch to its return (`timing.fit_steps_seconds`): the steps, not
the one-off set-up before them.

  KERAS_BACKEND=jax python benchmarks/train_step_overhead.py               # CPU setting
  KERAS_BACKEND=jax python benchmarks/train_step_overhead.py --depth=50 \
      --image_size=512 --batch_size=8 --steps=20                          # paper setting
  KERAS_BACKEND=jax python benchmarks/train_step_overhead.py --model=pspnet_r50_v1c \
      --image_size=512 --batch_size=8 --steps=20                          # a paper network

`--model` names an entry of `benchmarks/paper_networks.py` (default: KerasHub's
DeepLabV3+ of `--depth`).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from benchmarks.model_flags import define_model_flags  # noqa: E402
from benchmarks.model_flags import define_network_flags  # noqa: E402

_MODEL = define_model_flags()
_NETWORK, _TINY = define_network_flags()
_STEPS = flags.DEFINE_integer("steps", 5, "Training steps per timed fit call.")
_REPEATS = flags.DEFINE_integer(
    "repeats", 6, "Interleaved rounds (a multiple of the models timed: 2, or 3 with --noise_floor)."
)
_METHOD = flags.DEFINE_string("pooling_method", "auto", "region_mean method.")
_RESOLUTION = flags.DEFINE_string("pooling_resolution", "features", "features or labels.")
_BEFORE_UPSAMPLING = flags.DEFINE_bool("pool_before_upsampling", True, "Tap the decoder map before its 4x upsampling.")
_NOISE_FLOOR = flags.DEFINE_bool(
    "noise_floor", False, "Also time the plain model compiled a second time: the ratio two copies of one graph get."
)


def main(argv):
    del argv
    import keras

    from benchmarks import timing
    from benchmarks.overhead_setup import blocky_training_data
    from benchmarks.overhead_setup import compiled_baseline
    from benchmarks.overhead_setup import compiled_wrapper
    from benchmarks.overhead_setup import plain_pair
    from benchmarks.paper_networks import wrapper_options

    depth, size, batch, k = _MODEL.values()
    images, labels, freq = blocky_training_data(k, size, batch * _STEPS.value)
    segmenter, plain = plain_pair(k, depth, size, model=_NETWORK.value, tiny=_TINY.value)
    options = wrapper_options(_NETWORK.value)  # OCRNet: its FCN head's loss on both sides
    rr = compiled_wrapper(
        segmenter,
        k,
        freq,
        pooling_method=_METHOD.value,
        pooling_resolution=_RESOLUTION.value,
        pool_before_upsampling=_BEFORE_UPSAMPLING.value,
        **options,
    )

    def run(model):
        # Steps only: the wrapper's once-per-fit host label check is measured on its own
        # by benchmarks/step_breakdown.py.
        return lambda: timing.fit_steps_seconds(model, images, labels, batch)

    candidates = {"rr": run(rr)}
    if _NOISE_FLOOR.value:
        candidates["plain_twin"] = run(compiled_baseline(segmenter, k, options, "plain_twin"))
    run(plain)()  # compile every step function before timing
    for candidate in candidates.values():
        candidate()
    ratios, seconds, t_plain = timing.interleaved_ratios(candidates, run(plain), _REPEATS.value)
    steps = _STEPS.value
    network = f"R{depth}" if _NETWORK.value == "keras_hub_deeplab_v3_plus" else _NETWORK.value
    noise = f" noise floor (plain twin) {ratios['plain_twin']:.3f}x |" if _NOISE_FLOOR.value else ""
    print(
        f"| {keras.backend.backend()} | {timing.device_name()} | {network} {size}px b{batch} K={k} "
        f"| {'before upsampling' if _BEFORE_UPSAMPLING.value else 'classifier input'} "
        f"| {1000 * t_plain / steps:.1f} ms | {1000 * seconds['rr'] / steps:.1f} ms | **{ratios['rr']:.3f}x** |"
        + noise
    )


if __name__ == "__main__":
    app.run(main)
