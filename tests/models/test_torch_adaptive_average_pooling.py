"""`keras_rr.models.TorchAdaptiveAveragePooling2D` against torch's `adaptive_avg_pool2d`."""

import keras
import numpy as np
import torch

from keras_rr.models import TorchAdaptiveAveragePooling2D
from tests.harness import run_layer_test
from tests.harness import to_numpy


def test_matches_torch_bins_and_runs_in_a_compiled_model():
    x = np.random.default_rng(0).normal(size=(2, 8, 5, 3)).astype("float32")
    for bins in (1, 2, 3, 6):  # 3 and 6 overlap on 8 and 5; 6 > 5 repeats pixels
        expected = torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(x).permute(0, 3, 1, 2), bins)
        expected = expected.permute(0, 2, 3, 1).numpy()
        out = run_layer_test(TorchAdaptiveAveragePooling2D(bins), x, expected_output_shape=(2, bins, bins, 3))
        np.testing.assert_allclose(to_numpy(out), expected, atol=1e-6)
    # Compiled (a TF graph, a JAX jit): Keras's AdaptiveAveragePooling2D fails there.
    inputs = keras.Input((8, 5, 3))
    model = keras.Model(inputs, [TorchAdaptiveAveragePooling2D(b)(inputs) for b in (1, 6)])
    pooled = model.predict(x, verbose=0)
    np.testing.assert_allclose(pooled[0], x.mean(axis=(1, 2), keepdims=True), atol=1e-6)
