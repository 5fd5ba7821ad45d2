"""Training data of a config: examples, class statistics and the step-indexed batch stream.

Exact resumption needs batches that depend on the step only. `train_batches` builds
them from the global example index `i = step * batch_size + j`: epoch `i // N` draws
a permutation with a stateless `index_shuffle` seeded by `(seed, epoch)`, the example
is fetched with `tf.data.experimental.at` (random access, so starting at step 80,000
costs nothing), and the augmentation gets the stateless seed `(seed, i)`. A run
killed at any step and restarted from a checkpoint therefore sees the same batches
as an uninterrupted one.

Sources without random access (e.g. TFDS records) fall back to a seeded shuffle per
epoch and `skip`, which reproduces the same stream but reads every skipped example
once on resume.

TensorFlow (tf.data) feeds every backend; it is imported inside the functions.
"""

import dataclasses
import os

import numpy as np

from keras_rr import validation
from keras_rr.data.augmentation import TrainAugmentation
from keras_rr.data.augmentation import augmentation_from_config
from keras_rr.data.class_statistics import ClassStatistics
from keras_rr.data.compute_class_statistics import compute_class_statistics
from keras_rr.data.copy_paste import copy_paste_from_config
from keras_rr.data.datasets import DATASETS
from keras_rr.data.datasets import compute_dataset_statistics
from keras_rr.data.datasets import load_dataset
from keras_rr.data.repeat_factors import repeat_factors
from keras_rr.data.repeat_factors import sampled_indices
from keras_rr.data.synthetic import synthetic_long_tailed


@dataclasses.dataclass
class TrainingData:
    """What the trainer needs from the `data` section.

    Args:
        examples: un-batched `tf.data.Dataset` of `(image float32 (H, W, 3), label
            int32 (H, W))`, in a fixed order.
        num_examples: int. Number of training examples `N`.
        random_access: bool. `examples` supports `tf.data.experimental.at`.
        validation: batched `tf.data.Dataset` of validation `(images, labels)` (or
            `SizeBatches` when its images differ in size).
        num_validation_images: int or None.
        statistics: `keras_rr.data.ClassStatistics` of the training labels.
        class_names: list of `K` str.
        augment: callable `(image, label, seed) -> (image, label)` or None (with
            `copy_paste`, a `TrainAugmentation` that also takes `source=`).
        example_size: `(height, width)` of every training example, or None.
        repeat_factors: float array `(N,)` of per-example repeat factors
            (`data.repeat_factor_threshold`), or None: every epoch is a permutation.
        copy_paste: `keras_rr.data.CopyPaste` (`data.copy_paste`) or None. The source of
            global index i is example `stateless_uniform([], (seed + 3, i), 0, N)`.
        loaders: cache of traced example loaders (internal).
    """

    examples: object
    num_examples: int
    random_access: bool
    validation: object
    num_validation_images: object
    statistics: object
    class_names: list
    augment: object = None
    # `(height, width)` every training example must have (the crop, else the model's
    # input size), checked when the source's images have no static size; None: unchecked.
    example_size: object = None
    # Per-example repeat factors (repeat-factor sampling), or None.
    repeat_factors: object = None
    # LTSS copy-paste (`data.copy_paste`), or None.
    copy_paste: object = None
    # Traced per-example loaders by seed (see `train_batches`).
    loaders: dict = dataclasses.field(default_factory=dict, repr=False)


def synthetic_arrays(data_config, train):
    """The synthetic training (or validation) arrays of a `data` section with `name="synthetic"`.

    Args:
        data_config: the config's `data` section (`num_classes` and `synthetic`).
        train: bool. The training split (`synthetic.num_images`, `synthetic.seed`), else
            the validation split (`synthetic.val_images`, `synthetic.val_seed`).

    Returns:
        `(images, labels, SyntheticSpec)` as `keras_rr.data.synthetic_long_tailed` returns.
    """
    s = data_config.synthetic
    return synthetic_long_tailed(
        num_images=s.num_images if train else s.val_images,
        image_size=s.image_size,
        num_classes=data_config.num_classes,
        imbalance=s.imbalance,
        noise=s.noise,
        seed=s.seed if train else s.val_seed,
        class_seed=s.class_seed,
        return_spec=True,
    )


def has_random_access(dataset):
    """Whether a `tf.data.Dataset` supports `tf.data.experimental.at` (exact, cheap resume)."""
    import tensorflow as tf

    try:
        tf.data.experimental.at(dataset, 0)
    except tf.errors.OpError:  # Unimplemented for sources without random access
        return False
    return True


