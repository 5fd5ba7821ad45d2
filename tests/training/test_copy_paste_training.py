"""Copy-paste in the trainer: the step-indexed stream pastes the drawn source; `:smoke` trains."""

import os

import numpy as np
import tensorflow as tf

from keras_rr.training import config as rr_config
from keras_rr.training import training_data
from keras_rr.training.trainer import train_and_evaluate
from tests.harness import REPO_ROOT


def _config(mode, augment=False):
    overrides = {"data.copy_paste.mode": mode}
    config = rr_config.load_config(os.path.join(REPO_ROOT, "configs/synthetic/small_fcn_rr.py:smoke"), overrides)
    config.data.synthetic.num_images = 6
    config.data.augment.enabled = augment
    config.train.export = False
    return config


def test_stream_pastes_the_source_drawn_from_the_global_index():
    data = training_data.build_training_data(_config("random"), progress=False)
    assert data.copy_paste.mode == "random" and data.augment is None
    examples = list(data.examples.as_numpy_iterator())
    seed, batch = 3, 2
    stream = list(training_data.train_batches(data, batch, 0, 4, seed=seed).unbatch().as_numpy_iterator())
    pasted = 0
    for index, (image, label) in enumerate(stream):
        example_seed = tf.constant([seed + 1, index], tf.int64)
        draw = tf.random.stateless_uniform([], tf.constant([seed + 3, index], tf.int64), 0, 6, dtype=tf.int64)
        source = examples[int(draw)]
        paste_seed = tf.random.experimental.stateless_fold_in(example_seed, 2)
        candidates = [data.copy_paste(*destination, *source, seed=paste_seed) for destination in examples]
        assert any(
            np.array_equal(image, got_image.numpy()) and np.array_equal(label, got_label.numpy())
            for got_image, got_label in candidates
        ), index
        pasted += int(not any(np.array_equal(label, y) for _, y in examples))
    assert pasted > 0
    # Resume is exact: steps 2.. of a fresh stream are those of the uninterrupted one.
    part = list(training_data.train_batches(data, batch, 2, 4, seed=seed).unbatch().as_numpy_iterator())
    for (xa, ya), (xb, yb) in zip(stream[4:], part):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


def test_smoke_trains_with_rare_copy_paste_after_the_augmentation(tmp_path):
    config = _config("rare", augment=True)
    result = train_and_evaluate(config, str(tmp_path / "run"), progress=False)
    assert result.step == config.train.total_steps and np.isfinite(result.metrics.miou)
