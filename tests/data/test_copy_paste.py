"""LTSS copy-paste: equal to a NumPy reference on fixed draws, in TrainAugmentation and loaders."""

import numpy as np
import pytest
import tensorflow as tf

import keras_rr
from keras_rr.data import CopyPaste
from keras_rr.data import TrainAugmentation
from keras_rr.data.copy_paste import copy_paste_from_config
from keras_rr.data.copy_paste import seed_split
from keras_rr.data.file_datasets import LoaderOptions
from keras_rr.data.file_datasets import build_pipeline
from keras_rr.metrics.frequency_groups import DEFAULT_BOUNDS
from keras_rr.metrics.frequency_groups import frequency_groups


def numpy_copy_paste(image, label, source_image, source_label, mode, max_classes, rare, count_draw, order_keys):
    """LTSS's `_select_object` + `_copy_paste` on a semantic label map, from given draws.

    `count_draw` is the uniform integer in [0, min(max_classes, n)) (numpy's `randint`),
    `order_keys` one uniform key per source class (ascending class order); the k classes
    with the smallest keys are LTSS's `np.random.choice(n, k, replace=False)`.
    """
    present = [c for c in np.unique(source_label) if c != 255]
    if mode == "rare":
        chosen = [c for c in present if c in set(rare)]
    else:
        k = count_draw if min(max_classes, len(present)) > 0 else 0
        chosen = [present[i] for i in np.argsort(order_keys, kind="stable")[:k]]
    image, label = image.copy(), label.copy()
    union = np.zeros(label.shape, bool)
    for c in chosen:  # one whole-class mask per class, pasted in turn
        mask = source_label == c
        label[mask] = c
        union |= mask
    image[union] = source_image[union]
    return image, label


def _draws(source_label, max_classes, seed):
    n = len([c for c in np.unique(source_label) if c != 255])
    count_seed, order_seed = tf.unstack(seed_split(seed))
    count = tf.random.stateless_uniform([], count_seed, 0, max(min(max_classes, n), 1), dtype=tf.int32)
    keys = tf.random.stateless_uniform([n], order_seed)
    return int(count), keys.numpy()


def _pair(rng, classes, size=12):
    label = rng.choice(classes, size=(size, size)).astype(np.int32)
    label[rng.random((size, size)) < 0.1] = 255
    return rng.uniform(0, 255, (size, size, 3)).astype(np.float32), label


@pytest.mark.parametrize("mode,max_classes", [("random", 100), ("random", 3), ("rare", 100)])
def test_copy_paste_equals_numpy_reference_on_fixed_draws(mode, max_classes):
    rng = np.random.default_rng(0)
    rare = [2, 5, 7]
    paste = CopyPaste(mode, max_classes=max_classes, rare_classes=rare)
    pasted_something = 0
    for trial in range(12):
        image, label = _pair(rng, [0, 1, 2, 3])
        source_image, source_label = _pair(rng, rng.choice(9, size=rng.integers(1, 7), replace=False))
        seed = (trial, 17)
        got_image, got_label = paste(image, label, source_image, source_label, seed=seed)
        count, keys = _draws(source_label, max_classes, seed)
        want_image, want_label = numpy_copy_paste(
            image, label, source_image, source_label, mode, max_classes, rare, count, keys
        )
        np.testing.assert_array_equal(got_label.numpy(), want_label)
        np.testing.assert_array_equal(got_image.numpy(), want_image)
        pasted_something += int(not np.array_equal(want_label, label))
    assert pasted_something >= 4  # the test pastes, not only the empty selection


def test_random_mode_draws_k_uniformly_below_min_of_max_and_classes():
    # 4 source classes and max_classes=3: k uniform on {0, 1, 2} (never 3, numpy's randint).
    source_label = np.repeat(np.arange(4, dtype=np.int32), 4).reshape(4, 4)
    zeros = np.zeros((4, 4, 3), np.float32)
    paste = CopyPaste("random", max_classes=3)
    counts = np.zeros(4, int)
    for s in range(150):
        chosen = paste.classes(source_label, (s, 1)).numpy()
        assert len(set(chosen.tolist())) == len(chosen) and set(chosen.tolist()) <= {0, 1, 2, 3}
        counts[len(chosen)] += 1
    assert counts[3] == 0 and counts[:3].min() > 30  # ~50 each
    # A source with one class (or only ignored pixels) pastes nothing.
    single = np.full((4, 4), 7, np.int32)
    assert paste.classes(single, (0, 0)).numpy().size == 0
    image, label = paste(zeros, np.zeros((4, 4), np.int32), zeros + 1, np.full((4, 4), 255, np.int32), seed=(1, 2))
    assert not label.numpy().any() and not image.numpy().any()


