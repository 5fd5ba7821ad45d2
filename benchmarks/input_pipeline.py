r"""Can the `tf.data` loaders feed a GPU? ADE20K-style files, decode only vs full augmentation.

Writes ADE20K-like files (`images/training/*.jpg`, `annotations/training/*.png`, raw ids
0..150; sizes drawn like ADE20K's: median 683x512, short side mostly 512, aspect ratios
1:1 to ~2.2:1, landscape and portrait; labels of 2-20 blob-shaped regions), then reads
them with `keras_rr.data.load_ade20k` two ways, timed alternately in one process:

- `decode`: the loader without augmentation (read + JPEG/PNG decode + label table): the
  floor every training pipeline pays;
- `augment`: the loader with the paper's training augmentation,
  `keras_rr.data.TrainAugmentation(512)` (resize to scale (2048, 512) with ratio 0.5-2.0,
  512 crop with cat_max_ratio 0.75, flip, photometric distortion, pad);
- "augmentation alone": `augment` less `decode`, the cost the augmentation adds
  (its ratio to decode is `augment / decode` less 1).

`TrainAugmentation` compiles its flip + photometric step with XLA once per process and
crop size (about a second), on its first image: before the clocks start.

Parallelism: the loader's maps use `num_parallel_calls=AUTOTUNE`; each row caps what they
may use with `tf.data.Options.threading` (`private_threadpool_size` = the threads,
`max_intra_op_parallelism=1`), i.e. the loader given N cores. `--stages` adds, at one
thread, the cost of the augmentation's steps added one by one.

Timing: each pipeline reads `--images_per_round` images through a fresh iterator per
round (nothing runs in the background between passes; the clocks start after the first
element, so creating the iterator is not counted); pipelines alternate within a round. Wall time gives images/s; the process's CPU time (all threads) gives the cost
per image, which other processes on a shared machine do not inflate, and from it the
cores one GPU needs at `--target` images/s (an H200 runs the R50 DeepLabV3+ step at
batch 8 in ~41 ms: ~200 images/s). Medians over `--repeats` rounds.

Usage:

```
python benchmarks/input_pipeline.py                                # 160 images, 1 / 2 / all threads
python benchmarks/input_pipeline.py --stages                       # + per-step breakdown
python benchmarks/input_pipeline.py --data_dir=/data/ADEChallengeData2016   # real files
python benchmarks/input_pipeline.py --num_images=6 --size_scale=0.125 --crop_size=64 \
    --repeats=1 --threads=1 --stages                               # toy (CI)
```
"""

import os
import resource
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
from absl import app  # noqa: E402
from absl import flags  # noqa: E402

_DATA_DIR = flags.DEFINE_string("data_dir", None, "An ADEChallengeData2016 folder; default: generate files.")
_NUM_IMAGES = flags.DEFINE_integer("num_images", 160, "Files generated (cycled while timing).")
_SIZE_SCALE = flags.DEFINE_float("size_scale", 1.0, "Scale of the generated image sizes (toy runs).")
_CROP_SIZE = flags.DEFINE_integer("crop_size", 512, "TrainAugmentation crop size.")
_THREADS = flags.DEFINE_list("threads", ["1", "2", "all"], "Thread counts (`all` = every core).")
_IMAGES_PER_ROUND = flags.DEFINE_integer(
    "images_per_round", None, "Images timed per pipeline and round (default: --num_images, i.e. every file once).")
_REPEATS = flags.DEFINE_integer("repeats", 3, "Rounds (pipelines alternate within a round).")
_STAGES = flags.DEFINE_bool("stages", False, "Also time each augmentation step alone (1 thread).")
_TARGET = flags.DEFINE_float("target", 200.0, "Images/s one GPU consumes (H200, R50 DeepLabV3+, batch 8).")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the generated files and of the augmentation.")

# (long / short side, probability): 4:3 dominates ADE20K, then 1:1, 3:2, 16:9 and panoramas.
_ASPECTS = ((4 / 3, 0.55), (1.0, 0.15), (3 / 2, 0.1), (16 / 9, 0.1), (2.2, 0.1))


def ade20k_like_sizes(count, rng, scale=1.0):
    """`(height, width)` pairs like ADE20K's training images (median 683x512).

    Short side 512 for 70% of images, else log-uniform in [256, 1024]; the long side
    from `_ASPECTS`; a quarter are portrait.
    """
    aspects, weights = zip(*_ASPECTS)
    sizes = []
    for _ in range(count):
        short = 512.0 if rng.random() < 0.7 else float(np.exp(rng.uniform(np.log(256), np.log(1024))))
        long = short * aspects[rng.choice(len(aspects), p=weights)]
        short, long = max(8, round(short * scale)), max(8, round(long * scale))
        sizes.append((long, short) if rng.random() < 0.25 else (short, long))
    return sizes