def resolve_class_names(data_config, statistics, fallback=None):
    """Class names: the statistics', else the dataset's, else `fallback`, else `"0"`, `"1"`, ...

    Args:
        data_config: the config's `data` section (`name`, `num_classes`).
        statistics: `keras_rr.data.ClassStatistics` or None.
        fallback: sequence of str or None, e.g. the names of a synthetic dataset's spec.

    Returns:
        list of `K` str.
    """
    k = data_config.num_classes
    if statistics is not None and statistics.class_names is not None and len(statistics.class_names) == k:
        return list(statistics.class_names)
    names = DATASETS.get(data_config.name, (None, None, None))[2]
    if names is not None and len(names) == k:
        return list(names)
    if fallback:
        return list(fallback)
    return [str(i) for i in range(k)]


def load_statistics(data_config, workdir=None, labels=None, class_names=None, progress=True):
    """Class statistics: `data.statistics_path`, else the workdir cache, else computed.

    A computed result is written to `workdir/class_statistics.json`, so a resumed run
    (and `keras_rr.tools.evaluate`) reads it instead of counting again.

    Args:
        data_config: the config's `data` section.
        workdir: str or None.
        labels: int array `(N, H, W)` of in-memory training labels, or None (the
            dataset is read).
        class_names: sequence of `K` str stored with in-memory statistics, or None.
        progress: bool. Defaults to `True`.

    Returns:
        `keras_rr.data.ClassStatistics`.
    """
    k = data_config.num_classes
    if data_config.get("statistics_path"):
        return ClassStatistics.load(data_config.statistics_path, num_classes=k)
    cache = None if workdir is None else os.path.join(workdir, "class_statistics.json")
    if cache is not None and os.path.isfile(cache):
        return ClassStatistics.load(cache, num_classes=k)
    if labels is not None:
        stats = compute_class_statistics(
            labels, num_classes=k, ignore_class=data_config.ignore_class, dataset_name=data_config.name,
            split=data_config.get("train_split") or "train", class_names=class_names, progress=False,
        )
    else:
        kwargs = loader_arguments(data_config, train=True)
        for key in ("num_classes", "ignore_class"):  # passed below
            kwargs.pop(key, None)
        stats = compute_dataset_statistics(
            data_config.name,
            data_dir=data_config.data_dir,
            split=data_config.train_split,
            num_classes=k,
            ignore_class=data_config.ignore_class,
            progress=progress,
            **kwargs,
        )
    if cache is not None:
        stats.save(cache)
    return stats


# `data` fields naming the folders of `name="directory"` (training, validation).
DIRECTORY_FIELDS = {True: ("image_dir", "label_dir"), False: ("val_image_dir", "val_label_dir")}


def loader_arguments(data_config, train):
    """Keyword arguments of `keras_rr.data.load_dataset` for the training or validation split.

    `loader_kwargs` (`val_loader_kwargs`), plus for `name="directory"` the folders
    (`data.image_dir` / `data.label_dir`, or `data.val_image_dir` /
    `data.val_label_dir`), `data.class_names_file`, `data.num_classes` and
    `data.ignore_class`.

    Args:
        data_config: the config's `data` section.
        train: bool. The training split, else the validation split.

    Returns:
        dict.
    """
    kwargs = (data_config.loader_kwargs if train else data_config.val_loader_kwargs).to_dict()
    if data_config.name == "directory":
        image_field, label_field = DIRECTORY_FIELDS[train]
        folders = {
            "image_dir": data_config.get(image_field), "label_dir": data_config.get(label_field),
            "class_names_file": data_config.get("class_names_file"), "num_classes": data_config.num_classes,
            "ignore_class": data_config.ignore_class,
        }
        for key, value in folders.items():
            if value is not None:
                kwargs.setdefault(key, value)
    return kwargs


class SizeBatches:
    """Batches of consecutive examples of one image size (whole-image evaluation of mixed sizes).

    `tf.data`'s `batch` needs every image of a batch to have one size; validation
    images of a folder rarely do. A batch here ends at `batch_size` examples or where
    the next image has another size, so same-size data batches as usual and mixed
    sizes still run, in order (the metrics are counted over the whole set, so batch
    boundaries do not change them).

    Args:
        dataset: un-batched `tf.data.Dataset` of `(image, label)`.
        batch_size: int.
    """

    def __init__(self, dataset, batch_size):
        self.dataset = dataset
        self.batch_size = int(batch_size)

    def __iter__(self):
        pending = []
        for image, label in self.dataset.as_numpy_iterator():
            if pending and (len(pending) == self.batch_size or pending[0][0].shape != image.shape):
                yield tuple(np.stack(column) for column in zip(*pending))
                pending = []
            pending.append((image, label))
        if pending:
            yield tuple(np.stack(column) for column in zip(*pending))


