"""Distribution strategies by name, checked against the Keras backend.

- `none`: one device.
- `mirrored`: `tf.distribute.MirroredStrategy` (TensorFlow backend; all local GPUs).
- `multi_worker`: `tf.distribute.MultiWorkerMirroredStrategy` (TensorFlow backend;
  cluster from the `TF_CONFIG` environment variable).
- `data_parallel`: `keras.distribution.DataParallel` (JAX backend; all local devices).

The batch size of the config is the global batch: it is split over the replicas, and
the Region Rebalance loss averages over the regions of the global batch.
"""

import contextlib

STRATEGY_BACKENDS = {
    "none": ("tensorflow", "jax", "torch"),
    "mirrored": ("tensorflow",),
    "multi_worker": ("tensorflow",),
    "data_parallel": ("jax",),
}


def check_strategy(name, backend=None):
    """Raises a clear `ValueError` when `name` is unknown or does not fit the backend.

    Args:
        name: str. A key of `STRATEGY_BACKENDS`.
        backend: str or None. Defaults to `keras.backend.backend()`.

    Example:

    >>> check_strategy("mirrored")  # fine under KERAS_BACKEND=tensorflow
    """
    import keras

    backend = backend or keras.backend.backend()
    if name not in STRATEGY_BACKENDS:
        raise ValueError(f"`strategy` must be one of {tuple(STRATEGY_BACKENDS)}. Received: strategy={name!r}")
    if backend not in STRATEGY_BACKENDS[name]:
        hint = {
            "mirrored": "set KERAS_BACKEND=tensorflow, or use strategy='data_parallel' with JAX",
            "multi_worker": "set KERAS_BACKEND=tensorflow",
            "data_parallel": "set KERAS_BACKEND=jax, or use strategy='mirrored' with TensorFlow",
        }[name]
        raise ValueError(
            f"strategy={name!r} needs the {' or '.join(STRATEGY_BACKENDS[name])} backend but Keras runs on "
            f"{backend!r} ({hint}). Received: strategy={name!r}, backend={backend!r}"
        )


class Distribution:
    """What a strategy scope yields: replica count and whether this process writes files.

    Args:
        name: str. Strategy name.
        num_replicas: int. Devices the global batch is split over.
        is_chief: bool. Only the chief writes checkpoints, logs and exports.
        strategy: the `tf.distribute.Strategy`, the `keras.distribution.Distribution`,
            or None.
    """

    def __init__(self, name, num_replicas=1, is_chief=True, strategy=None):
        self.name = name
        self.num_replicas = int(num_replicas)
        self.is_chief = bool(is_chief)
        self.strategy = strategy

    def __repr__(self):
        return f"Distribution(name={self.name!r}, num_replicas={self.num_replicas}, is_chief={self.is_chief})"


@contextlib.contextmanager
def distribution_scope(name="none"):
    """Creates the named strategy and enters its scope (build and train the model inside).

    Args:
        name: str. `"none"`, `"mirrored"`, `"multi_worker"` or `"data_parallel"`.

    Yields:
        `Distribution`.

    Example:

    ```python
    with distribution_scope("mirrored") as dist:
        model = build_model()
        model.compile(...)
        model.fit(dataset)  # global batch split over dist.num_replicas GPUs
    ```
    """
    check_strategy(name)
    if name == "none":
        yield Distribution("none")
        return
    if name in ("mirrored", "multi_worker"):
        import tensorflow as tf

        if name == "mirrored":
            strategy = tf.distribute.MirroredStrategy()
            is_chief = True
        else:
            strategy = tf.distribute.MultiWorkerMirroredStrategy()
            resolver = strategy.cluster_resolver
            task_type = getattr(resolver, "task_type", None)
            task_id = getattr(resolver, "task_id", 0) or 0
            is_chief = task_type in (None, "chief") or (task_type == "worker" and task_id == 0)
        with strategy.scope():
            yield Distribution(name, strategy.num_replicas_in_sync, is_chief, strategy)
        return
    import keras

    distribution = keras.distribution.DataParallel()
    import jax

    with distribution.scope():
        yield Distribution(name, len(jax.devices()), jax.process_index() == 0, distribution)
