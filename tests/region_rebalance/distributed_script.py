"""Run in a subprocess by test_distributed.py: one step on 1 device vs 2 replicas.

Prints one JSON line with the logged losses and weights of both runs.
"""

import contextlib
import json
import os
import sys

BACKEND = os.environ["KERAS_BACKEND"]
if BACKEND == "tensorflow":
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_rr.models import RegionRebalanceSegmenter  # noqa: E402
from tests import tiny_models  # noqa: E402

K = 4
FREQ = [40, 12, 3, 1]


def batch():
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, size=(4, 32, 32, 3)).astype("float32")
    labels = rng.integers(0, K, size=(4, 32, 32)).astype("int32")  # replica 0: 4 regions each
    labels[2:] = 1  # replica 1: one region per image, so local means differ from the global
    labels[3, :8] = 255
    return images, labels


def build(weights=None, **head_options):
    keras.utils.set_random_seed(0)
    model = RegionRebalanceSegmenter(tiny_models.functional_segmenter(K), K, region_frequency=FREQ, **head_options)
    if weights is not None:
        model.set_weights(weights)
    model.compile(optimizer=keras.optimizers.SGD(0.5))
    return model


def run(model):
    images, labels = batch()
    logs = model.fit(images, labels, batch_size=4, epochs=1, shuffle=False, verbose=0).history
    return {k: float(v[0]) for k, v in logs.items()}, [w.tolist() for w in model.get_weights()]


def compare(region_scope, distributed):
    """One step on one device and under `distributed` (a context), for one region scope."""
    single = build(region_scope=region_scope)
    initial = single.get_weights()
    images, labels = batch()
    halves = [
        single.evaluate(images[i : i + 2], labels[i : i + 2], verbose=0, return_dict=True)["region_loss"]
        for i in (0, 2)
    ]
    single_logs, single_weights = run(single)
    with distributed():
        dist_logs, dist_weights = run(build(initial, region_scope=region_scope))
    return {
        "mean_of_replica_means": float(np.mean(halves)),
        "single": {"logs": single_logs, "weights": single_weights},
        "distributed": {"logs": dist_logs, "weights": dist_weights},
    }


def main():
    if BACKEND == "tensorflow":
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        replicas, distributed = strategy.num_replicas_in_sync, strategy.scope
    else:
        devices = keras.distribution.list_devices("cpu")
        replicas = len(devices)

        @contextlib.contextmanager
        def distributed():
            keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
            try:
                yield
            finally:
                keras.distribution.set_distribution(None)

    results = {"replicas": replicas}
    for region_scope in ("image", "batch"):
        results[region_scope] = compare(region_scope, distributed)
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
