"""Distribution strategies by name, checked against the Keras backend.

- `none`: one device (every backend; the only choice on torch).
- `mirrored`: `tf.distribute.MirroredStrategy` (TensorFlow; all local GPUs, one process).
- `data_parallel`: `keras.distribution.DataParallel` (JAX; all local devices, one process).
- `multi_worker`: several processes, usually one per host, each driving its local devices:
  - TensorFlow: `tf.distribute.MultiWorkerMirroredStrategy`, cluster and task from the
    `TF_CONFIG` environment variable.
  - JAX: `jax.distributed.initialize` (coordinator address, process count and process id
    from `ProcessGroup`: arguments, else `KERAS_DISTRIBUTION_JOB_ADDRESSES` /
    `KERAS_DISTRIBUTION_NUM_PROCESSES` / `KERAS_DISTRIBUTION_PROCESS_ID`, else
    `JAX_COORDINATOR_ADDRESS`, else JAX's cluster auto-detection, e.g. SLURM or Open MPI),
    then `keras.distribution.DataParallel` over the global device mesh.

The batch size of the config is the global batch: it is split over the replicas, and
the Region Rebalance loss averages over the regions of the global batch. With
`multi_worker` each process reads and augments only its share of every global batch
(`Distribution.shard_batches`), and only the chief (`Distribution.is_chief`) writes
files; every process must see the chief's workdir (a shared filesystem) so that all
resume from the same checkpoint (`Distribution.check_same_step`).
"""

import contextlib
import dataclasses
import os

from keras_rr import validation