def blob_label(height, width, rng, num_classes=150):
    """uint8 raw ADE20K ids: 2-20 regions grown around random centres, some 0 ("other")."""
    count = int(rng.integers(2, 21))
    grid_h, grid_w = -(-height // 8), -(-width // 8)  # 8x8 cells covering the image
    centres = rng.uniform(0, 1, size=(count, 2)) * (grid_h, grid_w)
    # Power-diagram weights: a few large "stuff" regions, many small ones.
    weights = rng.pareto(1.5, size=count) * (grid_h * grid_w) / count
    ys, xs = np.mgrid[0:grid_h, 0:grid_w]
    distance = (ys[..., None] - centres[:, 0]) ** 2 + (xs[..., None] - centres[:, 1]) ** 2 - weights
    region = np.argmin(distance, axis=-1)
    ids = rng.choice(np.arange(1, num_classes + 1), size=count, replace=False)
    ids[rng.random(count) < 0.1] = 0
    small = ids[region].astype(np.uint8)
    return np.kron(small, np.ones((8, 8), np.uint8))[:height, :width]


def write_ade20k_like(root, num_images, seed=0, scale=1.0):
    """Writes an `ADEChallengeData2016`-style training split; returns the image sizes."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    image_dir = os.path.join(root, "images", "training")
    label_dir = os.path.join(root, "annotations", "training")
    os.makedirs(image_dir, exist_ok=True)
    os.makedirs(label_dir, exist_ok=True)
    palette = rng.integers(0, 256, size=(151, 3))
    sizes = ade20k_like_sizes(num_images, rng, scale)
    for i, (height, width) in enumerate(sizes):
        label = blob_label(height, width, rng)
        image = palette[label].astype(np.float32)
        ramp = np.linspace(-20, 20, width, dtype=np.float32)[None, :, None]
        image = np.clip(image + ramp + rng.normal(0, 12, size=image.shape), 0, 255).astype(np.uint8)
        name = f"ADE_train_{i + 1:08d}"
        tf.io.write_file(os.path.join(image_dir, name + ".jpg"), tf.io.encode_jpeg(image, quality=90))
        tf.io.write_file(os.path.join(label_dir, name + ".png"), tf.io.encode_png(label[..., None]))
    return sizes


def _threads(value):
    return os.cpu_count() if value == "all" else int(value)


def make_pipeline(root, augment, threads, seed):
    """`load_ade20k` (training split, repeated) with `augment`, limited to `threads` threads."""
    import tensorflow as tf

    from keras_rr.data import load_ade20k

    dataset = load_ade20k(root, "training", augment=augment, seed=seed).repeat()
    options = tf.data.Options()
    options.threading.private_threadpool_size = threads
    options.threading.max_intra_op_parallelism = 1
    return dataset.with_options(options)


def _cpu_seconds():
    """CPU time of this process, all threads (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def time_pass(dataset, count):
    """Wall and CPU seconds per element over `count` elements of a fresh iterator.

    The clocks start after the first element: creating an iterator instantiates the
    pipeline's functions (for the augmentation, a large graph), a fixed cost that is
    not per image. A fresh iterator per pass means nothing keeps computing in the
    background between passes, so the CPU time of a pass is this pipeline's (other
    processes on the machine do not count in it, unlike wall time); at most the
    elements in flight when the clocks start (one per thread) are missed.
    """
    iterator = iter(dataset.take(count))
    next(iterator)
    wall, cpu = time.perf_counter(), _cpu_seconds()
    element = None
    for element in iterator:
        pass
    element[1].numpy()
    return (time.perf_counter() - wall) / (count - 1), (_cpu_seconds() - cpu) / (count - 1)


def stage_augmentations(crop_size):
    """Name -> augmentation: the steps of `TrainAugmentation` added one by one."""
    from keras_rr import data

    full = data.TrainAugmentation(crop_size)

    def resize_then_crop(image, label, seed):
        # The two public functions in a row: the whole label is resized first.
        image, label = data.random_resize(image, label, scale=full.resize_scale, seed=seed)
        return data.random_crop(image, label, crop_size, cat_max_ratio=full.cat_max_ratio, seed=seed)

    return {
        "random_resize (image and whole label)": lambda image, label, seed: data.random_resize(
            image, label, scale=full.resize_scale, seed=seed),
        f"random_resize -> random_crop(cat_max_ratio {full.cat_max_ratio})": resize_then_crop,
        "TrainAugmentation: resize + crop, no cat_max_ratio, flip, pad": data.TrainAugmentation(
            crop_size, cat_max_ratio=1.0, photometric=False),
        f"TrainAugmentation: + cat_max_ratio {full.cat_max_ratio}": data.TrainAugmentation(
            crop_size, photometric=False),
        "TrainAugmentation: + photometric distortion (all)": full,
    }


def measure(root, pipelines, threads, count, repeats, seed):
    """Per pipeline: median wall s/image, median CPU s/image, median CPU ratio to the first.

    Pipelines are timed alternately (one pass each per round, rotating who goes first).
    """
    datasets = {name: make_pipeline(root, augment, threads, seed) for name, augment in pipelines.items()}
    names = list(datasets)
    rounds = []
    for r in range(repeats):
        shift = r % len(names)
        rounds.append({name: time_pass(datasets[name], count) for name in names[shift:] + names[:shift]})
    base = names[0]
    return {
        name: (
            statistics.median(t[name][0] for t in rounds),
            statistics.median(t[name][1] for t in rounds),
            statistics.median(t[name][1] / max(t[base][1], 1e-9) for t in rounds),
        )
        for name in names
    }


def main(argv):
    del argv
    import tensorflow as tf

    from keras_rr.data import TrainAugmentation

    tf.random.set_seed(_SEED.value)
    crop, seed = _CROP_SIZE.value, _SEED.value
    count, repeats = _IMAGES_PER_ROUND.value or _NUM_IMAGES.value, _REPEATS.value
    if count < 2:
        raise app.UsageError(f"--images_per_round must be at least 2. Received: {count}")
    with tempfile.TemporaryDirectory() as tmp:
        root = _DATA_DIR.value
        if root is None:
            root = tmp
            start = time.perf_counter()
            sizes = write_ade20k_like(root, _NUM_IMAGES.value, seed, _SIZE_SCALE.value)
            pixels = sorted(h * w for h, w in sizes)
            median = sizes[int(np.argsort([h * w for h, w in sizes])[len(sizes) // 2])]
            print(f"generated {len(sizes)} ADE20K-like JPEG/PNG pairs in {time.perf_counter() - start:.1f} s: "
                  f"median {median[1]}x{median[0]} (w x h), {pixels[0]:,}-{pixels[-1]:,} pixels")
        print(f"{os.cpu_count()} CPU cores, TensorFlow {tf.__version__}; {count} images per pipeline and "
              f"round, {repeats} rounds\n")

        target = _TARGET.value
        print(f"| threads | decode (images/s) | TrainAugmentation({crop}) (images/s) | decode CPU ms/image "
              f"| augment CPU ms/image | augment / decode CPU | augmentation alone CPU ms/image "
              f"| augmentation alone / decode | cores for {target:.0f} images/s |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        results = {}
        for value in _THREADS.value:
            threads = _threads(value)
            result = measure(root, {"decode": None, "augment": TrainAugmentation(crop)}, threads, count,
                             repeats, seed)
            results[threads] = result
            (decode_wall, decode_cpu, _), (augment_wall, augment_cpu, ratio) = result["decode"], result["augment"]
            print(f"| {threads} | {1 / decode_wall:.1f} | {1 / augment_wall:.1f} | {1000 * decode_cpu:.1f} "
                  f"| {1000 * augment_cpu:.1f} | {ratio:.2f}x | {1000 * (augment_cpu - decode_cpu):.1f} "
                  f"| {ratio - 1:.2f}x | {target * augment_cpu:.1f} |")
        cpu = max(statistics.median(r["augment"][1] for r in results.values()), 1e-9)
        print(f"\nOne core augments {1 / cpu:.1f} images/s (CPU time): {target:.0f} images/s take "
              f"{target * cpu:.1f} cores of this machine, if the loader scales linearly with cores.")

        if _STAGES.value:
            pipelines = {"decode": None, **stage_augmentations(crop)}
            result = measure(root, pipelines, 1, count, repeats, seed)
            print("\n| 1 thread | CPU ms per image | CPU time / decode |")
            print("|---|---:|---:|")
            for name, (_, cpu, ratio) in result.items():
                print(f"| {name} | {1000 * cpu:.2f} | {ratio:.2f}x |")
    return 0


if __name__ == "__main__":
    app.run(main)
