r"""Where does the Region Rebalance step overhead go? Variants timed against a plain step.

Companion to `train_step_overhead.py` for profiling: the same plain/RR pair, plus
variants that each remove one part of the RR step, timed in interleaved `fit` calls in
one process (ratio to the plain step of the same repeat, median over repeats). Steps are
timed from the first batch to the end of `fit` (`timing.fit_steps_seconds`):

- `plain_twin`: the plain model compiled a second time (the noise floor).
- `rr`, `rr_pixel_only` (region term removed), `rr_one_hot` (one-hot matmul pooling):
  see `overhead_setup.step_variants`.
- `rr_whole_fit`: wall time of the whole `fit` call against the plain model's, which adds
  the one-off set-up, including the wrapper's host-side label check (also timed alone).

With `--trace_dir` it also records a device profile of one `fit` per side (JAX:
`jax.profiler` Chrome trace, summarised per kernel; torch: `torch.profiler` table).

  KERAS_BACKEND=jax python benchmarks/step_breakdown.py --depth=50 --image_size=512 \
      --batch_size=8 --steps=10 --trace_dir=/tmp/rr_trace
"""

import collections
import glob
import gzip
import json
import os
import shutil
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from benchmarks.model_flags import define_model_flags  # noqa: E402

_MODEL = define_model_flags()
_STEPS = flags.DEFINE_integer("steps", 5, "Training steps per timed fit call.")
_REPEATS = flags.DEFINE_integer("repeats", 5, "Interleaved repeats.")
_VARIANTS = flags.DEFINE_list(
    "variants", ["plain_twin", "rr", "rr_pixel_only", "rr_one_hot", "rr_whole_fit"], "Variants to time."
)
_TRACE_DIR = flags.DEFINE_string("trace_dir", None, "Write and summarise a device profile here.")
_TOP = flags.DEFINE_integer("top", 25, "Kernels listed per side in the trace summary.")


def _fit(model, images, labels, batch, whole=False):
    from benchmarks import timing

    if whole:
        return lambda: model.fit(images, labels, batch_size=batch, epochs=1, shuffle=False, verbose=0)
    return lambda: timing.fit_steps_seconds(model, images, labels, batch)


# Trace-event arguments that say which HLO op a GPU kernel runs (names vary by version).
_KERNEL_ARGS = ("hlo_op", "long_name", "tf_op", "name", "source")


def _summarise_jax_trace(trace_dir, label, steps, top):
    paths = sorted(glob.glob(os.path.join(trace_dir, "**", "*.trace.json.gz"), recursive=True))
    if not paths:
        print(f"[{label}] no trace written under {trace_dir}")
        return
    # A flat copy next to the profiler's nested folders (Perfetto / chrome://tracing).
    shutil.copyfile(paths[-1], trace_dir.rstrip(os.sep) + ".trace.json.gz")
    with gzip.open(paths[-1]) as f:
        events = json.load(f)["traceEvents"]
    process_names = {e["pid"]: e["args"]["name"] for e in events if e.get("ph") == "M" and e["name"] == "process_name"}
    device_pids = {pid for pid, name in process_names.items() if "GPU" in name or "device" in name.lower()}
    by_kernel = collections.defaultdict(lambda: [0.0, 0])
    busy = 0.0
    for e in events:
        if e.get("ph") != "X" or e.get("pid") not in device_pids:
            continue
        args = e.get("args", {})
        # XLA names kernels after fusions; the HLO op / long name says what they do.
        key = (e["name"], " ".join(f"{k}={v}" for k, v in args.items() if k in _KERNEL_ARGS)[:160])
        by_kernel[key][0] += e.get("dur", 0.0)
        by_kernel[key][1] += 1
        busy += e.get("dur", 0.0)
    print(f"[{label}] device kernel time {busy / 1000 / steps:.2f} ms/step over {len(by_kernel)} kernels "
          f"({', '.join(sorted(process_names[p] for p in device_pids)) or 'no device process'}; "
          f"processes: {sorted(set(process_names.values()))})")
    for (name, op), (dur, count) in sorted(by_kernel.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"  {dur / 1000 / steps:8.3f} ms/step  x{count // max(steps, 1):<3d} {name[:60]}  {op}")


