"""Confusion-matrix metric throughput: keras_rr vs keras.metrics.MeanIoU vs NumPy.

Measures `update_state` calls per second on the current backend, in one process, on
the same random batch (labels with ~10% ignore pixels), and checks that each
contender's mIoU matches the NumPy bincount reference. Compiled mode wraps the update
in `tf.function` (TensorFlow) or `jax.jit` of the stateless update (JAX); PyTorch runs
eagerly either way.

Usage:

```
KERAS_BACKEND=jax python benchmarks/metric_throughput.py
KERAS_BACKEND=tensorflow python benchmarks/metric_throughput.py --batch_size=2 --height=256 \
    --width=256 --num_classes=150 --steps=10
python benchmarks/metric_throughput.py --predictions=logits   # argmax inside the update
```
"""

import os
import time

from absl import app
from absl import flags

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_BATCH = flags.DEFINE_integer("batch_size", 8, "Images per update.")
_HEIGHT = flags.DEFINE_integer("height", 512, "Label height.")
_WIDTH = flags.DEFINE_integer("width", 512, "Label width.")
_CLASSES = flags.DEFINE_integer("num_classes", 150, "Number of classes K.")
_STEPS = flags.DEFINE_integer("steps", 5, "Timed updates per contender.")
_WARMUP = flags.DEFINE_integer("warmup", 1, "Untimed updates first (tracing/compiling).")
_IGNORE = flags.DEFINE_float("ignore_fraction", 0.1, "Fraction of 255 label pixels.")
_PREDICTIONS = flags.DEFINE_enum(
    "predictions", "labels", ["labels", "logits"],
    "Integer predictions (B,H,W), or logits (B,H,W,K) argmaxed inside the update "
    "(K times more memory).",
)
_COMPILED = flags.DEFINE_bool("compiled", True, "tf.function / jax.jit the update.")
_SEED = flags.DEFINE_integer("seed", 0, "Random seed for the batch.")


def _make_update(metric, backend):
    """Returns a no-argument-state update function (compiled where the backend allows)."""
    if not _COMPILED.value or backend == "torch":
        return metric.update_state, None
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(metric.update_state), None
    if backend == "jax":
        import jax

        # The JAX trainer updates metrics statelessly inside jit; do the same here.
        step = jax.jit(metric.stateless_update_state)
        state = {"vars": [v.value for v in metric.variables]}

        def update(y_true, y_pred):
            state["vars"] = step(state["vars"], y_true, y_pred)
            return state["vars"]

        def finish():
            for var, value in zip(metric.variables, state["vars"]):
                var.assign(value)

        return update, finish
    return metric.update_state, None


def _block(out):
    if out is None:
        return
    leaves = out if isinstance(out, (list, tuple)) else [out]
    for leaf in leaves:
        if hasattr(leaf, "block_until_ready"):
            leaf.block_until_ready()


def _time(fn, args, steps, warmup):
    for _ in range(warmup):
        _block(fn(*args))
    start = time.perf_counter()
    for _ in range(steps):
        _block(fn(*args))
    return (time.perf_counter() - start) / steps


def main(argv):
    del argv
    import keras
    import numpy as np
    from keras import ops

    from keras_rr.metrics import SegmentationConfusionMatrix
    from keras_rr.metrics import confusion_matrix_numpy
    from keras_rr.metrics import metrics_from_confusion_matrix

    backend = keras.backend.backend()
    b, h, w, k = _BATCH.value, _HEIGHT.value, _WIDTH.value, _CLASSES.value
    rng = np.random.default_rng(_SEED.value)
    labels = rng.integers(0, k, (b, h, w)).astype("int32")
    labels[rng.random(labels.shape) < _IGNORE.value] = 255
    if _PREDICTIONS.value == "logits":
        y_pred_np = rng.normal(size=(b, h, w, k)).astype("float32")
        pred_labels = y_pred_np.argmax(-1)
    else:
        y_pred_np = rng.integers(0, k, (b, h, w)).astype("int32")
        pred_labels = y_pred_np
    y_true = ops.convert_to_tensor(labels)
    y_pred = ops.convert_to_tensor(y_pred_np)
    steps, warmup = _STEPS.value, _WARMUP.value

    rows = []
    # NumPy reference.
    seconds = _time(
        lambda t, p: confusion_matrix_numpy(t, p, k), (labels, pred_labels), steps, warmup
    )
    ref = metrics_from_confusion_matrix(confusion_matrix_numpy(labels, pred_labels, k))
    rows.append(("NumPy bincount (reference)", seconds, ref.miou, "yes"))

    contenders = [
        ("keras_rr SegmentationConfusionMatrix",
         lambda: SegmentationConfusionMatrix(num_classes=k, ignore_class=255)),
        ("keras.metrics.MeanIoU(ignore_class=255)",
         lambda: keras.metrics.MeanIoU(
             num_classes=k, ignore_class=255,
             sparse_y_pred=_PREDICTIONS.value == "labels")),
    ]
    for name, factory in contenders:
        try:
            metric = factory()
            update, finish = _make_update(metric, backend)
            seconds = _time(update, (y_true, y_pred), steps, warmup)
            if finish is not None:
                finish()
            # mIoU over a single update, to compare with the reference.
            metric.reset_state()
            update, finish = _make_update(metric, backend)
            _block(update(y_true, y_pred))
            if finish is not None:
                finish()
            miou = float(ops.convert_to_numpy(metric.result()))
            ok = "yes" if abs(miou - ref.miou) < 1e-5 else f"NO (ref {ref.miou:.6f})"
            rows.append((name, seconds, miou, ok))
        except Exception as e:  # a failing contender is a result, not a crash
            rows.append((name, float("nan"), float("nan"), f"error: {type(e).__name__}: {e}"[:120]))

    numpy_seconds = rows[0][1]
    ours_seconds = rows[1][1]
    print(
        f"\nbackend={backend} batch={b}x{h}x{w} K={k} predictions={_PREDICTIONS.value} "
        f"compiled={_COMPILED.value and backend != 'torch'} steps={steps}\n"
    )
    print("| contender | updates/s | Mpixel/s | vs NumPy | vs keras_rr | mIoU | matches NumPy |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, seconds, miou, ok in rows:
        rate = 1.0 / seconds if seconds > 0 else float("nan")
        print(
            f"| {name} | {rate:.2f} | {rate * b * h * w / 1e6:.1f} | "
            f"{numpy_seconds / seconds:.2f}x | {ours_seconds / seconds:.2f}x | "
            f"{miou:.6f} | {ok} |"
        )


if __name__ == "__main__":
    app.run(main)