STRATEGY_BACKENDS = {
    "none": ("tensorflow", "jax", "torch"),
    "mirrored": ("tensorflow",),
    "multi_worker": ("tensorflow", "jax"),
    "data_parallel": ("jax",),
}
_HINTS = {
    "mirrored": "set KERAS_BACKEND=tensorflow, or use strategy='data_parallel' with JAX",
    "multi_worker": "set KERAS_BACKEND=tensorflow (cluster from TF_CONFIG) or KERAS_BACKEND=jax "
    "(jax.distributed)",
    "data_parallel": "set KERAS_BACKEND=jax, or use strategy='mirrored' with TensorFlow",
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
    if backend in STRATEGY_BACKENDS[name]:
        return
    if backend == "torch":
        raise ValueError(
            f"strategy={name!r} needs the {' or '.join(STRATEGY_BACKENDS[name])} backend but Keras runs on "
            "'torch': keras_rr trains on one device with torch (strategy='none'). For several GPUs or hosts "
            "use KERAS_BACKEND=tensorflow (strategy='mirrored' or 'multi_worker') or KERAS_BACKEND=jax "
            f"(strategy='data_parallel' or 'multi_worker'). Received: strategy={name!r}, backend='torch'"
        )
    raise ValueError(
        f"strategy={name!r} needs the {' or '.join(STRATEGY_BACKENDS[name])} backend but Keras runs on "
        f"{backend!r} ({_HINTS[name]}). Received: strategy={name!r}, backend={backend!r}"
    )


@dataclasses.dataclass(frozen=True)
class ProcessGroup:
    """Where a JAX process finds the others: coordinator address, process count and id.

    `None` fields are filled by `resolve()` from the environment, else left to JAX's
    cluster auto-detection (SLURM, Open MPI, Kubernetes, TPU pods).

    Args:
        coordinator_address: str or None. `host:port` of process 0's coordinator service.
        num_processes: int or None. Number of processes.
        process_id: int or None. This process, in `[0, num_processes)`; 0 is the chief.

    Example:

    >>> ProcessGroup("10.0.0.1:1234", 2, 1).resolve()
    ProcessGroup(coordinator_address='10.0.0.1:1234', num_processes=2, process_id=1)
    """

    coordinator_address: object = None
    num_processes: object = None
    process_id: object = None

    def resolve(self, environ=None):
        """Fills `None` fields from the environment and checks the result.

        Order: the fields given, then Keras' `KERAS_DISTRIBUTION_JOB_ADDRESSES` (its first
        address is the coordinator), `KERAS_DISTRIBUTION_NUM_PROCESSES` and
        `KERAS_DISTRIBUTION_PROCESS_ID`, then `JAX_COORDINATOR_ADDRESS`.

        Args:
            environ: mapping or None. Defaults to `os.environ`.

        Returns:
            `ProcessGroup`.
        """
        env = os.environ if environ is None else environ
        address = self.coordinator_address
        if not address and env.get("KERAS_DISTRIBUTION_JOB_ADDRESSES"):
            address = env["KERAS_DISTRIBUTION_JOB_ADDRESSES"].split(",")[0].strip()
        address = address or env.get("JAX_COORDINATOR_ADDRESS") or None
        count, index = self.num_processes, self.process_id
        if count is None and env.get("KERAS_DISTRIBUTION_NUM_PROCESSES"):
            count = _env_int(env, "KERAS_DISTRIBUTION_NUM_PROCESSES")
        if index is None and env.get("KERAS_DISTRIBUTION_PROCESS_ID"):
            index = _env_int(env, "KERAS_DISTRIBUTION_PROCESS_ID")
        count = validation.check_int(count, "num_processes", minimum=1, allow_none=True)
        index = validation.check_int(index, "process_id", minimum=0, allow_none=True)
        if count is not None and index is not None and index >= count:
            raise ValueError(
                f"`process_id` must be smaller than `num_processes` ({count}). Received: process_id={index}"
            )
        return ProcessGroup(address, count, index)


def _env_int(env, key):
    try:
        return int(env[key])
    except ValueError:
        raise ValueError(f"The environment variable {key} must be an int. Received: {key}={env[key]!r}") from None


class Distribution:
    """What a strategy scope yields: replica count, worker layout, chief, input sharding.

    Args:
        name: str. Strategy name.
        num_replicas: int. Devices the global batch is split over (all processes).
        is_chief: bool. Only the chief writes checkpoints, logs and exports.
        strategy: the `tf.distribute.Strategy`, the `keras.distribution.Distribution`,
            or None.
        num_workers: int. Processes taking part (1 except with `multi_worker`).
        worker_index: int. This process, in `[0, num_workers)`.
    """

    def __init__(self, name, num_replicas=1, is_chief=True, strategy=None, num_workers=1, worker_index=0):
        self.name = name
        self.num_replicas = int(num_replicas)
        self.is_chief = bool(is_chief)
        self.strategy = strategy
        self.num_workers = int(num_workers)
        self.worker_index = int(worker_index)

    def __repr__(self):
        return (
            f"Distribution(name={self.name!r}, num_replicas={self.num_replicas}, is_chief={self.is_chief}, "
            f"num_workers={self.num_workers}, worker_index={self.worker_index})"
        )

    def shard_batches(self, make_batches, global_batch_size):
        """The input `fit` gets: this process's share of every global batch.

        Args:
            make_batches: callable `(num_shards, shard_index) -> tf.data.Dataset` of
                batches of `global_batch_size // num_shards` examples: the shard's part
                of each global batch (`keras_rr.training.training_data.train_batches`).
            global_batch_size: int.

        Returns:
            What to pass to `fit`: the one shard without `multi_worker`; with TensorFlow
            `multi_worker`, a `tf.distribute` dataset whose function builds each worker's
            shard (split further over the worker's local replicas); with JAX
            `multi_worker`, this process's shard (Keras assembles the global batch).
        """
        if self.num_workers == 1:
            return make_batches(1, 0)
        if not _is_tf_strategy(self.strategy):
            return make_batches(self.num_workers, self.worker_index)
        import tensorflow as tf

        def dataset_fn(context):
            shard = make_batches(context.num_input_pipelines, context.input_pipeline_id)
            per_replica = context.get_per_replica_batch_size(global_batch_size)
            if per_replica * context.num_input_pipelines != global_batch_size:
                # Several local replicas: consecutive slices of the worker's shard.
                shard = shard.rebatch(per_replica)
            return shard.prefetch(tf.data.AUTOTUNE)

        return self.strategy.distribute_datasets_from_function(dataset_fn)

    def gather(self, value):
        """`value` (an int) of every worker, by worker index (a collective: all must call it).

        Args:
            value: int. Exact below 2**24.

        Returns:
            list of `num_workers` ints.
        """
        value = int(value)
        if self.num_workers == 1:
            return [value]
        if _is_tf_strategy(self.strategy):
            import tensorflow as tf

            # Each worker puts `value` at its own index; a cross-worker sum gathers them.
            def one_hot(_):
                vector = [0.0] * self.num_workers
                vector[self.worker_index] = float(value)
                return tf.constant(vector, tf.float32)

            values = self.strategy.experimental_distribute_values_from_function(one_hot)
            total = self.strategy.reduce(tf.distribute.ReduceOp.SUM, values, axis=None)
            local = max(1, self.num_replicas // self.num_workers)  # every local replica added it
            return [int(round(v / local)) for v in total.numpy().tolist()]
        import numpy as np
        from jax.experimental import multihost_utils

        gathered = multihost_utils.process_allgather(np.int32(value))
        return [int(v) for v in np.asarray(gathered).reshape(-1)]

    def check_same_step(self, step):
        """Raises unless every worker resumes from `step` (a collective: all must call it).

        Args:
            step: int. The step this worker restored.
        """
        steps = self.gather(step)
        if len(set(steps)) > 1:
            raise ValueError(
                "The workers would resume from different steps "
                f"({dict(enumerate(steps))}, by worker): every worker must read the chief's workdir "
                "(put it on a filesystem all hosts share) and run the same config."
            )


def _is_tf_strategy(strategy):
    import keras

    return strategy is not None and keras.backend.backend() == "tensorflow"


def _tf_multi_worker_strategy():
    """`tf.distribute.MultiWorkerMirroredStrategy` that Keras 3's `fit` can use.

    Two calls of Keras 3.15's TensorFlow trainer fail with two or more workers:

    - `fit` starts by passing a whole input batch, a tuple of `PerReplica` values, to
      `strategy.reduce`; the collective strategy reduces single values only ("unsupported
      type PerReplica to a Tensor").
    - every step reduces its logged metrics, scalars, with `axis=0` ("Invalid reduction
      dimension 0 for input with 0 dimensions").

    This subclass reduces nested values leaf by leaf and scalars across replicas only
    (`axis=None`, the mean of the replicas' values); otherwise it is TensorFlow's strategy.
    """
    import tensorflow as tf

    def rank(value):
        if isinstance(value, tf.distribute.DistributedValues):
            value = value.values[0]
        shape = getattr(value, "shape", None)
        return None if shape is None else shape.rank

    class MultiWorkerMirroredStrategy(tf.distribute.MultiWorkerMirroredStrategy):
        def reduce(self, reduce_op, value, axis=None):
            if isinstance(value, (tuple, list, dict)):
                return tf.nest.map_structure(lambda v: self.reduce(reduce_op, v, axis), value)
            if axis is not None and rank(value) == 0:
                axis = None
            return super().reduce(reduce_op, value, axis)

    return MultiWorkerMirroredStrategy()


def _tf_worker_count(strategy):
    spec = strategy.cluster_resolver.cluster_spec().as_dict()
    return max(1, len(spec.get("chief", [])) + len(spec.get("worker", [])))


def _tf_worker_index(strategy):
    resolver = strategy.cluster_resolver
    task_type, task_id = resolver.task_type, int(resolver.task_id or 0)
    spec = resolver.cluster_spec().as_dict()
    if task_type == "chief" or task_type is None:
        return 0
    # The chief, when the cluster names one, is input pipeline 0 and the workers follow.
    return task_id + len(spec.get("chief", []))


def _jax_initialize(group):
    import jax

    if jax.distributed.is_initialized():
        return
    group = group.resolve()
    jax.distributed.initialize(
        coordinator_address=group.coordinator_address,
        num_processes=group.num_processes,
        process_id=group.process_id,
    )


@contextlib.contextmanager
def distribution_scope(name="none", process_group=None):
    """Creates the named strategy and enters its scope (build and train the model inside).

    Args:
        name: str. `"none"`, `"mirrored"`, `"multi_worker"` or `"data_parallel"`.
        process_group: `ProcessGroup` or None. JAX `multi_worker` only: where the
            processes meet (`None`: from the environment, see `ProcessGroup.resolve`).
            Must be set before anything else uses JAX in the process.

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
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if name == "mirrored":
            strategy = tf.distribute.MirroredStrategy()
            dist = Distribution(name, strategy.num_replicas_in_sync, True, strategy)
        else:
            strategy = _tf_multi_worker_strategy()
            dist = Distribution(
                name, strategy.num_replicas_in_sync, strategy.extended.should_checkpoint, strategy,
                num_workers=_tf_worker_count(strategy), worker_index=_tf_worker_index(strategy),
            )
        with strategy.scope():
            yield dist
        return
    import jax

    if name == "multi_worker":
        _jax_initialize(process_group or ProcessGroup())
    devices = keras.distribution.list_devices()
    # Each process feeds its own share of the batch (`Distribution.shard_batches`):
    # Keras must not shard it again.
    distribution = keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False)
    with distribution.scope():
        yield Distribution(
            name, len(devices), jax.process_index() == 0, distribution,
            num_workers=jax.process_count(), worker_index=jax.process_index(),
        )
