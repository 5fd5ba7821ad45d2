r"""Speed of `keras_rr.data.compute_class_statistics` on ADE20K-sized label maps.

Counts per-class pixels and regions on synthetic 512x512 uint8 label maps with 150
classes plus ignore (ADE20K's training split has 20,210 such maps), and compares with
the naive per-class NumPy loop `for k in range(K): (label == k).sum()` measured in the
same process on a subset. Prints a markdown table. Target: 20,210 maps in < 60 s on 2
cores and >= 10x the loop.

Usage:

```
python benchmarks/dataset_stats.py                 # 2,000 maps, extrapolated to 20,210
python benchmarks/dataset_stats.py --full          # all 20,210 maps
python benchmarks/dataset_stats.py --num_maps=500 --loop_maps=10 --notf_data
```
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from absl import app  # noqa: E402
from absl import flags  # noqa: E402

ADE20K_TRAIN_MAPS = 20210

_NUM_MAPS = flags.DEFINE_integer("num_maps", 2000, "Label maps counted by compute_class_statistics.")
_FULL = flags.DEFINE_bool("full", False, f"Count {ADE20K_TRAIN_MAPS:,} maps (ADE20K training size).")
_SIZE = flags.DEFINE_integer("size", 512, "Label map height and width.")
_NUM_CLASSES = flags.DEFINE_integer("num_classes", 150, "Number of classes.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 16, "Maps per batch handed to the counter.")
_POOL = flags.DEFINE_integer("pool", 32, "Distinct maps generated and cycled (keeps memory small).")
_LOOP_MAPS = flags.DEFINE_integer("loop_maps", 20, "Maps counted by the per-class NumPy loop.")
_TF_DATA = flags.DEFINE_bool("tf_data", True, "Also time the same maps streamed through tf.data.")


def make_pool(count, size, num_classes, seed=0):
    """Blocky label maps with a long-tailed class mix and ~8% ignore pixels, as uint8."""
    rng = np.random.default_rng(seed)
    probabilities = 1.0 / (np.arange(num_classes) + 1.0)
    probabilities /= probabilities.sum()
    cells = max(size // 32, 1)
    pool = np.empty((count, size, size), dtype=np.uint8)
    for i in range(count):
        grid = rng.choice(num_classes, size=(cells, cells), p=probabilities).astype(np.uint8)
        grid[rng.random(grid.shape) < 0.08] = 255
        block = np.kron(grid, np.ones((size // cells, size // cells), dtype=np.uint8))
        pool[i, : block.shape[0], : block.shape[1]] = block
    return pool


def batches(pool, num_maps, batch_size):
    """Yields `num_maps` maps from `pool` (cycled) in batches, without copying."""
    done = 0
    while done < num_maps:
        start = done % len(pool)
        count = min(batch_size, num_maps - done, len(pool) - start)
        yield pool[start : start + count]
        done += count


def per_class_loop(maps, num_classes):
    pixels = np.zeros(num_classes, np.int64)
    regions = np.zeros(num_classes, np.int64)
    for label in maps:
        for k in range(num_classes):
            n = int((label == k).sum())
            pixels[k] += n
            regions[k] += n > 0
    return pixels, regions


def main(argv):
    del argv
    from keras_rr.data import compute_class_statistics

    num_maps = ADE20K_TRAIN_MAPS if _FULL.value else _NUM_MAPS.value
    size, num_classes = _SIZE.value, _NUM_CLASSES.value
    pool = make_pool(_POOL.value, size, num_classes)
    rows = []

    # Naive reference on a subset; also checks that both give the same counts.
    subset = pool[: min(_LOOP_MAPS.value, len(pool))]
    start = time.perf_counter()
    loop_pixels, loop_regions = per_class_loop(subset, num_classes)
    loop_seconds = time.perf_counter() - start
    check = compute_class_statistics(subset, num_classes, progress=False)
    identical = np.array_equal(check.pixel_counts, loop_pixels) and np.array_equal(
        check.region_counts, loop_regions
    )
    loop_rate = len(subset) / loop_seconds
    rows.append(("per-class NumPy loop", len(subset), loop_seconds, loop_rate))

    start = time.perf_counter()
    stats = compute_class_statistics(
        batches(pool, num_maps, _BATCH_SIZE.value), num_classes, progress=False
    )
    seconds = time.perf_counter() - start
    assert stats.num_images == num_maps
    rows.append((f"compute_class_statistics (NumPy batches of {_BATCH_SIZE.value})", num_maps, seconds,
                 num_maps / seconds))

    if _TF_DATA.value:
        import tensorflow as tf

        tf_maps = min(num_maps, 2000)
        dataset = (
            tf.data.Dataset.from_tensor_slices(pool).repeat().take(tf_maps).batch(_BATCH_SIZE.value)
        )
        start = time.perf_counter()
        compute_class_statistics(dataset, num_classes, progress=False)
        seconds = time.perf_counter() - start
        rows.append((f"compute_class_statistics (tf.data, batch {_BATCH_SIZE.value})", tf_maps,
                     seconds, tf_maps / seconds))

    print(f"\n{size}x{size} uint8 label maps, {num_classes} classes + ignore, "
          f"{os.cpu_count()} CPU cores; counts identical to the loop: {'yes' if identical else 'NO'}\n")
    print(f"| method | maps | seconds | maps/s | est. {ADE20K_TRAIN_MAPS:,} maps (s) | speed-up vs loop |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, count, secs, rate in rows:
        print(f"| {name} | {count:,} | {secs:.2f} | {rate:,.0f} | {ADE20K_TRAIN_MAPS / rate:,.1f} | "
              f"{rate / loop_rate:.1f}x |")
    return 0 if identical else 1


if __name__ == "__main__":
    app.run(main)
