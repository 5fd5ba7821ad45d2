"""Data tests build no Keras models, so they skip the suite's per-test `clear_session`.

`keras.backend.clear_session()` runs a full `gc.collect()`, about 0.5 s per test once
TensorFlow and torch are both imported; the data tests never create Keras state.
"""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _seed_and_clean_state():
    # Same name as the fixture in tests/conftest.py, so this one replaces it here.
    np.random.seed(1234)
    yield
