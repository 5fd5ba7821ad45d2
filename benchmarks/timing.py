"""Timing helpers shared by the benchmarks: interleaved repeats, median ratios."""

import statistics
import time

import keras


def sync(value=None):
    """Blocks until device work behind `value` (or all queued work) is done."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        if value is not None:
            jax.block_until_ready(value)
    elif backend == "torch":
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()
    elif value is not None:
        keras.ops.convert_to_numpy(keras.ops.sum(value) if hasattr(value, "shape") else value)


def time_call(fn, repeats):
    """Median wall time of `fn()` over `repeats` calls (fn must synchronise itself)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed(fn):
    """Seconds `fn()` took: its own measurement if it returns one, else wall time."""
    start = time.perf_counter()
    measured = fn()
    return measured if isinstance(measured, float) else time.perf_counter() - start


class _FirstBatchClock(keras.callbacks.Callback):
    """Notes when the first training batch starts (no `on_*_end` hook: stays async)."""

    def __init__(self):
        super().__init__()
        self.start = None

    def on_train_batch_begin(self, batch, logs=None):
        if self.start is None:
            self.start = time.perf_counter()


def fit_steps_seconds(model, x, y, batch_size):
    """Seconds from the first training batch of one `fit` epoch until `fit` returns.

    Leaves out the one-off work `fit` does before its first step (data adapters, the RR
    wrapper's host-side label check), so the figure is the cost of the steps. `fit`
    returns only after the last step's logs are on the host, so the device is synced.
    """
    clock = _FirstBatchClock()
    model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0, callbacks=[clock])
    return time.perf_counter() - clock.start


def interleaved_rounds(runs, repeats):
    """Times every callable once per round, rotating which goes first.

    Timing the contenders alternately inside one process cancels slow drifts (thermal,
    other load). The order rotates every round: whatever is timed first (or right after a
    given other model) can be systematically faster or slower, e.g. 1.09x for two copies
    of one graph on a JAX CPU `predict`; rotating spreads that over all of them. A
    callable that returns a float reports its own time (e.g. `fit_steps_seconds`).

    Args:
        runs: dict name -> callable.
        repeats: int. Rounds. Use a multiple of `len(runs)` so each leads equally often.

    Returns:
        List (one per round) of dicts name -> seconds.

    Example:

    >>> rounds = interleaved_rounds({"plain": run_plain, "rr": run_rr}, 6)
    """
    names = list(runs)
    rounds = []
    for round_index in range(repeats):
        shift = round_index % len(names)
        rounds.append({name: timed(runs[name]) for name in names[shift:] + names[:shift]})
    return rounds


def interleaved_ratios(candidates, baseline, repeats):
    """Median ratio of each candidate to the baseline timed in the same round.

    Args:
        candidates: dict name -> callable.
        baseline: callable.
        repeats: int. Rounds (`interleaved_rounds`); a multiple of `len(candidates) + 1`.

    Returns:
        `(ratios, seconds, baseline_seconds)`: dicts name -> median ratio to the baseline
        of the same round and name -> median seconds, and the baseline's median seconds.

    Example:

    >>> ratios, seconds, base = interleaved_ratios({"rr": run_rr}, run_plain, 6)
    """
    rounds = interleaved_rounds({None: baseline, **candidates}, repeats)
    median = statistics.median
    return (
        {name: median(times[name] / times[None] for times in rounds) for name in candidates},
        {name: median(times[name] for times in rounds) for name in candidates},
        median(times[None] for times in rounds),
    )


def device_name():
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return str(jax.devices()[0].device_kind)
    if backend == "torch":
        import torch

        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    return gpus[0].name if gpus else "cpu"
