"""The shared test harness (after keras-hub's `TestCase`): one way to do each check.

- Backends: `BACKEND` is the backend this run tests (`make test` runs the whole suite
  once per backend in {tensorflow, jax, torch}); `skip_on_backends` skips a test
  where a backend cannot do something, with the reason in the report.
- Round trips: `run_serialization_test` (get_config / from_config and
  `keras.saving.serialize_keras_object`), `run_saving_test` (a `.keras` file on
  disk and back, outputs compared), `run_layer_test` (build, call, output shape,
  serialization of a layer).
- Subprocesses: `run_python` / `run_script` / `run_tool` for code that must start in a
  fresh interpreter (device setup before imports, benchmark scripts, the
  `python -m keras_rr.tools.<name>` command-line tools).
- Data: `random_labels`.

NumPy references of the formulas live in `tests/references.py`.
"""

import contextlib
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

BACKEND = keras.backend.backend()
BACKENDS = ("tensorflow", "jax", "torch")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def to_numpy(x):
    """Converts a backend tensor (or nested structure) to NumPy."""
    return keras.ops.convert_to_numpy(x)


def skip_on_backends(*backends, reason):
    """A pytest mark skipping a test on `backends`, saying why in the report.

    Example:

    >>> @skip_on_backends("torch", reason="float16 convolutions are not implemented on torch CPU")
    ... def test_float16(): ...
    """
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        raise ValueError(f"Unknown backends {sorted(unknown)}; expected names from {BACKENDS}")
    return pytest.mark.skipif(BACKEND in backends, reason=f"{BACKEND}: {reason}")


@contextlib.contextmanager
def xla_optimizations():
    """Compiles with XLA's optimisation passes on (the suite turns most of them off on JAX).

    For tests that read what XLA makes of a program (its cost analysis), which the
    benchmarks report for the optimised program.
    """
    if BACKEND != "jax":
        yield
        return
    import jax

    previous = jax.config.values["jax_disable_most_optimizations"]
    jax.config.update("jax_disable_most_optimizations", False)
    try:
        yield
    finally:
        jax.config.update("jax_disable_most_optimizations", previous)


def run_serialization_test(obj, check_config_equal=True):
    """Round-trips a Keras object through its config both ways and returns the copy.

    Checks `type(obj).from_config(obj.get_config())` and
    `keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(obj))`
    (which needs the class registered): both give the same type and, unless
    `check_config_equal=False`, the same config.

    Returns:
        The object restored through `keras.saving`.
    """
    config = obj.get_config()
    direct = type(obj).from_config(config)
    assert type(direct) is type(obj)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(obj))
    assert type(restored) is type(obj)
    if check_config_equal:
        assert direct.get_config() == config
        assert restored.get_config() == config
    return restored


def run_saving_test(model, inputs, path, atol=1e-6, compile=True):
    """Saves `model` to a `.keras` file, loads it without `custom_objects`, compares outputs.

    Args:
        model: a built `keras.Model`.
        inputs: inputs for `model.predict`.
        path: str. Where the `.keras` file goes (e.g. under `tmp_path`).
        atol: float. Largest output difference accepted. Defaults to `1e-6`.
        compile: bool. Passed to `keras.saving.load_model`. Defaults to `True`.

    Returns:
        The loaded model.
    """
    path = os.fspath(path)
    model.save(path)
    restored = keras.saving.load_model(path, compile=compile)
    assert type(restored) is type(model)
    np.testing.assert_allclose(
        to_numpy(restored.predict(inputs, verbose=0)), to_numpy(model.predict(inputs, verbose=0)), atol=atol
    )
    return restored


def run_layer_test(layer, inputs, expected_output_shape=None):
    """Calls a layer eagerly, checks its output shape and its config round trip.

    Args:
        layer: a `keras.layers.Layer`.
        inputs: a tensor or a tuple of tensors (passed positionally).
        expected_output_shape: tuple or nested tuples, or None. Compared with the
            shapes of the outputs.

    Returns:
        The layer's outputs.
    """
    args = inputs if isinstance(inputs, tuple) else (inputs,)
    outputs = layer(*args)
    if expected_output_shape is not None:
        shapes = keras.tree.map_structure(lambda x: tuple(x.shape), outputs)
        assert shapes == expected_output_shape, (shapes, expected_output_shape)
    run_serialization_test(layer)
    return outputs


def run_python(code, env=None, timeout=600):
    """Runs `code` in a fresh interpreter (for device setup that must precede imports).

    Returns the completed process; raises with its output when it fails.
    """
    return _run([sys.executable, "-c", code], env, timeout)


def run_script(path, args=(), env=None, timeout=600):
    """Runs the repository script `path` (relative to the repo root) with `args`.

    Returns the completed process; raises with its output when it fails.
    """
    return _run([sys.executable, os.path.join(REPO_ROOT, path), *args], env, timeout)


