r"""Work in one compiled training step, RR against plain: XLA's flops, bytes, memory (JAX).

Wall-clock ratios on a GPU move by a percent or two between runs, which is the size of
the RR overhead goal (<= 1.02x). This script asks the compiler instead: it lowers the
very `train_step` that `fit` runs for each model of `overhead_setup.step_variants`,
compiles it for the current device, and reports XLA's cost analysis (floating-point
operations and bytes accessed, summed over the whole step: forward, backward, optimizer)
and memory analysis (temporary buffers). These figures do not vary from run to run, so
they show what the RR branch adds to the step's work, separate from timing noise.
Bytes accessed is the figure that matters for a memory-bound training step.

  KERAS_BACKEND=jax python benchmarks/step_cost.py                 # R18 128 px b4, CPU
  KERAS_BACKEND=jax python benchmarks/step_cost.py --depth=50 --image_size=512 --batch_size=8
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from benchmarks.model_flags import define_model_flags  # noqa: E402

_MODEL = define_model_flags()
_VARIANTS = flags.DEFINE_list("variants", ["rr", "rr_pixel_only", "rr_one_hot"], "Variants besides plain.")


def main(argv):
    del argv
    import keras

    from benchmarks import timing
    from benchmarks.overhead_setup import blocky_training_data
    from benchmarks.overhead_setup import compiled_step_cost
    from benchmarks.overhead_setup import step_variants
    from keras_rr.models.segmenter_builders import deeplab_v3_plus_resnet

    if keras.backend.backend() != "jax":
        raise SystemExit("step_cost.py reads XLA's cost analysis: run it with KERAS_BACKEND=jax.")
    depth, size, batch, k = _MODEL.values()
    images, labels, freq = blocky_training_data(k, size, batch)
    models = step_variants(deeplab_v3_plus_resnet(k, depth=depth, image_size=size), k, freq, _VARIANTS.value)
    costs = {}
    for name, model in models.items():
        costs[name] = compiled_step_cost(model, images, labels)
        print(f"compiled {name} in {costs[name]['compile_s']:.0f} s", file=sys.stderr, flush=True)

    base = costs["plain"]
    print(f"backend=jax device={timing.device_name()} R{depth} {size}px b{batch} K={k}: "
          "one compiled training step (forward, backward, SGD update)")
    print("| variant | GFLOP | ratio | GB accessed | ratio | temp buffers | ratio | state arrays |")
    print("|---|---|---|---|---|---|---|---|")
    for name, c in costs.items():
        print(
            f"| {name} | {c['flops'] / 1e9:.2f} | {c['flops'] / base['flops']:.4f} "
            f"| {c['bytes'] / 1e9:.3f} | {c['bytes'] / base['bytes']:.4f} "
            f"| {c['temp_bytes'] / 2**20:.0f} MiB | {c['temp_bytes'] / base['temp_bytes']:.4f} "
            f"| {c['state_arrays']} |"
        )


if __name__ == "__main__":
    app.run(main)
