"""`NormalizedSegmenter`: the backbone's input normalisation inside the model, and
`RegionRebalanceSegmenter` around a KerasHub task built from a preset."""

import keras
import numpy as np
import pytest

from keras_rr.export import export_segmenter
from keras_rr.models import NormalizedSegmenter
from keras_rr.models import RegionRebalanceSegmenter
from tests import tiny_models
from tests.harness import random_labels
from tests.harness import run_saving_test
from tests.harness import to_numpy
from tests.tiny_models import IMAGENET_OFFSET
from tests.tiny_models import IMAGENET_SCALE

K = 4
SIZE = 64


def raw_images(n=2, size=SIZE, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, size=(n, size, size, 3)).astype("float32")


def normalized(images):
    return images * np.asarray(IMAGENET_SCALE, "float32") + np.asarray(IMAGENET_OFFSET, "float32")


@pytest.fixture(scope="module")
def preset_task(tmp_path_factory):
    """A tiny KerasHub DeepLabV3 task with an ImageNet-normalising preprocessor, saved with
    `save_to_preset` and loaded back with `ImageSegmenter.from_preset` (offline)."""
    import keras_hub

    directory = str(tmp_path_factory.mktemp("preset") / "tiny_deeplab")
    tiny_models.keras_hub_deeplab_v3(K, size=SIZE, preprocessor=True).save_to_preset(directory)
    return keras_hub.models.ImageSegmenter.from_preset(directory)


def test_normalized_segmenter_feeds_the_segmenter_normalized_images(tmp_path):
    segmenter = tiny_models.functional_segmenter(K, size=32)
    model = NormalizedSegmenter(segmenter, scale=IMAGENET_SCALE, offset=IMAGENET_OFFSET)
    images = raw_images(size=32)
    np.testing.assert_allclose(
        model.predict(images, verbose=0), segmenter.predict(normalized(images), verbose=0), rtol=1e-5, atol=1e-5
    )
    restored = run_saving_test(model, images, tmp_path / "normalized.keras", atol=1e-6)
    assert restored.normalization.scale == model.normalization.scale
    with pytest.raises(ValueError, match="functional keras.Model"):
        NormalizedSegmenter(keras.layers.Dense(3))
    with pytest.raises(ValueError, match="no preprocessor"):
        NormalizedSegmenter.from_task(segmenter)


def test_wrapping_a_preset_task_keeps_its_predict(preset_task):
    images = raw_images()
    model = RegionRebalanceSegmenter(preset_task, K, region_frequency=[9, 5, 2, 1])
    assert isinstance(model.segmenter, NormalizedSegmenter) and model.segmenter.inner is preset_task
    assert "before its upsampling" in model.feature_description
    # `task.predict` applies its preprocessor in the data pipeline; the wrapper applies the
    # same normalisation inside the graph.
    np.testing.assert_allclose(
        model.predict(images, verbose=0), preset_task.predict(images, verbose=0), rtol=1e-4, atol=1e-4
    )
    model.compile(optimizer=keras.optimizers.SGD(0.01))
    labels = random_labels((2, SIZE, SIZE), K)
    logs = model.fit(images, labels, epochs=1, verbose=0).history
    assert np.isfinite(logs["loss"][0]) and logs["region_loss"][0] > 0


def test_training_and_the_export_feed_the_backbone_the_same_values(preset_task, tmp_path):
    # The images of a training pipeline (float32 in [0, 255]) and of a deployment reach
    # the backbone through the one normalisation layer saved in the model.
    import tensorflow as tf

    model = RegionRebalanceSegmenter(preset_task, K, region_frequency=[9, 5, 2, 1])
    path = str(tmp_path / "segmenter.keras")
    export_segmenter(model, path)
    exported = keras.saving.load_model(path)
    dataset = tf.data.Dataset.from_tensor_slices((raw_images(seed=3), random_labels((2, SIZE, SIZE), K))).batch(2)
    images, _ = next(iter(dataset.as_numpy_iterator()))
    trained_input = to_numpy(model.segmenter.normalization(images))
    deployed_input = to_numpy(exported.normalization(images))
    np.testing.assert_array_equal(trained_input, deployed_input)
    np.testing.assert_allclose(trained_input, normalized(images), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        exported.predict(images, verbose=0), preset_task.predict(images, verbose=0), rtol=1e-4, atol=1e-4
    )
