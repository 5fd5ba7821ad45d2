"""Data tests build no Keras models, so they skip the suite's per-test `clear_session`.

`keras.backend.clear_session()` runs a full `gc.collect()`, about 0.5 s per test once
TensorFlow and torch are both imported; the data tests never create Keras state.

Also what several data test modules share: the on-disk datasets (`ade20k_root`,
`coco_root`) and in-memory `label_maps`.
"""

import numpy as np
import pytest

from tests.data.label_files import make_pairs
from tests.data.label_files import raw_maps


@pytest.fixture(autouse=True)
def _seed_and_clean_state():
    # Same name as the fixture in tests/conftest.py, so this one replaces it here.
    np.random.seed(1234)
    yield


@pytest.fixture
def ade20k_root(tmp_path):
    """An `ADEChallengeData2016` folder: 3 training and 2 validation pairs of raw labels."""
    root = tmp_path / "ADEChallengeData2016"
    raw = {
        "training": raw_maps(np.array([0, 1, 2, 75, 149, 150])),
        "validation": raw_maps(np.array([0, 3, 150]), seed=1)[:2],
    }
    for split, maps in raw.items():
        names = [f"ADE_{split[:5]}_{i:08d}" for i in range(len(maps))]
        make_pairs(root / "images" / split, root / "annotations" / split, maps, names)
    return root, raw


@pytest.fixture
def coco_root(tmp_path):
    """A COCO-Stuff164K folder with 3 `val2017` pairs of raw `stuffthingmaps` labels."""
    root = tmp_path / "coco_stuff164k"
    raw = raw_maps(np.array([0, 11, 12, 90, 91, 181, 255]))
    names = [f"{i:012d}" for i in range(len(raw))]
    make_pairs(root / "images" / "val2017", root / "annotations" / "val2017", raw, names)
    return root, raw, names


@pytest.fixture
def label_maps():
    """Eight 12x10 maps with ignore pixels; class 5 occurs in two images only, class 6 never."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, size=(8, 12, 10)).astype(np.int32)
    labels[rng.random(labels.shape) < 0.15] = 255
    labels[2, 3:5, 4:6] = 5
    labels[6, 0, 0] = 5
    labels[4] = 255  # an image with no labeled pixel at all
    return labels
