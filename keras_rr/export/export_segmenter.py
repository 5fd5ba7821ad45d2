"""Export the inference model (the plain segmenter, without the region branch), verified.

The region branch only shapes training (`docs/method.md`, section 3); inference runs the
plain segmenter, so that is what is written. Every artifact is loaded back by its own
runtime and compared with the model before it reaches the requested path: a wrong model
is never written silently.
"""

import os
import shutil
import tempfile

import keras

from keras_rr import validation
from keras_rr.export.export_error import ExportError
from keras_rr.export.inference_model import EXPORT_OUTPUTS
from keras_rr.export.inference_model import inference_model
from keras_rr.export.inference_model import plain_segmenter
from keras_rr.export.verification import DEFAULT_MIN_ARGMAX_AGREEMENT
from keras_rr.export.verification import DEFAULT_RTOL
from keras_rr.export.verification import sample_images_for
from keras_rr.export.verification import verify_export
from keras_rr.export.writers import EXPORT_FORMATS
from keras_rr.export.writers import FORMAT_SUFFIXES
from keras_rr.export.writers import check_backend
from keras_rr.export.writers import other_backends_hint
from keras_rr.export.writers import write_artifact


def format_for_path(filepath):
    """The export format a file name asks for: by suffix, else a SavedModel directory.

    `.keras` -> `keras`, `.onnx` -> `onnx`, `.tflite` -> `litert`; anything else is a
    directory, written as `tf_saved_model` (the default of `keras.Model.export`).
    """
    for name, suffix in FORMAT_SUFFIXES.items():
        if os.fspath(filepath).endswith(suffix):
            return name
    return "tf_saved_model"


