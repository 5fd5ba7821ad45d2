"""One writer per export format and backend: the artifact, traced with `training=False`.

Every route calls the model with `training=False` explicitly. Keras' own exporters
trace `model.__call__` without it (`model.export(format="onnx")` and
`format="tf_saved_model"`), and in a KerasHub DeepLabV3 that is not inference: its
`SpatialPyramidPooling.call` builds a `keras.layers.Resizing`, whose `call` defaults to
`training=True`; Keras hands that value on to every layer called after it in the same
call (the call context), so the ASPP projection and the segmentation-head BatchNorms ran
on batch statistics and the exported model was wrong (max abs difference 5.9 and 38 %
argmax agreement on a DeepLabV3+ R18). `predict` passes `training=False` and is correct.

Routes (which backend can write which format is `FORMAT_BACKENDS`):

- `keras`: `model.save` (every backend).
- `tf_saved_model`: `keras.export.ExportArchive` with a `serve(images)` endpoint
  (TensorFlow; JAX through jax2tf).
- `onnx`: TensorFlow: a `tf.function` converted by tf2onnx (opset 17) with tf2onnx's
  reshape optimizer off (it rewrites the attention reshapes of a KerasHub SegFormer into
  a graph that fails in onnxruntime for any batch size); torch: `torch.onnx.export`
  (TorchScript tracer, dynamic batch axis).
- `litert`: the SavedModel route, then `tf.lite.TFLiteConverter` (TensorFlow and JAX).
"""

import contextlib
import os
import sys
import tempfile
import warnings

import keras

from keras_rr.export.runtimes import quiet_logger

FORMAT_BACKENDS = {
    "keras": ("tensorflow", "jax", "torch"),
    "tf_saved_model": ("tensorflow", "jax"),
    "onnx": ("tensorflow", "torch"),
    "litert": ("tensorflow", "jax"),
}
EXPORT_FORMATS = tuple(FORMAT_BACKENDS)
# File name endings the formats require (a SavedModel is a directory: any name).
FORMAT_SUFFIXES = {"keras": ".keras", "onnx": ".onnx", "litert": ".tflite"}
ONNX_OPSET = 17
INPUT_NAME = "images"


def other_backends_hint(format, backend=None, failed=False):
    """One sentence naming the backends that write `format` and how to use one.

    A `.keras` file loads on every backend, so the hint is a command, not a rewrite.
    With `failed=True` (this backend's converter failed on this model) the other routes
    are offered as worth a try, not as known to work: a model can defeat several
    converters (docs/guides/deploying.md).
    """
    backend = backend or keras.backend.backend()
    others = [b for b in FORMAT_BACKENDS[format] if b != backend]
    if not others:
        return ""
    if len(FORMAT_BACKENDS[format]) == len(FORMAT_BACKENDS["keras"]):
        return ""  # every backend writes it the same way: another one would not help
    suffix = FORMAT_SUFFIXES.get(format, "")
    plural = "s" if len(others) > 1 else ""
    claim = f"write{'' if plural else 's'} {format} by another route and may convert this model" if failed else "can write it"
    return (
        f"The {' and '.join(others)} backend{plural} {claim}: save the model "
        f"(`model.save('model.keras')`) and run `KERAS_BACKEND={others[0]} python -m keras_rr.tools.export "
        f"--model=model.keras --format={format} --output=segmenter{suffix}`."
    )


def check_backend(format, backend=None):
    """Raises a `ValueError` when the current backend cannot write `format`."""
    backend = backend or keras.backend.backend()
    if backend not in FORMAT_BACKENDS[format]:
        raise ValueError(
            f"format={format!r} cannot be written from the {backend} backend. "
            + other_backends_hint(format, backend)
        )


def serving_function(model):
    """`serve(images) -> dict` of named outputs, calling `model` with `training=False`."""

    def serve(images):
        outputs = model(images, training=False)
        return dict(outputs) if isinstance(outputs, dict) else {"logits": outputs}

    return serve


def write_artifact(model, path, format, input_shape):
    """Writes `model` (an `inference_model`) to `path` in `format`.

    Args:
        model: the `keras.Model` to write.
        path: str. A `.keras` / `.onnx` / `.tflite` file, or a SavedModel directory.
        format: one of `EXPORT_FORMATS`; the backend must be able to write it.
        input_shape: tuple. One image's shape `(H, W, C)`; `None` entries stay dynamic
            where the route allows it (the batch axis is always dynamic).

    Returns:
        str. The route taken, for the export report.
    """
    check_backend(format)
    return _WRITERS[format](model, path, tuple(input_shape))


def _write_keras(model, path, input_shape):
    del input_shape
    model.save(path)
    return f"keras {keras.__version__} model.save"


def _export_archive(model, input_shape):
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        "serve",
        serving_function(model),
        input_signature=[keras.InputSpec(shape=(None,) + input_shape, dtype="float32")],
    )
    return archive


def _write_tf_saved_model(model, path, input_shape):
    _export_archive(model, input_shape).write_out(path, verbose=False)
    via = " via jax2tf" if keras.backend.backend() == "jax" else ""
    return f"keras.export.ExportArchive{via}, serve(images) with training=False"