def run_tool(name, *args, env=None, timeout=300):
    """Runs `python -m keras_rr.tools.<name> *args` from the repository root, as users do.

    absl flags are process-global, so every tool runs in its own interpreter.

    Returns:
        The tool's standard output; raises with its output when it fails.
    """
    env = {"TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    return _run([sys.executable, "-m", f"keras_rr.tools.{name}", *args], env, timeout, cwd=REPO_ROOT).stdout


def _run(argv, env, timeout, cwd=None):
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = REPO_ROOT + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    proc = subprocess.run(argv, env=full_env, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    if proc.returncode != 0:
        raise AssertionError(
            f"subprocess failed ({proc.returncode}):\nSTDOUT:\n{proc.stdout}\n"
            f"STDERR:\n{proc.stderr[-6000:]}"
        )
    return proc


def random_labels(shape, num_classes, ignore_fraction=0.1, ignore_class=255, seed=0):
    """Integer label maps with some ignore pixels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, size=shape).astype("int32")
    labels[rng.random(shape) < ignore_fraction] = ignore_class
    return labels


def randomize_weights(model, seed=0):
    """Random weights, BatchNorm statistics included, so inference BN is not the identity.

    Gammas and moving variances are drawn from U(0.5, 1.5), betas and moving means from
    N(0, 0.1), every other variable from N(0, 1 / fan_in) (keeps activations O(1)).
    """
    rng = np.random.default_rng(seed)
    for w in model.weights:
        name = w.path.split("/")[-1]
        if "float" not in str(w.dtype):
            continue  # e.g. a dropout's seed state
        if name in ("gamma", "moving_variance"):
            value = rng.uniform(0.5, 1.5, w.shape)
        elif name in ("beta", "moving_mean"):
            value = rng.normal(0.0, 0.1, w.shape)
        else:
            value = rng.normal(0.0, np.sqrt(1.0 / max(np.prod(w.shape[:-1]), 1)), w.shape)
        w.assign(value.astype(w.dtype))


def predict(model, inputs):
    """Outputs as NumPy: compiled `predict` on JAX (eager JAX compiles op by op), one eager
    inference call elsewhere."""
    outputs = model.predict(inputs, verbose=0) if BACKEND == "jax" else model(inputs, training=False)
    return keras.tree.map_structure(to_numpy, outputs)


def fit_two_steps_with_region_rebalance(segmenter, num_classes, size, batch_size=2, auxiliary_head=False,
                                        export_dir=None):
    """Trains `segmenter` under `keras_rr.models.RegionRebalanceSegmenter` for two steps.

    `auxiliary_head`: False, True (an 8-channel `AuxiliaryFCNHead`) or a head layer.
    Checks that the pixel and region (and auxiliary) losses are logged and finite, that
    the segmenter's weights moved, and that the wrapper's predictions are the plain
    segmenter's. With `export_dir`, also exports the wrapper (`.keras`) and checks the
    artifact holds exactly the segmenter's weights (no region or auxiliary head) and
    predicts bit-identically.

    Returns:
        The `fit` history dict.
    """
    from keras_rr.export import export_segmenter
    from keras_rr.models import AuxiliaryFCNHead
    from keras_rr.models import RegionRebalanceSegmenter

    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (2 * batch_size, size, size, 3)).astype("float32")
    labels = random_labels((2 * batch_size, size, size), num_classes, seed=1)
    model = RegionRebalanceSegmenter(
        segmenter, num_classes, region_frequency=list(range(num_classes, 0, -1)),
        auxiliary_head=(auxiliary_head if isinstance(auxiliary_head, AuxiliaryFCNHead)
                        else AuxiliaryFCNHead(num_classes, channels=8) if auxiliary_head else None),
    )
    model.compile(optimizer=keras.optimizers.SGD(0.01))
    before = [to_numpy(w) for w in segmenter.trainable_weights]
    history = model.fit(images, labels, batch_size=batch_size, epochs=1, verbose=0).history
    logged = ("loss", "pixel_loss", "region_loss") + (("auxiliary_loss",) if auxiliary_head else ())
    assert set(logged) <= set(history)
    assert all(np.isfinite(history[key][-1]) for key in logged)
    assert any(not np.array_equal(a, to_numpy(b)) for a, b in zip(before, segmenter.trainable_weights))
    expected = segmenter.predict(images[:batch_size], verbose=0)
    np.testing.assert_array_equal(model.predict(images[:batch_size], verbose=0), expected)
    if export_dir is not None:
        path = os.path.join(str(export_dir), f"{segmenter.name}.keras")
        export_segmenter(model, path, sample_images=images[:batch_size])
        exported = keras.saving.load_model(path)
        # Variable paths get fresh unique suffixes on reload: compare count and shapes.
        def shapes(model):
            return sorted(tuple(w.shape) for w in model.weights)

        assert shapes(exported) == shapes(segmenter)
        assert not any("region_head" in w.path or "auxiliary_head" in w.path for w in exported.weights)
        np.testing.assert_array_equal(exported.predict(images[:batch_size], verbose=0), expected)
    return history