def test_rare_classes_are_the_image_frequency_rare_tags():
    _, labels = keras_rr.data.synthetic_long_tailed(num_images=40, image_size=16, num_classes=12, seed=0)
    stats = keras_rr.data.compute_class_statistics(labels, 12, progress=False)
    rare = keras_rr.data.rare_classes(stats)
    assert rare.tolist() == np.flatnonzero(frequency_groups(stats, by="image") == "rare").tolist()
    assert keras_rr.data.copy_paste.RARE_IMAGE_FREQUENCY == DEFAULT_BOUNDS[0]
    assert keras_rr.data.rare_classes(stats, bound=0.5).size > rare.size
    configured = copy_paste_from_config({"mode": "rare", "max_classes": 100}, stats)
    assert list(configured.rare_classes) == rare.tolist()
    assert copy_paste_from_config({"mode": "none", "max_classes": 100}, stats) is None


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="mode"):
        CopyPaste("often")
    with pytest.raises(ValueError, match="rare_classes"):
        CopyPaste("rare")
    with pytest.raises(ValueError, match="max_classes"):
        CopyPaste("random", max_classes=0)
    with pytest.raises(ValueError, match="copy_paste.mode"):
        copy_paste_from_config({"mode": "sometimes"})
    with pytest.raises(ValueError, match="source="):
        TrainAugmentation(8, copy_paste={"mode": "random"})(np.zeros((8, 8, 3)), np.zeros((8, 8), np.int32), seed=0)


def test_train_augmentation_augments_the_source_then_pastes():
    rng = np.random.default_rng(1)
    image, label = _pair(rng, [0, 1], size=20)
    source = _pair(rng, [3, 4, 5, 6], size=24)
    options = dict(crop_size=16, ratio_range=(0.8, 1.2), photometric=False)
    augment = TrainAugmentation(**options, copy_paste={"mode": "random", "max_classes": 100})
    plain = TrainAugmentation(**options)
    seed = tf.constant([5, 9], tf.int64)
    got_image, got_label = augment(image, label, seed=seed, source=source)
    fold = tf.random.experimental.stateless_fold_in
    dst = plain(image, label, seed=seed)
    src = plain(*source, seed=fold(seed, 1))
    want_image, want_label = augment.copy_paste(*dst, *src, seed=fold(seed, 2))
    np.testing.assert_array_equal(got_label.numpy(), want_label.numpy())
    np.testing.assert_array_equal(got_image.numpy(), want_image.numpy())
    # The destination's own draws are those of the augmentation without copy-paste.
    kept = want_label.numpy() == dst[1].numpy()
    assert kept.any() and (~kept).any()
    clone = TrainAugmentation.from_config(augment.get_config())
    assert clone.get_config() == augment.get_config() and clone.copy_paste.mode == "random"


def test_loaders_paste_a_uniformly_drawn_source_deterministically():
    images, labels = keras_rr.data.synthetic_long_tailed(num_images=6, image_size=16, num_classes=6, seed=0)
    sources = tf.data.Dataset.from_tensor_slices((images, labels))
    augment = TrainAugmentation(16, scale=None, ratio_range=(1.0, 1.0), flip_probability=0.0, photometric=False,
                                cat_max_ratio=1.0, copy_paste={"mode": "rare", "rare_classes": list(range(6))})

    def run(seed):
        options = LoaderOptions(augment=augment, seed=seed, batch_size=6, shuffle=False)
        return next(build_pipeline(sources, options, 6).as_numpy_iterator())

    first, again, other = run(0), run(0), run(1)
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])
    # Without resize, crop or flip, and every class rare: each output is its example with
    # all labeled pixels of one of the 6 examples pasted over it.
    sources_drawn = []
    for label, original in zip(first[1], labels):
        pasted = [j for j, src in enumerate(labels) if np.array_equal(label, np.where(src != 255, src, original))]
        assert pasted
        sources_drawn.append(pasted[0])
    assert len(set(sources_drawn)) > 1
