r"""Work in one training step, RR against plain, counted instead of timed.

Wall-clock ratios on a GPU move by a percent or two between runs, which is the size of
the RR overhead goal (<= 1.02x). This script counts what each model of
`overhead_setup.step_variants` does in one training step (forward, backward, optimizer);
the counts are the same on every run, so they show what the RR branch adds to the step,
separate from timing noise.

- JAX: it lowers the very `train_step` that `fit` runs, compiles it for the current
  device, and reports XLA's cost analysis (floating-point operations and bytes accessed,
  summed over the whole step) and memory analysis (temporary buffers). Bytes accessed is
  the figure that matters for a memory-bound training step.
- torch: Keras runs torch eagerly, and a large model's step on a fast GPU is bound by the
  host time per operator call, so it reports the PyTorch operator calls per step
  (`overhead_setup.torch_ops_per_step`). They do not depend on the image size, which is
  why the torch default is 64 px: R50 at 64 px makes the calls R50 at 512 px makes.

  KERAS_BACKEND=jax python benchmarks/step_cost.py                 # R18 128 px b4, CPU
  KERAS_BACKEND=jax python benchmarks/step_cost.py --num_classes=2000 --variants=rr,rr_all_regions
  KERAS_BACKEND=jax python benchmarks/step_cost.py --depth=50 --image_size=512 --batch_size=8
  KERAS_BACKEND=torch python benchmarks/step_cost.py --depth=50 --image_size=64

The network: `--models` names entries of `benchmarks/paper_networks.py` (default: KerasHub's
DeepLabV3+ of `--depth`); `paper` is the paper's four networks (DeepLabV3+-c, PSPNet and
UPerNet on mmseg's ResNet-50-V1c, UPerNet Swin-T), a table each and a summary:

  KERAS_BACKEND=jax python benchmarks/step_cost.py --models=paper --image_size=512 \
      --batch_size=2 --variants=rr
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from benchmarks.model_flags import define_model_flags  # noqa: E402
from benchmarks.model_flags import define_network_flags  # noqa: E402

_MODEL = define_model_flags()
_NETWORKS, _TINY = define_network_flags(multiple=True)
_VARIANTS = flags.DEFINE_list("variants", ["rr", "rr_pixel_only", "rr_one_hot"], "Variants besides plain.")
_MAX_REGIONS = flags.DEFINE_integer(
    "max_regions_per_image", 64, "Region slots per image of the RR variants (0: all K; a real image holds "
    "a few dozen classes at most)."
)


def main(argv):
    del argv
    import keras

    from benchmarks.overhead_setup import blocky_training_data
    from benchmarks.overhead_setup import step_variants
    from benchmarks.paper_networks import PAPER_SET
    from benchmarks.paper_networks import build_network
    from benchmarks.paper_networks import wrapper_options

    backend = keras.backend.backend()
    if backend not in ("jax", "torch"):
        raise SystemExit("step_cost.py reads XLA's cost analysis (jax) or counts eager operator calls (torch).")
    depth, size, batch, k = _MODEL.values()
    names = [n for name in _NETWORKS.value for n in (PAPER_SET if name == "paper" else (name,))]
    images, labels, freq = blocky_training_data(k, size, 3 * batch)
    slots = _MAX_REGIONS.value or None
    summary = []
    for name in names:
        network = f"R{depth} DeepLabV3+ (KerasHub)" if name == "keras_hub_deeplab_v3_plus" else name
        segmenter = build_network(name, k, size, depth=depth, tiny=_TINY.value)
        models = step_variants(segmenter, k, freq, _VARIANTS.value, max_regions_per_image=slots,
                               wrapper_options=wrapper_options(name))
        setting = f"{network} {size}px b{batch} K={k} max_regions_per_image={slots or 'all'}"
        if backend == "jax":
            costs = _xla_costs(models, images[:batch], labels[:batch], setting)
            if "rr" in costs:
                plain, rr = costs["plain"], costs["rr"]
                summary.append([name, f"{plain['flops'] / 1e9:.1f}", f"{rr['flops'] / plain['flops']:.4f}",
                                f"{plain['bytes'] / 1e9:.2f}", f"{rr['bytes'] / plain['bytes']:.4f}"])
        else:
            _torch_operator_calls(models, images, labels, batch, setting)
    if len(summary) > 1:
        _print_table(
            f"RR / plain, one compiled training step, {size}px b{batch} K={k} (goal: <= 1.005x FLOPs, <= 1.01x bytes)",
            ["network", "plain GFLOP", "RR / plain FLOPs", "plain GB accessed", "RR / plain bytes"],
            summary,
        )


def _xla_costs(models, images, labels, setting):
    from benchmarks import timing
    from benchmarks.overhead_setup import compiled_step_cost

    costs = _measure_each(models, lambda model: compiled_step_cost(model, images, labels))
    base = costs["plain"]
    rows = [
        [name, f"{c['flops'] / 1e9:.2f}", f"{c['flops'] / base['flops']:.4f}",
         f"{c['bytes'] / 1e9:.3f}", f"{c['bytes'] / base['bytes']:.4f}",
         f"{c['temp_bytes'] / 2**20:.0f} MiB", f"{c['temp_bytes'] / base['temp_bytes']:.4f}",
         str(c["state_arrays"])]
        for name, c in costs.items()
    ]
    _print_table(
        f"backend=jax device={timing.device_name()} {setting}: one compiled training step "
        "(forward, backward, SGD update)",
        ["variant", "GFLOP", "ratio", "GB accessed", "ratio", "temp buffers", "ratio", "state arrays"],
        rows,
    )
    return costs


def _torch_operator_calls(models, images, labels, batch, setting):
    from benchmarks.overhead_setup import torch_ops_per_step

    calls = _measure_each(models, lambda model: torch_ops_per_step(model, images, labels, batch))
    base = calls["plain"]
    rows = [[name, f"{n:.0f}", f"{n / base:.4f}", f"{n - base:+.0f}"] for name, n in calls.items()]
    _print_table(
        f"backend=torch {setting}: PyTorch operator calls in one eager training step "
        "(forward, backward, SGD update, loss trackers)",
        ["variant", "operator calls / step", "ratio", "added to plain"],
        rows,
    )


def _measure_each(models, measure):
    """`measure(model)` for every model, reporting progress on stderr (compiles are slow)."""
    results = {}
    for name, model in models.items():
        start = time.perf_counter()
        results[name] = measure(model)
        print(f"measured {name} in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    return results


def _print_table(title, header, rows):
    print(title)
    for cells in [header, ["---"] * len(header), *rows]:
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    app.run(main)