def export_segmenter(
    model,
    filepath,
    format=None,
    outputs="logits",
    sample_images=None,
    rtol=DEFAULT_RTOL,
    min_argmax_agreement=DEFAULT_MIN_ARGMAX_AGREEMENT,
    verify=True,
):
    """Writes the inference model without the region branch, verified in its runtime.

    The exported model is `model.segmenter` (or `model` itself if it is already a plain
    segmenter), traced with `training=False`: same weights, same outputs, nothing of the
    region branch. The artifact is first written next to `filepath`, loaded by its own
    runtime (Keras, TensorFlow, onnxruntime, the LiteRT interpreter) and run on
    `sample_images` (random images of the input size if None); only if its outputs
    match the segmenter's `predict` (max |difference| ≤ `rtol` × largest |logit|, class
    argmax agreeing on ≥ `min_argmax_agreement` of the pixels) is it moved to `filepath`.
    Otherwise an `ExportError` names the format, backend and difference.

    | format | backends | artifact |
    |---|---|---|
    | `keras` | tensorflow, jax, torch | `.keras` file |
    | `tf_saved_model` | tensorflow, jax | SavedModel directory, endpoint `serve(images)` |
    | `onnx` | tensorflow (tf2onnx), torch (`torch.onnx`) | `.onnx` file, input `images` |
    | `litert` | tensorflow, jax | `.tflite` file, default signature |

    A backend that cannot write a format raises a `ValueError` naming the backends that
    can (a `.keras` file loads on every backend). Known converter limits, refused with an
    `ExportError` that names the tensorflow backend: a KerasHub SegFormer to `onnx` from
    torch (the TorchScript tracer fails on its attention reshapes) and to `litert` from
    JAX (its dropout seed-generator state is a uint32 variable LiteRT cannot assign).

    Args:
        model: a `keras_rr.models.RegionRebalanceSegmenter` or a plain `keras.Model`.
        filepath: str. A `.keras`, `.onnx` or `.tflite` file, or a SavedModel directory.
        format: one of `"keras"`, `"tf_saved_model"`, `"onnx"`, `"litert"`, or None
            (the default) to take it from `filepath`: `.keras`, `.onnx`, `.tflite`,
            else `"tf_saved_model"` (as `keras.Model.export`).
        outputs: `"logits"` (the segmenter's `(B, H, W, K)` output) or `"labels"`
            (`labels` `(B, H, W)` int32 argmax and `scores` `(B, H, W)` max, computed in
            the graph). Defaults to `"logits"`.
        sample_images: array `(N, H, W, C)` or None. Images for the check.
        rtol: float. Largest accepted max |difference| relative to the largest
            |output| of the model. Defaults to `1e-4`.
        min_argmax_agreement: float. Smallest accepted fraction of pixels with the
            model's class. Defaults to `0.999`.
        verify: bool. Run the check. Defaults to `True`; `False` writes unchecked.

    Returns:
        dict with `path`, `format`, `backend`, `outputs`, `route` (converter and
        settings), `runtime`, `num_weights` (weight tensors of a `keras` export;
        variables of a `tf_saved_model`, seed-generator states included; else None), `num_samples`, `max_abs_diff`,
        `relative_diff` and `argmax_agreement` (None when `verify=False`).

    Raises:
        ValueError: bad arguments, or a backend that cannot write `format`.
        ExportError: the converter failed, or the artifact does not reproduce the model.

    Example:

    >>> keras_rr.export.export_segmenter(rr_model, "segmenter.onnx", format="onnx")
    {'path': 'segmenter.onnx', 'format': 'onnx', 'backend': 'tensorflow', ...,
     'max_abs_diff': 2.5e-05, 'relative_diff': 1.2e-06, 'argmax_agreement': 1.0}
    """
    path = os.fspath(filepath)
    format = format_for_path(path) if format is None else format
    validation.check_choice(format, EXPORT_FORMATS, "format")
    validation.check_choice(outputs, EXPORT_OUTPUTS, "outputs")
    rtol = validation.check_number(rtol, "rtol", minimum=0.0)
    min_argmax_agreement = validation.check_number(min_argmax_agreement, "min_argmax_agreement", 0.0, 1.0)
    suffix = FORMAT_SUFFIXES.get(format)
    if suffix and not path.endswith(suffix):
        raise ValueError(f"A {format} export path must end with {suffix!r}. Received: filepath={path!r}")
    check_backend(format)
    segmenter = plain_segmenter(model)
    images = sample_images_for(segmenter, sample_images) if verify else None
    served = inference_model(segmenter, outputs)
    backend = keras.backend.backend()
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".keras_rr_export_", dir=parent)
    try:
        staged = os.path.join(staging, os.path.basename(os.path.normpath(path)))
        input_shape = tuple(segmenter.inputs[0].shape[1:])
        if backend == "torch" and images is not None:  # torch traces static image sizes
            input_shape = tuple(d or s for d, s in zip(input_shape, images.shape[1:]))
        try:
            route = write_artifact(served, staged, format, input_shape)
        except (ImportError, ValueError):
            raise
        except Exception as error:  # noqa: BLE001 - converter failures become one clear error
            message = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
            raise ExportError(
                f"The {format} export from the {backend} backend failed for this model "
                f"({type(error).__name__}: {message}). " + other_backends_hint(format, backend, failed=True)
            ) from error
        report = {
            "path": path, "format": format, "backend": backend, "outputs": outputs, "route": route,
            "runtime": None, "num_weights": None, "num_samples": None,
            "max_abs_diff": None, "relative_diff": None, "argmax_agreement": None,
        }
        if verify:
            checked = verify_export(segmenter, staged, format, outputs, images, rtol, min_argmax_agreement)
            weight_names = checked.pop("weight_names")
            if weight_names is not None:
                _check_weight_count(weight_names, segmenter, format)
                report["num_weights"] = len(weight_names)
            report.update(checked)
        _move(staged, path)
        return report
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _check_weight_count(weight_names, segmenter, format):
    # The inference model holds exactly the segmenter's tensors: none of the region
    # branch (head, classifier, projection) and no auxiliary ones. A `.keras` file
    # reloads as weights; a SavedModel keeps every variable, including the state of
    # the random seed generators (dropout) that `weights` leaves out.
    expected = segmenter.variables if format == "tf_saved_model" else segmenter.weights
    if len(weight_names) != len(expected):
        raise ExportError(
            f"The {format} export holds {len(weight_names)} variables; the segmenter has "
            f"{len(expected)}."
        )


def _move(staged, path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    os.replace(staged, path)