def build_validation_data(data_config, eval_config):
    """The validation set of a config as a batched `tf.data.Dataset`.

    Args:
        data_config: the config's `data` section.
        eval_config: the config's `eval` section (`batch_size`).

    Returns:
        `(dataset, num_images or None, spec_class_names or None)`; the dataset is a
        `SizeBatches` when the images may differ in size and `eval.batch_size > 1`.
    """
    import tensorflow as tf

    if data_config.name == "synthetic":
        images, labels, spec = synthetic_arrays(data_config, train=False)
        if data_config.get("max_val_images"):
            images, labels = images[: data_config.max_val_images], labels[: data_config.max_val_images]
        dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(eval_config.batch_size)
        return dataset, len(images), list(spec.class_names)

    dataset = load_dataset(
        data_config.name, data_config.data_dir, data_config.val_split, **loader_arguments(data_config, train=False)
    )
    if data_config.get("max_val_images"):
        dataset = dataset.take(data_config.max_val_images)
    count = int(dataset.cardinality())
    image_shape = dataset.element_spec[0].shape
    if eval_config.batch_size == 1 or image_shape.is_fully_defined():
        dataset = dataset.batch(eval_config.batch_size).prefetch(tf.data.AUTOTUNE)
    else:  # images of several sizes: batch each run of one size
        dataset = SizeBatches(dataset.prefetch(tf.data.AUTOTUNE), eval_config.batch_size)
    return dataset, (count if count >= 0 else None), None


def build_training_data(config, workdir=None, progress=True):
    """Loads the training examples, validation set and class statistics of a config.

    Args:
        config: `ml_collections.ConfigDict` (see `keras_rr.training.config`).
        workdir: str or None. Where statistics are cached.
        progress: bool. Progress bar while counting statistics. Defaults to `True`.

    Returns:
        `TrainingData`.

    Example:

    >>> data = build_training_data(load_config("configs/synthetic/small_fcn_rr.py"))
    """
    import tensorflow as tf

    data_config = config.data
    spec_names = None
    if data_config.name == "synthetic":
        images, labels, spec = synthetic_arrays(data_config, train=True)
        spec_names = list(spec.class_names)
        examples = tf.data.Dataset.from_tensor_slices((images, labels))
        num_examples = len(images)
        statistics = load_statistics(data_config, workdir, labels=labels, class_names=spec_names, progress=progress)
    else:
        examples = load_dataset(
            data_config.name, data_config.data_dir, data_config.train_split, **loader_arguments(data_config, train=True)
        )
        num_examples = int(examples.cardinality())
        if num_examples < 0:
            raise ValueError(
                f"Dataset {data_config.name!r} has an unknown number of examples; the trainer needs a "
                f"finite, countable training set. Received: cardinality={num_examples}"
            )
        statistics = load_statistics(data_config, workdir, progress=progress)
    if num_examples < 1:
        raise ValueError(f"The training set is empty. Received: {num_examples} examples")
    validation, num_val, val_names = build_validation_data(data_config, config.eval)
    names = resolve_class_names(data_config, statistics, fallback=spec_names or val_names)
    factors = sampling_factors(data_config, statistics, num_examples)
    augment = augmentation_from_config(data_config.augment, ignore_class=data_config.ignore_class)
    copy_paste = copy_paste_from_config(
        data_config.get("copy_paste"), statistics, ignore_class=data_config.ignore_class
    )
    if copy_paste is not None and isinstance(augment, TrainAugmentation):
        # The source is augmented like the destination before the paste (LTSS).
        augment = TrainAugmentation.from_config({**augment.get_config(), "copy_paste": copy_paste})
    return TrainingData(
        examples=examples,
        num_examples=num_examples,
        random_access=has_random_access(examples),
        validation=validation,
        num_validation_images=num_val,
        statistics=statistics,
        class_names=names,
        augment=augment,
        example_size=_example_size(config, examples),
        repeat_factors=factors,
        copy_paste=copy_paste,
    )


