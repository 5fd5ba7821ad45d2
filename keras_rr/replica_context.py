"""Cross-replica helpers so loss terms built from raw ops follow Keras' conventions.

Keras scales every loss by `1 / num_replicas` under `tf.distribute` (the TF trainer sums
replica gradients) and unscales it for logging. Region Rebalance averages over the
regions of the *global* batch, so its term needs the global region count. Under JAX
`keras.distribution.DataParallel` the step already sees the global batch and these
helpers are no-ops; likewise on torch and without a strategy.
"""

import keras


def _tf_strategy():
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    strategy = tf.distribute.get_strategy()
    return strategy if strategy.num_replicas_in_sync > 1 else None


def num_replicas():
    """Number of replicas computing one step in sync (1 outside `tf.distribute`)."""
    strategy = _tf_strategy()
    return 1 if strategy is None else strategy.num_replicas_in_sync


def cross_replica_sum(value):
    """Sums `value` over the replicas of the current `tf.distribute` step, else returns it."""
    strategy = _tf_strategy()
    if strategy is None:
        return value
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None:  # cross-replica context (e.g. symbolic build): nothing to sum
        return value
    return context.all_reduce(tf.distribute.ReduceOp.SUM, value)
