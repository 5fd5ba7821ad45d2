"""Does an exported artifact reproduce the model? Differences, agreement, tolerances."""

import keras
import numpy as np

from keras_rr import validation
from keras_rr.export.export_error import ExportError
from keras_rr.export.inference_model import EXPORT_OUTPUTS
from keras_rr.export.inference_model import plain_segmenter
from keras_rr.export.runtimes import predict_outputs
from keras_rr.export.runtimes import run_artifact
from keras_rr.export.writers import EXPORT_FORMATS
from keras_rr.export.writers import other_backends_hint

DEFAULT_RTOL = 1e-4
DEFAULT_MIN_ARGMAX_AGREEMENT = 0.999


def compare_outputs(expected_logits, actual, class_axis=-1):
    """How far an export's outputs are from the model's logits.

    Args:
        expected_logits: array `(N, H, W, K)`. The model's outputs (`predict`).
        actual: dict. The artifact's outputs: `logits`, or `labels` and `scores`.
        class_axis: int. The class axis of `expected_logits`. Defaults to `-1`.

    Returns:
        dict with `max_abs_diff` (largest |difference| of the float output: the logits,
        or the scores against the maximum logit), `relative_diff` (that over the
        largest |expected| value) and `argmax_agreement` (fraction of pixels whose class
        id, argmax of the logits or the exported labels, equals the model's argmax).

    Example:

    >>> compare_outputs(np.array([[[[0.0, 1.0]]]]), {"logits": np.array([[[[0.0, 1.1]]]])})
    {'max_abs_diff': 0.1..., 'relative_diff': 0.1..., 'argmax_agreement': 1.0}
    """
    expected = np.asarray(expected_logits, dtype="float64")
    expected_labels = np.argmax(expected, axis=class_axis)
    if "logits" in actual:
        values, reference = np.asarray(actual["logits"], "float64"), expected
        labels = np.argmax(values, axis=class_axis)
    else:
        values, reference = np.asarray(actual["scores"], "float64"), np.max(expected, axis=class_axis)
        labels = np.asarray(actual["labels"])
    if values.shape != reference.shape or labels.shape != expected_labels.shape:
        raise ExportError(
            f"The export's output shape {values.shape} differs from the model's {reference.shape}."
        )
    max_abs_diff = float(np.max(np.abs(values - reference))) if values.size else 0.0
    scale = float(np.max(np.abs(reference))) if reference.size else 0.0
    return {
        "max_abs_diff": max_abs_diff,
        "relative_diff": max_abs_diff / scale if scale > 0 else max_abs_diff,
        "argmax_agreement": float(np.mean(labels == expected_labels)),
    }


def check_tolerances(differences, format, path, rtol=DEFAULT_RTOL, min_argmax_agreement=DEFAULT_MIN_ARGMAX_AGREEMENT):
    """Raises `ExportError` naming format, backend and difference when out of tolerance.

    NaN differences (an artifact producing NaN) fail.
    """
    backend = keras.backend.backend()
    ok = differences["relative_diff"] <= rtol and differences["argmax_agreement"] >= min_argmax_agreement
    if not ok:
        raise ExportError(
            f"The {format} export from the {backend} backend does not reproduce the model: max abs "
            f"difference {differences['max_abs_diff']:.3g} ({differences['relative_diff']:.3g} of the largest "
            f"output; rtol={rtol:g}), argmax agreement {differences['argmax_agreement']:.2%} (required "
            f"{min_argmax_agreement:.2%}). Artifact: {path}. " + other_backends_hint(format, backend, failed=True)
        )


def sample_images_for(segmenter, sample_images=None, num_images=2, seed=0):
    """`sample_images` as float32, or random images in [0, 255] of the model's input size."""
    if sample_images is not None:
        images = np.asarray(sample_images, dtype="float32")
        if images.ndim != 4:
            raise ValueError(f"`sample_images` must be a batch (N, H, W, C). Received shape: {images.shape}")
        return images
    shape = tuple(segmenter.inputs[0].shape[1:])
    if any(d is None for d in shape):
        raise ValueError(
            "The segmenter has a dynamic input size; pass `sample_images` to verify the export. "
            f"Received input shape: {(None,) + shape}"
        )
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, size=(num_images,) + shape).astype("float32")


def verify_export(
    model,
    path,
    format,
    outputs="logits",
    sample_images=None,
    rtol=DEFAULT_RTOL,
    min_argmax_agreement=DEFAULT_MIN_ARGMAX_AGREEMENT,
):
    """Loads an exported artifact with its own runtime and checks it against the model.

    The artifact at `path` runs on `sample_images` (random images of the model's input
    size if None) in its runtime (Keras, TensorFlow, onnxruntime or the LiteRT
    interpreter); its outputs are compared with the plain segmenter's `predict`.

    Args:
        model: the wrapper or plain segmenter the artifact was exported from.
        path: str. The artifact.
        format: one of `EXPORT_FORMATS`.
        outputs: `"logits"` or `"labels"`, as exported. Defaults to `"logits"`.
        sample_images: array `(N, H, W, C)` or None.
        rtol: float. Largest accepted max |difference| relative to the largest
            |output| of the model. Defaults to `1e-4`.
        min_argmax_agreement: float in [0, 1]. Smallest accepted fraction of pixels
            with the model's class. Defaults to `0.999`.

    Returns:
        dict with `max_abs_diff`, `relative_diff`, `argmax_agreement`, `num_samples`,
        `runtime` and `weight_names` (None for onnx / litert).

    Raises:
        ExportError: the artifact does not load, or differs beyond the tolerances.

    Example:

    >>> keras_rr.export.verify_export(model, "segmenter.onnx", "onnx")["argmax_agreement"]
    1.0
    """
    validation.check_choice(format, EXPORT_FORMATS, "format")
    validation.check_choice(outputs, EXPORT_OUTPUTS, "outputs")
    rtol = validation.check_number(rtol, "rtol", minimum=0.0)
    min_argmax_agreement = validation.check_number(min_argmax_agreement, "min_argmax_agreement", 0.0, 1.0)
    segmenter = plain_segmenter(model)
    images = sample_images_for(segmenter, sample_images)
    expected = predict_outputs(segmenter, images)["logits"]
    try:
        actual, weight_names, runtime = run_artifact(path, format, images)
    except ImportError:
        raise
    except Exception as error:  # noqa: BLE001 - any runtime failure means a broken artifact
        raise ExportError(
            f"The {format} export from the {keras.backend.backend()} backend does not run in its runtime "
            f"({type(error).__name__}: {str(error).strip().splitlines()[0][:300] if str(error).strip() else ''}). "
            f"Artifact: {path}. " + other_backends_hint(format, failed=True)
        ) from error
    expected_names = ["labels", "scores"] if outputs == "labels" else ["logits"]
    if sorted(actual) != expected_names:
        raise ExportError(f"The {format} export has outputs {sorted(actual)}; expected {expected_names}.")
    class_axis = -1 if keras.config.image_data_format() == "channels_last" else 1
    differences = compare_outputs(expected, actual, class_axis=class_axis)
    check_tolerances(differences, format, path, rtol, min_argmax_agreement)
    return {**differences, "num_samples": len(images), "runtime": runtime, "weight_names": weight_names}