def sampling_factors(data_config, statistics, num_examples):
    """Per-example repeat factors of `data.repeat_factor_threshold`, or None when unset.

    Args:
        data_config: the config's `data` section.
        statistics: `keras_rr.data.ClassStatistics` of the training examples, image i
            being example i.
        num_examples: int. Number of training examples.

    Returns:
        float64 array `(num_examples,)` or None.
    """
    threshold = data_config.get("repeat_factor_threshold")
    if threshold is None:
        return None
    if statistics.num_images != num_examples:
        raise ValueError(
            "Repeat-factor sampling needs class statistics of exactly the training examples, image i "
            f"being example i. Received: statistics of {statistics.num_images} images for "
            f"{num_examples} examples (data.statistics_path={data_config.get('statistics_path')!r})"
        )
    return repeat_factors(
        statistics, threshold, reduce=data_config.get("repeat_factor_reduce", "max"),
        frequency=data_config.get("repeat_factor_frequency", "image"),
    )


def _example_size(config, examples):
    """The size batches need when the source's images have none (e.g. a folder of photos)."""
    if examples.element_spec[0].shape[:2].is_fully_defined():
        return None
    if config.data.augment.enabled:
        size = config.data.augment.crop_size
    else:
        size = config.model.image_size
    return tuple(size) if isinstance(size, (tuple, list)) else (int(size), int(size))


def _copy_paste_source(data, seed, index):
    """The example pasted from at global index `index`: uniform over the N examples."""
    import tensorflow as tf

    draw = tf.random.stateless_uniform(
        [], tf.stack([tf.constant(seed + 3, tf.int64), index]), minval=0, maxval=int(data.num_examples),
        dtype=tf.int64,
    )
    return tf.data.experimental.at(data.examples, draw)


def _finisher(augment, seed, size=None, data=None):
    import tensorflow as tf

    copy_paste = None if data is None else data.copy_paste

    def finish(index, image, label):
        example_seed = tf.stack([tf.constant(seed + 1, tf.int64), index])
        if copy_paste is not None:
            source = _copy_paste_source(data, seed, index)
            if augment is not None:
                image, label = augment(image, label, seed=example_seed, source=source)
            else:  # same-size examples pasted as they are
                paste_seed = tf.random.experimental.stateless_fold_in(example_seed, 2)
                image, label = copy_paste(image, label, *source, seed=paste_seed)
        elif augment is not None:
            image, label = augment(image, label, seed=example_seed)
        image, label = tf.cast(image, tf.float32), tf.cast(label, tf.int32)
        if size is not None:
            # Batches (and TensorFlow's traced step) need one static size.
            check = tf.debugging.assert_equal(
                tf.shape(image)[:2], tf.constant(size, tf.int32),
                message=(
                    f"A training image is not {size[0]}x{size[1]} (data.augment.crop_size with "
                    "data.augment.enabled=True, else model.image_size): images of several sizes need "
                    "--config.data.augment.enabled=True (random rescale + crop). Image shape:"
                ),
                summarize=3,
            )
            with tf.control_dependencies([check]):
                image = tf.ensure_shape(tf.identity(image), (*size, None))
            label = tf.ensure_shape(label, size)
        return image, label

    return finish


def _random_access_loader(data, n, seed):
    import tensorflow as tf

    examples, finish = data.examples, _finisher(data.augment, seed, data.example_size, data)

    @tf.function(input_signature=[tf.TensorSpec([], tf.int64)], autograph=False)
    def load(index):
        epoch = index // n
        position = index % n
        shuffled = tf.random.experimental.index_shuffle(
            position, seed=tf.stack([tf.constant(seed, tf.int64), epoch]), max_index=n - 1
        )
        image, label = tf.data.experimental.at(examples, shuffled)
        return finish(index, image, label)

    return load


def _sampled_loader(data, seed):
    import tensorflow as tf

    examples, finish = data.examples, _finisher(data.augment, seed, data.example_size, data)

    @tf.function(
        input_signature=[tf.TensorSpec([], tf.int64), tf.TensorSpec([], tf.int64)], autograph=False
    )
    def load(index, example):
        image, label = tf.data.experimental.at(examples, example)
        return finish(index, image, label)

    return load


