"""The training stream is a pure function of the step: exact resume, full epochs."""

import json
import os

import numpy as np
import pytest

import keras_rr
from keras_rr.training import config as rr_config
from keras_rr.training import training_data
from tests.harness import REPO_ROOT


def _data(augment=False, num_images=6):
    config = rr_config.load_config(os.path.join(REPO_ROOT, "configs/synthetic/base.py:smoke"))
    config.data.synthetic.num_images = num_images
    config.data.augment.enabled = augment
    return config, training_data.build_training_data(config, progress=False)


def _labels(dataset):
    return [y for _, y in dataset.as_numpy_iterator()]


def test_any_start_step_gives_the_same_batches_as_an_uninterrupted_stream():
    _, data = _data(augment=True)
    assert data.random_access and data.num_examples == 6 and data.augment is not None
    full = list(training_data.train_batches(data, 2, 0, 7, seed=3).as_numpy_iterator())
    part = list(training_data.train_batches(data, 2, 4, 7, seed=3).as_numpy_iterator())
    assert len(full) == 7 and len(part) == 3
    for (xa, ya), (xb, yb) in zip(full[4:], part):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    other = list(training_data.train_batches(data, 2, 4, 7, seed=4).as_numpy_iterator())
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(part, other))


def test_each_epoch_is_a_permutation_with_its_own_order():
    _, data = _data()
    examples = [x for x, _ in data.examples.as_numpy_iterator()]  # noisy images are unique
    batches = [x for x, _ in training_data.train_batches(data, 3, 0, 4, seed=0).as_numpy_iterator()]
    seen = np.concatenate(batches)  # 2 epochs of 6 images

    def index(image):
        return next(i for i, e in enumerate(examples) if np.array_equal(e, image))

    order = [index(image) for image in seen]
    assert sorted(order[:6]) == list(range(6)) and sorted(order[6:]) == list(range(6))
    assert order[:6] != order[6:]


def test_stream_without_random_access_is_deterministic_too():
    import tensorflow as tf

    _, data = _data()
    labels = np.stack(_labels(data.examples.batch(6)))[0]
    data.examples = tf.data.Dataset.from_generator(
        lambda: ((np.zeros((32, 32, 3), "float32"), label) for label in labels),
        output_signature=(tf.TensorSpec((32, 32, 3), tf.float32), tf.TensorSpec((32, 32), tf.int32)),
    )
    data.random_access = training_data.has_random_access(data.examples)
    assert not data.random_access
    full = _labels(training_data.train_batches(data, 2, 0, 5, seed=1))
    part = _labels(training_data.train_batches(data, 2, 3, 5, seed=1))
    for a, b in zip(full[3:], part):
        np.testing.assert_array_equal(a, b)


def _worker_shards_make_the_global_batches(data, start, end):
    whole = list(training_data.train_batches(data, 4, start, end, seed=2).as_numpy_iterator())
    shards = [
        list(training_data.train_batches(data, 4, start, end, seed=2, num_shards=2, shard_index=i).as_numpy_iterator())
        for i in range(2)
    ]
    assert len(whole) == len(shards[0]) == len(shards[1]) == end - start
    for step, (x, y) in enumerate(whole):
        assert shards[0][step][0].shape[0] == 2
        np.testing.assert_array_equal(np.concatenate([shards[0][step][0], shards[1][step][0]]), x)
        np.testing.assert_array_equal(np.concatenate([shards[0][step][1], shards[1][step][1]]), y)


def test_worker_shards_of_a_step_are_its_global_batch_in_order():
    # Two workers each read half of every global batch, augmented with the example's own
    # seed: concatenated in worker order they are the single-process batch.
    _, data = _data(augment=True)
    _worker_shards_make_the_global_batches(data, 1, 4)


def test_worker_shards_without_random_access():
    import tensorflow as tf

    _, data = _data()
    images, labels = (np.stack(a) for a in zip(*data.examples.as_numpy_iterator()))
    data.examples = tf.data.Dataset.from_generator(
        lambda: zip(images, labels),
        output_signature=(tf.TensorSpec((32, 32, 3), tf.float32), tf.TensorSpec((32, 32), tf.int32)),
    )
    data.random_access = training_data.has_random_access(data.examples)
    assert not data.random_access
    _worker_shards_make_the_global_batches(data, 1, 3)


