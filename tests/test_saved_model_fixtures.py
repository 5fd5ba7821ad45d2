"""Saved models written by an earlier version still load and predict the same.

`tests/fixtures/saved_models/` holds a `model.keras` (the Region Rebalance wrapper with
the authors' head, the auxiliary head and our optimizer, after one step), the
`segmenter.keras` exported from it, and a wrapper with the paper's head, all written by
the code before the package's layout changed (issue 20; how: `make_saved_models.py`
there). Moving a registered class to another module must not break files users have.
"""

import os

import keras
import numpy as np
import pytest

import keras_rr  # noqa: F401 - registers the classes the files name

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "saved_models")


@pytest.fixture(scope="module")
def expected():
    return dict(np.load(os.path.join(FIXTURES, "expected.npz")))


def _load(name):
    return keras.saving.load_model(os.path.join(FIXTURES, name))


def test_saved_segmenter_predicts_as_before(expected):
    segmenter = _load("segmenter.keras")
    assert isinstance(segmenter, keras_rr.models.NormalizedSegmenter)
    outputs = segmenter.predict(expected["images"], verbose=0)
    np.testing.assert_allclose(outputs, expected["segmenter"], rtol=1e-4, atol=1e-4)


def test_saved_wrapper_with_authors_head_loads_whole(expected):
    model = _load("model.keras")
    assert isinstance(model, keras_rr.models.RegionRebalanceSegmenter)
    head = model.region_head
    assert head.region_scope == "batch" and head.reduction_dim == 128 and head.frozen_head
    assert model.loss_weight == 1.0 and model.auxiliary_head.loss_weight == 0.4
    assert isinstance(model.optimizer, keras_rr.optimizers.CoupledWeightDecaySGD)
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == int(expected["optimizer_iterations"])
    outputs = model.predict(expected["images"], verbose=0)
    np.testing.assert_allclose(outputs, expected["model"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(outputs, expected["segmenter"], rtol=1e-4, atol=1e-4)


def test_saved_wrapper_with_paper_head_keeps_its_region_weights(expected):
    model = _load("model_paper_head.keras")
    assert model.region_head.max_regions_per_image == 3 and model.region_head.projection_dim is None
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model.region_classifier.kernel), expected["region_kernel"], rtol=1e-6
    )
    outputs = model.predict(expected["small_images"], verbose=0)
    np.testing.assert_allclose(outputs, expected["model_paper_head"], rtol=1e-4, atol=1e-4)