def train_batches(data, batch_size, start_step, end_step, seed, num_shards=1, shard_index=0):
    """Batches `start_step .. end_step - 1` of the training stream (a pure function of step).

    Step `s` of the global stream holds the examples of global indices
    `s * batch_size .. (s + 1) * batch_size - 1`. With `num_shards > 1` (one shard per
    worker process) this returns shard `shard_index`'s part of every global batch,
    `b = batch_size // num_shards` examples: indices `s * batch_size + shard_index * b + j`.
    The shards of a step, concatenated in shard order, are that step's global batch, and
    each shard reads and augments only its own examples.

    Args:
        data: `TrainingData`.
        batch_size: int. Global batch size.
        start_step: int. First step (0-based).
        end_step: int. One past the last step.
        seed: int. Seed of the per-epoch order and the augmentation.
        num_shards: int. Number of shards the global batch is split into. Defaults to `1`.
        shard_index: int. The shard to return, in `[0, num_shards)`. Defaults to `0`.

    With `data.repeat_factors` (repeat-factor sampling), the stream is the sampled
    epochs back to back instead: epoch e is `keras_rr.data.repeat_factor_epoch(factors,
    seed, e)` (example i floor(r_i) times plus once with probability frac(r_i), shuffled,
    all drawn from `(seed, e)`), so epochs differ in length and global index `i` is
    position `i` of that concatenation; steps, shards and augmentation seeds are as
    above. Needs a source with random access.

    Returns:
        A `tf.data.Dataset` of `end_step - start_step` batches `(images, labels)` of
        `batch_size // num_shards` examples.

    Example:

    >>> ds = train_batches(data, 16, start_step=400, end_step=600, seed=0)
    >>> worker1 = train_batches(data, 16, 400, 600, seed=0, num_shards=2, shard_index=1)  # 8 per batch
    """
    import tensorflow as tf

    num_shards = validation.check_int(num_shards, "num_shards", minimum=1)
    shard_index = validation.check_int(shard_index, "shard_index", minimum=0, maximum=num_shards - 1)
    if batch_size % num_shards:
        raise ValueError(
            f"`batch_size` ({batch_size}) must be divisible by `num_shards` ({num_shards}). "
            f"Received: batch_size={batch_size}, num_shards={num_shards}"
        )
    if data.copy_paste is not None and not data.random_access:
        raise ValueError(
            "Copy-paste (data.copy_paste.mode) draws its source examples by index: it needs a training "
            "source with random access (tf.data.experimental.at): a keras_rr file loader or in-memory arrays."
        )
    n = int(data.num_examples)
    seed = int(seed)
    b = batch_size // num_shards
    first, last = int(start_step) * batch_size, int(end_step) * batch_size
    if data.repeat_factors is not None:
        if not data.random_access:
            raise ValueError(
                "Repeat-factor sampling (data.repeat_factor_threshold) needs a training source with random "
                "access (tf.data.experimental.at): a keras_rr file loader or in-memory arrays."
            )
        key = ("repeat_factors", seed)
        if key not in data.loaders:
            data.loaders[key] = _sampled_loader(data, seed)
        positions = np.arange(first, last, dtype=np.int64)
        examples = sampled_indices(data.repeat_factors, seed, first, last)
        if num_shards > 1:
            mine = (positions % batch_size) // b == shard_index
            positions, examples = positions[mine], examples[mine]
        dataset = tf.data.Dataset.from_tensor_slices((positions, examples))
        dataset = dataset.map(data.loaders[key], num_parallel_calls=tf.data.AUTOTUNE)
    elif data.random_access:
        # Traced once per (data, seed): the trainer builds a new stream for every chunk
        # between checkpoints, and re-tracing the augmentation each time is slow.
        if seed not in data.loaders:
            data.loaders[seed] = _random_access_loader(data, n, seed)
        # Local position t -> global index: step t // b, slot shard_index * b + t % b.
        local = tf.data.Dataset.range(int(start_step) * b, int(end_step) * b)
        if num_shards > 1:
            local = local.map(lambda t: (t // b) * batch_size + shard_index * b + t % b)
        dataset = local.map(data.loaders[seed], num_parallel_calls=tf.data.AUTOTUNE)
    else:
        # Same stream from the start, then skip: exact, but resuming reads the skipped
        # examples once (and every shard reads the whole stream; it augments its own only).
        epochs = -(-last // n)
        stream = data.examples.shuffle(min(n, 10_000), seed=seed, reshuffle_each_iteration=True).repeat(epochs)
        stream = stream.enumerate().skip(first).take(last - first)
        if num_shards > 1:
            stream = stream.filter(lambda i, pair: (i % batch_size) // b == shard_index)
        augment = _finisher(data.augment, seed, data.example_size)
        dataset = stream.map(lambda i, pair: augment(i, pair[0], pair[1]), num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(b, drop_remainder=True)
    return dataset.prefetch(tf.data.AUTOTUNE)