def test_shards_must_divide_the_batch():
    _, data = _data()
    with pytest.raises(ValueError, match="must be divisible by `num_shards`"):
        training_data.train_batches(data, 3, 0, 1, seed=0, num_shards=2, shard_index=0)
    with pytest.raises(ValueError, match="Received: shard_index=2"):
        training_data.train_batches(data, 4, 0, 1, seed=0, num_shards=2, shard_index=2)


def test_statistics_are_cached_in_the_workdir(tmp_path):
    config, data = _data()
    training_data.build_training_data(config, str(tmp_path), progress=False)
    assert (tmp_path / "class_statistics.json").is_file()
    cached = training_data.load_statistics(config.data, str(tmp_path))
    np.testing.assert_array_equal(cached.region_counts, data.statistics.region_counts)
    assert data.class_names[0] == "ground" and len(data.class_names) == 12


def test_class_names_come_from_statistics_then_dataset_then_fallback():
    from keras_rr.data import ADE20K_CLASS_NAMES
    from keras_rr.data import ClassStatistics

    config = rr_config.load_config(os.path.join(REPO_ROOT, "configs/ade20k/base.py")).data
    assert training_data.resolve_class_names(config, None, fallback=["x"] * 150) == list(ADE20K_CLASS_NAMES)
    named = ClassStatistics.from_counts([1] * 150, [1] * 150, num_images=1, class_names=[f"c{i}" for i in range(150)])
    assert training_data.resolve_class_names(config, named)[:2] == ["c0", "c1"]
    synthetic = rr_config.load_config(os.path.join(REPO_ROOT, "configs/synthetic/base.py")).data
    assert training_data.resolve_class_names(synthetic, None, fallback=list("abcdefghijkl"))[:2] == ["a", "b"]
    assert training_data.resolve_class_names(synthetic, None)[:2] == ["0", "1"]


def _sampled_data(augment=False):
    config = rr_config.load_config(os.path.join(REPO_ROOT, "configs/synthetic/base.py:smoke"))
    config.data.synthetic.num_images = 6
    config.data.augment.enabled = augment
    config.data.repeat_factor_threshold = 0.5
    return config, training_data.build_training_data(config, progress=False)


def test_repeat_factor_sampling_follows_the_sampled_epochs_and_resumes_exactly():
    config, data = _sampled_data(augment=True)
    expected = keras_rr.data.repeat_factors(data.statistics, 0.5)
    np.testing.assert_array_equal(data.repeat_factors, expected)
    assert expected.max() > 1.0  # the rare classes' images repeat
    # Without augmentation the examples are identifiable: the stream is the sampled epochs.
    config.data.augment.enabled = False
    plain = training_data.build_training_data(config, progress=False)
    examples = [x for x, _ in plain.examples.as_numpy_iterator()]
    seen = np.concatenate([x for x, _ in training_data.train_batches(plain, 4, 0, 5, seed=1).as_numpy_iterator()])
    order = [next(i for i, e in enumerate(examples) if np.array_equal(e, image)) for image in seen]
    stream = np.concatenate([keras_rr.data.repeat_factor_epoch(expected, 1, e) for e in range(20)])
    assert order == stream[:20].tolist()
    # Resume mid-epoch (step 3 of batches of 4) is exact, augmentation included.
    full = list(training_data.train_batches(data, 4, 0, 6, seed=1).as_numpy_iterator())
    part = list(training_data.train_batches(data, 4, 3, 6, seed=1).as_numpy_iterator())
    for (xa, ya), (xb, yb) in zip(full[3:], part):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    # Two workers read disjoint halves of every global batch.
    _worker_shards_make_the_global_batches(data, 2, 5)


def test_repeat_factor_sampling_needs_per_image_statistics(tmp_path):
    config, data = _sampled_data()
    path = str(tmp_path / "stats.json")
    keras_rr_stats = data.statistics.to_dict()
    del keras_rr_stats["image_classes"], keras_rr_stats["image_class_pixels"]
    with open(path, "w") as f:
        json.dump(keras_rr_stats, f)
    config.data.statistics_path = path
    with pytest.raises(ValueError, match="keras_rr.tools.dataset_stats"):
        training_data.build_training_data(config, progress=False)