@contextlib.contextmanager
def _tf2onnx_without_optimizers(names):
    # tf2onnx has no public switch for its ONNX graph optimizers; its registry is an
    # ordered dict it reads at each conversion. Restored as it was on exit.
    from tf2onnx import optimizer

    registry = optimizer._optimizers
    saved = list(registry.items())
    for name in names:
        registry.pop(name, None)
    try:
        yield
    finally:
        registry.clear()
        registry.update(saved)


def _erfc_as_one_minus_erf(ctx, node, name, args):
    """tf2onnx handler: TF's `Erfc` (exact GELU, e.g. Swin's MLP) as `1 - Erf`.

    ONNX has `Erf` but no `Erfc`; tf2onnx 1.17 passes `Erfc` through unconverted and
    the model fails to load in onnxruntime.
    """
    import numpy as np
    from tf2onnx import utils

    node.type = "Erf"
    dtype = utils.map_onnx_to_numpy_type(ctx.get_dtype(node.input[0]))
    one = ctx.make_const(utils.make_name(f"{name}_one"), np.array(1, dtype=dtype))
    ctx.insert_new_node_on_output("Sub", node.output[0], inputs=[one.output[0], node.output[0]])
    return node


def _write_onnx(model, path, input_shape):
    if keras.backend.backend() == "torch":
        return _write_onnx_torch(model, path, input_shape)
    import tensorflow as tf
    import tf2onnx

    spec = [tf.TensorSpec((None,) + input_shape, tf.float32, name=INPUT_NAME)]
    function = tf.function(serving_function(model), input_signature=spec)
    with quiet_logger("tf2onnx"), _tf2onnx_without_optimizers(["reshape_optimizer"]):
        tf2onnx.convert.from_function(
            function, spec, opset=ONNX_OPSET, output_path=path,
            custom_op_handlers={"Erfc": (_erfc_as_one_minus_erf, [])},
        )
    return f"tf.function -> tf2onnx {tf2onnx.__version__} (opset {ONNX_OPSET}, reshape optimizer off)"


@contextlib.contextmanager
def _native_output_discarded():
    """Discards what native code writes to stdout and stderr (file descriptors 1 and 2).

    torch's TorchScript ONNX exporter logs from C++ straight to the process's stdout
    (its ONNX log is always on in torch 2.13), and when a conversion fails it dumps the
    whole Torch IR graph: about 1,100 lines for a tiny SegFormer, before the error we
    raise. The exception itself carries what went wrong.
    """
    streams = [stream for stream in (sys.stdout, sys.stderr) if stream is not None]
    for stream in streams:
        stream.flush()
    saved = []
    try:
        with open(os.devnull, "w") as devnull:
            for fd in (1, 2):
                saved.append((fd, os.dup(fd)))
                os.dup2(devnull.fileno(), fd)
            yield
    finally:
        for stream in streams:
            with contextlib.suppress(Exception):
                stream.flush()
        for fd, copy in saved:
            os.dup2(copy, fd)
            os.close(copy)


def _write_onnx_torch(model, path, input_shape):
    import torch

    if any(d is None for d in input_shape):
        raise ValueError(
            f"ONNX export from the torch backend needs a static image size. Received input shape: {input_shape}"
        )
    serve = serving_function(model)
    names = output_names(model)

    class _Serving(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.keras_model = model
            # The tracer records only tensors it finds in the module tree as weights; a
            # KerasHub task's variables are not torch parameters of it, so list them.
            self.keras_weights = torch.nn.ParameterList([v.value for v in model.weights])

        def forward(self, images):
            outputs = serve(images)
            return tuple(outputs[name] for name in names)

    sample = keras.ops.convert_to_tensor(keras.ops.zeros((1,) + input_shape, "float32"))
    dynamic = {name: {0: "batch"} for name in [INPUT_NAME] + names}
    with torch.no_grad(), warnings.catch_warnings(), _native_output_discarded():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Serving().eval(),
            (sample,),
            path,
            input_names=[INPUT_NAME],
            output_names=names,
            dynamic_axes=dynamic,
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    return f"torch.onnx.export {torch.__version__} (TorchScript tracer, opset {ONNX_OPSET})"


def output_names(model):
    """The names of the exported outputs: `["logits"]` or `["labels", "scores"]`."""
    return sorted(model.output) if isinstance(model.output, dict) else ["logits"]


def _write_litert(model, path, input_shape):
    import tensorflow as tf

    with tempfile.TemporaryDirectory() as saved_model:
        _export_archive(model, input_shape).write_out(saved_model, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        ops = "builtin ops"
        try:
            flatbuffer = converter.convert()
        except Exception:  # noqa: BLE001 - some graphs need TF ops (Flex delegate)
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
            ops = "builtin + select TF ops"
            flatbuffer = converter.convert()
    with open(path, "wb") as f:
        f.write(flatbuffer)
    return f"SavedModel -> tf.lite.TFLiteConverter {tf.__version__} ({ops})"


_WRITERS = {
    "keras": _write_keras,
    "tf_saved_model": _write_tf_saved_model,
    "onnx": _write_onnx,
    "litert": _write_litert,
}
