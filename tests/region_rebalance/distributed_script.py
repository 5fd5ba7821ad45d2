"""Run in a subprocess by test_distributed.py: one step on 1 device vs 2 replicas.

Prints one JSON line with the logged losses and weights of both runs.
"""

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


def build(weights=None):
    keras.utils.set_random_seed(0)
    model = RegionRebalanceSegmenter(tiny_models.functional_segmenter(K), K, region_frequency=FREQ)
    if weights is not None:
        model.set_weights(weights)
    model.compile(optimizer=keras.optimizers.SGD(0.5))
    return model


def run(model):
    images, labels = batch()
    logs = model.fit(images, labels, batch_size=4, epochs=1, shuffle=False, verbose=0).history
    return {k: float(v[0]) for k, v in logs.items()}, [w.tolist() for w in model.get_weights()]


def main():
    single = build()
    initial = single.get_weights()
    images, labels = batch()
    halves = [
        single.evaluate(images[i : i + 2], labels[i : i + 2], verbose=0, return_dict=True)["region_loss"]
        for i in (0, 2)
    ]
    single_logs, single_weights = run(single)

    if BACKEND == "tensorflow":
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        with strategy.scope():
            model = build(initial)
        replicas = strategy.num_replicas_in_sync
    else:
        devices = keras.distribution.list_devices("cpu")
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
        model = build(initial)
        replicas = len(devices)
    dist_logs, dist_weights = run(model)
    print(
        json.dumps(
            {
                "replicas": replicas,
                "mean_of_replica_means": float(np.mean(halves)),
                "single": {"logs": single_logs, "weights": single_weights},
                "distributed": {"logs": dist_logs, "weights": dist_weights},
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
