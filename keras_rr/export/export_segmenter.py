"""Export the inference model (the plain segmenter, without the region branch).

The region branch only shapes training (`docs/method.md`, section 3); inference runs the
plain segmenter, so that is what is written, verified and timed.
"""

import os

import keras
import numpy as np

from keras_rr import validation


def _plain_segmenter(model):
    # Duck-typed so this module does not import the wrapper (and stays light).
    return getattr(model, "segmenter", model)


def _sample_images(segmenter, sample_images, seed=0):
    if sample_images is not None:
        return np.asarray(sample_images, dtype="float32")
    shape = segmenter.inputs[0].shape
    if any(d is None for d in shape[1:]):
        raise ValueError(
            "The segmenter has a dynamic input size; pass `sample_images` to verify the "
            f"export. Received input shape: {tuple(shape)}"
        )
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, size=(2,) + tuple(shape[1:])).astype("float32")


def _forward(model, images, batch_size=8):
    """Outputs of `model` on `images`, through a compiled `predict` where possible.

    A functional model is run through `predict` of a plain `keras.Model` view of its
    graph: one compiled program (an eager call on JAX/GPU compiles every op on its own,
    which takes minutes for a ResNet-50), and no TensorFlow or Grain input pipeline,
    which KerasHub tasks' own `predict` needs. Other models are called directly.
    """
    graph = _plain_segmenter(model)
    if getattr(graph, "inputs", None) and getattr(graph, "outputs", None) and len(graph.outputs) == 1:
        view = keras.Model(graph.inputs, graph.outputs)
        return np.asarray(view.predict(images, batch_size=batch_size, verbose=0))
    outputs = [
        keras.ops.convert_to_numpy(model(images[i : i + batch_size], training=False))
        for i in range(0, len(images), batch_size)
    ]
    return np.concatenate(outputs, axis=0)


def _check_no_region_weights(names, where):
    leaked = [n for n in names if "region" in n.lower()]
    if leaked:
        raise AssertionError(f"Region branch weights leaked into the {where}: {leaked[:5]}")


def _write_keras(segmenter, path, images):
    """Saves a `.keras` file and reloads it: `(weight names, outputs or None, weight count)`."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    segmenter.save(path)
    exported = keras.saving.load_model(path)
    if len(exported.weights) != len(segmenter.weights):
        raise AssertionError(
            f"The export holds {len(exported.weights)} weights, the segmenter {len(segmenter.weights)}."
        )
    actual = None if images is None else _forward(exported, images)
    return [w.path for w in exported.weights], actual, len(exported.weights)


def _write_tf_saved_model(segmenter, path, images):
    """Exports a SavedModel and reloads it: `(variable names, outputs or None, variable count)`."""
    try:
        import tensorflow as tf
    except ImportError as error:
        raise ImportError("`format='tf_saved_model'` needs TensorFlow: pip install tensorflow") from error
    segmenter.export(path, format="tf_saved_model", verbose=False)
    reloaded = tf.saved_model.load(path)
    actual = None if images is None else reloaded.serve(tf.constant(images)).numpy()
    return [v.name for v in reloaded.variables], actual, len(reloaded.variables)


_WRITERS = {"keras": _write_keras, "tf_saved_model": _write_tf_saved_model}
EXPORT_FORMATS = tuple(_WRITERS)


def export_segmenter(model, path, format="keras", sample_images=None, atol=1e-5, verify=True):
    """Writes the inference model without the region branch and verifies it.

    The exported model is `model.segmenter` (or `model` itself if it is already a plain
    segmenter): same weights, same outputs, no extra cost. After writing, the file is
    loaded back and its outputs are compared with the model's (for the wrapper, its
    segmenter's: the wrapper predicts with it) on `sample_images` (random images of the
    input size if None), and its weights are checked to hold nothing of the region
    branch. `verify=False` skips the output comparison (two compiled forward passes),
    not the weight check.

    Args:
        model: a `keras_rr.models.RegionRebalanceSegmenter` or a plain `keras.Model`.
        path: str. Output path: a `.keras` file for `format="keras"`, a directory for
            `format="tf_saved_model"` (needs TensorFlow installed).
        format: `"keras"` or `"tf_saved_model"`. Defaults to `"keras"`.
        sample_images: array `(N, H, W, 3)` or None. Images used for the check.
        atol: float. Largest absolute output difference accepted. Defaults to `1e-5`.
        verify: bool. Compare the outputs of the export with the model's. Defaults to
            `True`.

    Returns:
        dict with `path`, `format`, `max_abs_diff` (exported vs wrapper outputs; `None`
        when `verify=False`) and `num_weights` (number of weight tensors in the export).

    Example:

    >>> keras_rr.export.export_segmenter(rr_model, "deeplab_rr.keras")
    {'path': 'deeplab_rr.keras', 'format': 'keras', 'max_abs_diff': 0.0, ...}
    """
    validation.check_choice(format, EXPORT_FORMATS, "format")
    atol = validation.check_number(atol, "atol", minimum=0.0)
    path = os.fspath(path)
    if format == "keras" and not path.endswith(".keras"):
        raise ValueError(f"A Keras export path must end with '.keras'. Received: path={path!r}")
    segmenter = _plain_segmenter(model)
    images = _sample_images(segmenter, sample_images) if verify else None
    expected = _forward(model, images) if verify else None
    names, actual, num_weights = _WRITERS[format](segmenter, path, images)
    _check_no_region_weights(names, f"export at {path}")
    report = {"path": path, "format": format, "max_abs_diff": None, "num_weights": num_weights}
    if not verify:
        return report
    report["max_abs_diff"] = float(np.max(np.abs(actual.astype("float64") - expected.astype("float64"))))
    if not report["max_abs_diff"] <= atol:
        raise AssertionError(
            f"Exported outputs differ from the model's by {report['max_abs_diff']} (atol={atol}) at {path}"
        )
    return report