def _trace(models, runs, trace_dir, steps, top):
    import keras

    backend = keras.backend.backend()
    for name in ("plain", "rr"):
        if name not in models:
            continue
        out = os.path.join(trace_dir, name)
        if backend == "jax":
            import jax

            with jax.profiler.trace(out, create_perfetto_trace=False):
                runs[name]()
            _summarise_jax_trace(out, name, steps, top)
        elif backend == "torch":
            import torch

            activities = [torch.profiler.ProfilerActivity.CPU]
            if torch.cuda.is_available():
                activities.append(torch.profiler.ProfilerActivity.CUDA)
            with torch.profiler.profile(activities=activities) as prof:
                runs[name]()
            table = None
            sorts = ["self_device_time_total", "self_cuda_time_total"] if torch.cuda.is_available() else []
            for sort in sorts + ["self_cpu_time_total"]:  # the device key was renamed in torch 2.4
                try:
                    table = prof.key_averages().table(sort_by=sort, row_limit=top)
                    break
                except (AttributeError, KeyError, ValueError):
                    continue
            print(f"[{name}] torch.profiler, one fit of {steps} steps\n{table}")
            os.makedirs(out, exist_ok=True)
            with open(os.path.join(out, "table.txt"), "w") as f:
                f.write(table)
        else:
            print("Tracing is implemented for jax and torch; use TensorBoard's profiler on TF.")
            return


def main(argv):
    del argv
    import keras

    from benchmarks import timing
    from benchmarks.overhead_setup import STEP_VARIANTS
    from benchmarks.overhead_setup import blocky_training_data
    from benchmarks.overhead_setup import step_variants
    from keras_rr.models import deeplab_v3_plus_resnet
    from keras_rr.ops import check_labels

    depth, size, batch, k = _MODEL.values()
    steps = _STEPS.value
    images, labels, freq = blocky_training_data(k, size, batch * steps)
    built = [v for v in _VARIANTS.value if v in STEP_VARIANTS]
    if "rr_whole_fit" in _VARIANTS.value and "rr" not in built:
        built.append("rr")
    models = step_variants(deeplab_v3_plus_resnet(k, depth=depth, image_size=size), k, freq, built)
    runs = {name: _fit(model, images, labels, batch) for name, model in models.items()}
    baseline = {name: "plain" for name in runs}
    if "rr_whole_fit" in _VARIANTS.value:
        runs["plain_whole_fit"] = _fit(models["plain"], images, labels, batch, whole=True)
        runs["rr_whole_fit"] = _fit(models["rr"], images, labels, batch, whole=True)
        baseline["rr_whole_fit"] = "plain_whole_fit"
    variants = [v for v in _VARIANTS.value if v in runs]

    start = time.perf_counter()
    for name in {"plain", *variants}:  # compile every step function before timing
        runs[name]()
    print(f"backend={keras.backend.backend()} device={timing.device_name()} R{depth} {size}px "
          f"b{batch} K={k}; warm-up/compile {time.perf_counter() - start:.0f} s")

    timed = ["plain"] + [v for v in ["plain_whole_fit"] if v in runs] + variants
    rounds = timing.interleaved_rounds({name: runs[name] for name in timed}, _REPEATS.value)
    check = timing.time_call(lambda: check_labels(labels, k), _REPEATS.value)
    print("| variant | ms/step | ratio to plain |")
    print("|---|---|---|")
    for name in timed:
        # Each variant against its own baseline (plain, or plain whole fit) of the same round.
        ratio = statistics.median(t[name] / t[baseline[name]] for t in rounds) if name in variants else 1.0
        print(f"| {name} | {1000 * statistics.median(t[name] for t in rounds) / steps:.2f} | {ratio:.3f} |")
    print(f"Host label check (once per fit on NumPy labels): {1000 * check:.1f} ms for "
          f"{labels.shape[0]} maps = {1000 * check / steps:.2f} ms per batch of {batch}.")
    if _TRACE_DIR.value:
        _trace(models, runs, _TRACE_DIR.value, steps, _TOP.value)


if __name__ == "__main__":
    app.run(main)
