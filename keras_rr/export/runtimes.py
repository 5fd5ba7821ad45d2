"""Each export format loaded by its own runtime and run on images.

`keras` → `keras.saving.load_model`; `tf_saved_model` → `tf.saved_model.load`;
`onnx` → onnxruntime (CPU); `litert` → the LiteRT interpreter (`ai_edge_litert`, or
TensorFlow's `tf.lite.Interpreter` where that package is not installed). All return the
same thing: a dict of named NumPy outputs (`logits`, or `labels` and `scores`).
"""

import contextlib
import logging
import warnings

import keras
import numpy as np


def run_artifact(path, format, images):
    """Loads the artifact at `path` with the runtime of `format` and runs it on `images`.

    Args:
        path: str. The written artifact.
        format: one of `keras_rr.export.EXPORT_FORMATS`.
        images: float32 array `(N, H, W, C)`.

    Returns:
        `(outputs, weight_names, runtime)`: a dict of NumPy arrays keyed by output name,
        the names of the artifact's weight tensors (None where the format folds them
        into the graph: onnx, litert) and a string naming the runtime.
    """
    images = np.asarray(images, dtype="float32")
    return _RUNNERS[format](path, images)


def predict_outputs(model, images, batch_size=8):
    """A Keras model's outputs on `images` as a dict of NumPy arrays (`logits` if unnamed).

    A single-output functional model runs through `predict` of a plain `keras.Model`
    view of its graph: one compiled program (an eager call on JAX compiles every op on
    its own) and no input pipeline of a KerasHub task's own `predict`.
    """
    if getattr(model, "inputs", None) and getattr(model, "outputs", None) and len(model.outputs) == 1:
        view = keras.Model(model.inputs, model.outputs)
        return {"logits": np.asarray(view.predict(images, batch_size=batch_size, verbose=0))}
    if getattr(model, "inputs", None) and isinstance(model.output, dict):
        outputs = model.predict(images, batch_size=batch_size, verbose=0)
        return {name: np.asarray(value) for name, value in outputs.items()}
    outputs = [
        keras.ops.convert_to_numpy(model(images[i : i + batch_size], training=False))
        for i in range(0, len(images), batch_size)
    ]
    return {"logits": np.concatenate(outputs, axis=0)}


def _run_keras(path, images):
    model = keras.saving.load_model(path, compile=False)
    return predict_outputs(model, images), [w.path for w in model.weights], f"keras {keras.__version__}"


@contextlib.contextmanager
def quiet_logger(name, level=logging.ERROR):
    """Raises the Python logger `name` to `level` inside the block (converter chatter)."""
    logger = logging.getLogger(name)
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _run_tf_saved_model(path, images):
    import tensorflow as tf

    # A SavedModel written from JAX warns on load that its custom gradients were not
    # saved; serving needs none.
    with quiet_logger("absl"), quiet_logger("tensorflow"):
        loaded = tf.saved_model.load(path)
    outputs = loaded.serve(tf.constant(images))
    outputs = {name: value.numpy() for name, value in outputs.items()}
    return outputs, [v.name for v in loaded.variables], f"tensorflow {tf.__version__} tf.saved_model.load"


def _run_onnx(path, images):
    try:
        import onnxruntime
    except ImportError as error:
        raise ImportError(
            "Verifying an ONNX export needs onnxruntime: pip install 'keras-rr[export]'"
        ) from error
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    values = session.run(names, {session.get_inputs()[0].name: images})
    return dict(zip(names, values)), None, f"onnxruntime {onnxruntime.__version__}"


def _litert_interpreter(path):
    try:
        from ai_edge_litert import interpreter as litert

        return litert.Interpreter(model_path=path), "ai_edge_litert"
    except ImportError:
        import tensorflow as tf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "tf.lite.Interpreter is deprecated"
            return tf.lite.Interpreter(model_path=path), f"tensorflow {tf.__version__} tf.lite"


def _run_litert(path, images):
    interpreter, runtime = _litert_interpreter(path)
    runner = interpreter.get_signature_runner()
    (input_name,) = runner.get_input_details()
    outputs = runner(**{input_name: images})
    return {name: np.asarray(value) for name, value in outputs.items()}, None, f"{runtime} interpreter"


_RUNNERS = {
    "keras": _run_keras,
    "tf_saved_model": _run_tf_saved_model,
    "onnx": _run_onnx,
    "litert": _run_litert,
}
