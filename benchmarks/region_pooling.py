r"""`region_mean` variants, forward + backward, against a plain sum over the same tensor.

A sum reads the feature map once: it is the memory-bound floor any pooling must pay.
Reported per variant: time, effective GB/s over the feature bytes, and time / sum time.

  KERAS_BACKEND=jax python benchmarks/region_pooling.py
  KERAS_BACKEND=torch python benchmarks/region_pooling.py --batch_size=8 --sizes=64,128 \
      --channels=256,512 --num_classes=150,171
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

_BATCH = flags.DEFINE_integer("batch_size", 2, "Batch size.")
_SIZES = flags.DEFINE_list("sizes", ["64", "128"], "Feature map sizes (square).")
_CHANNELS = flags.DEFINE_list("channels", ["256"], "Feature channels.")
_CLASSES = flags.DEFINE_list("num_classes", ["150"], "Numbers of classes.")
_LABEL_SCALE = flags.DEFINE_integer("label_scale", 4, "Label map size / feature size.")
_REPEATS = flags.DEFINE_integer("repeats", 10, "Timed repeats (median).")


def _grad_fn(loss_fn):
    """Compiled (where the backend compiles) forward + backward of `loss_fn(features)`."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        step = jax.jit(jax.value_and_grad(loss_fn))
        return lambda f: jax.block_until_ready(step(f))
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function
        def step(f):
            with tf.GradientTape() as tape:
                tape.watch(f)
                loss = loss_fn(f)
            return loss, tape.gradient(loss, f)

        return lambda f: [t.numpy() for t in step(f)]
    import torch

    def step(f):
        f = f.detach().requires_grad_(True)
        loss = loss_fn(f)
        loss.backward()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        return loss.item()

    return step


def main(argv):
    del argv
    import keras
    import numpy as np

    from benchmarks import timing
    from keras_rr.ops import region_mean

    backend = keras.backend.backend()
    print(f"backend={backend} device={timing.device_name()} batch={_BATCH.value}")
    print("| size | C | K | variant | ms | GB/s | x sum |")
    print("|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for size in map(int, _SIZES.value):
        for channels in map(int, _CHANNELS.value):
            for k in map(int, _CLASSES.value):
                shape = (_BATCH.value, size, size, channels)
                features = keras.ops.convert_to_tensor(rng.normal(size=shape).astype("float32"))
                label_size = size * _LABEL_SCALE.value
                blocks = rng.integers(0, k, size=(_BATCH.value, 8, 8))
                labels = np.kron(blocks, np.ones((label_size // 8, label_size // 8), "int64")).astype("int32")
                labels = keras.ops.convert_to_tensor(labels)
                weights = keras.ops.convert_to_tensor(rng.normal(size=(_BATCH.value, k, channels)).astype("float32"))
                nbytes = int(np.prod(shape)) * 4
                variants = {
                    "sum (floor)": lambda f: keras.ops.sum(f * 1.5),
                    "segment_sum": lambda f: keras.ops.sum(
                        region_mean(f, labels, k, method="segment_sum")[0] * weights
                    ),
                    "one_hot": lambda f: keras.ops.sum(region_mean(f, labels, k, method="one_hot")[0] * weights),
                    "labels-res segment_sum": lambda f: keras.ops.sum(
                        region_mean(f, labels, k, method="segment_sum", resolution="labels")[0] * weights
                    ),
                }
                base = None
                for name, loss_fn in variants.items():
                    step = _grad_fn(loss_fn)
                    step(features)  # compile / warm up
                    seconds = timing.time_call(lambda: step(features), _REPEATS.value)
                    base = base or seconds
                    print(
                        f"| {size}x{size} | {channels} | {k} | {name} | {1000 * seconds:.2f} | "
                        f"{nbytes / seconds / 1e9:.1f} | {seconds / base:.2f} |"
                    )


if __name__ == "__main__":
    app.run(main)
