"""`load_torch_weights`: a torch checkpoint (timm, mmcv / mmseg backbone, mmseg segmentor) into a Keras model."""

import re

import numpy as np

from keras_rr.checkpoints import keras_names
from keras_rr.checkpoints import layouts
from keras_rr.checkpoints import reading
from keras_rr.checkpoints import relative_position
from keras_rr.checkpoints.report import LoadReport

_MAX_LISTED = 10


PARTS = ("backbone", "neck", "decode_head", "auxiliary_head")


def load_torch_weights(model, checkpoint, strict=True, parts=None):
    """Loads a torch checkpoint into `model` by mmseg's parameter names; returns a `LoadReport`.

    The checkpoint is read (`keras_rr.checkpoints.reading`), its layout recognised from
    its keys and renamed to a trained mmseg segmentor's names
    (`keras_rr.checkpoints.layouts`: timm's ResNet-c / HRNet / BEiT / Swin, mmcv / mmseg
    backbones get `backbone.`), and every Keras variable takes the array of its mmseg name
    (`keras_rr.checkpoints.keras_names`), converted to Keras' layout (NCHW kernels to
    NHWC, Linear weights transposed, Swin's patch-merging order). Relative-position
    tables of another window size are resized
    (`keras_rr.checkpoints.relative_position.resize_relative_position_table`).

    Only the parts the checkpoint holds are loaded: a backbone checkpoint fills the
    backbone and leaves the heads as they are; a segmentor checkpoint fills the backbone,
    neck, decode and auxiliary heads. Weights a segmentation backbone adds to its
    classification network (mmseg Swin's per-stage output norms) are not expected from a
    backbone checkpoint: they keep their values. A part the model does not have at all (e.g.
    `auxiliary_head.*` for a segmenter without the training wrapper) is skipped. Nothing is
    assigned unless every check passes.

    Args:
        model: a segmenter or backbone built by keras_rr (a functional `keras.Model`
            following the naming contract, or one of the mmseg-head segmenters:
            `uper_net_*`, `psp_net_resnet_c`, `deeplab_v3_plus_resnet_c`), a
            `keras_rr.models.RegionRebalanceSegmenter` (its segmenter and auxiliary head)
            or a `keras_rr.models.NormalizedSegmenter`.
        checkpoint: a path to a `.pth` / `.pt` / `.bin` / `.ckpt` file (read by
            `torch.load(..., weights_only=True, map_location="cpu")`, needs torch), a
            `.safetensors` file, or a mapping from names to NumPy arrays / torch tensors.
            `state_dict` / `model` / `module` nesting is unwrapped.
        strict: bool. When True (default), a Keras variable of a loaded part without a
            key, or a key of a loaded part that no variable takes (other than the known
            classifier and buffer keys, which are always skipped), is an error; when
            False they are reported (`missing`, `skipped`) and loading goes on.
            Mis-shaped weights are always an error.
        parts: tuple of str or None. The mmseg parts to load, among `"backbone"`,
            `"neck"`, `"decode_head"` and `"auxiliary_head"` (e.g. `("backbone",)` to take
            only the encoder from a whole segmentor's checkpoint); the others are skipped.
            None: every part the checkpoint holds. Defaults to `None`.

    Returns:
        A `keras_rr.checkpoints.report.LoadReport` (`print` it for a summary).

    Raises:
        ValueError: a mis-shaped weight (naming the key, torch's shape, the shape after
            conversion and the Keras variable's), or with `strict=True` missing or
            unexpected keys, or a checkpoint with no part the model has.
        ImportError: a torch file without torch installed, a `.safetensors` file without
            `safetensors`.

    Example:

    >>> segmenter = keras_rr.models.uper_net_swin(150, variant="tiny", image_size=512)
    >>> report = keras_rr.models.load_torch_weights(segmenter, "upernet_swin_tiny_ade20k.pth")
    >>> print(report)
    """
    if parts is not None:
        parts = tuple(parts)
        unknown = [part for part in parts if part not in PARTS]
        if unknown or not parts:
            raise ValueError(f"`parts` must be a non-empty tuple of {PARTS}. Received: parts={parts}")
    state = reading.read_state_dict(checkpoint)
    layout, renamed, skipped = layouts.normalise(state)
    held = sorted({key.split(".", 1)[0] for key in renamed})
    if parts is not None:
        for key in [key for key in renamed if key.split(".", 1)[0] not in parts]:
            skipped[key] = f"not in parts={parts}"
            del renamed[key]
    bindings, kept = keras_names.keras_bindings(model)
    model_scopes = {binding.scope for binding in bindings}
    checkpoint_scopes = {key.split(".", 1)[0] for key in renamed}
    scopes = checkpoint_scopes & model_scopes
    if not scopes:
        asked = "" if parts is None else f" (of parts={parts})"
        raise ValueError(
            f"The checkpoint ({layout} layout) holds {held} weights{asked}, the model "
            f"{sorted(model_scopes) or 'no weights mapped to mmseg names'}: nothing to load. "
            f"First checkpoint keys: {list(state)[:5]}"
        )
    report = LoadReport(layout=layout, skipped=skipped, kept=list(kept))
    values, mis_shaped, used = [], [], set()
    for binding in bindings:
        if binding.scope not in scopes:
            continue
        if binding.key not in renamed:
            if layout != "mmseg_segmentor" and any(
                re.fullmatch(pattern, binding.key) for pattern in keras_names.ADDED_BY_SEGMENTATION
            ):
                report.kept.append(binding.variable.path)  # not in any classification checkpoint
            else:
                report.missing.append((binding.key, binding.variable.path))
            continue
        used.add(binding.key)
        source = renamed[binding.key]
        value = binding.convert(source)
        target_shape = tuple(binding.variable.shape)
        if tuple(value.shape) != target_shape:
            resized = _resized_table(binding.key, value, target_shape)
            if resized is None:
                mis_shaped.append(
                    f"{binding.key}: torch shape {tuple(source.shape)} (after conversion {tuple(value.shape)}) "
                    f"vs Keras variable {binding.variable.path} of shape {target_shape}"
                )
                continue
            report.resized.append((binding.key, tuple(value.shape), target_shape))
            value = resized
        values.append((binding, value))
        report.loaded.append((binding.key, binding.variable.path))
    unexpected = []
    for key in renamed:
        scope = key.split(".", 1)[0]
        if key in used:
            continue
        if scope not in model_scopes:
            report.skipped[key] = f"the model has no {scope}"
        else:
            report.skipped[key] = "no Keras variable of this name"
            unexpected.append(key)
    if mis_shaped:
        raise ValueError("Mis-shaped weights in the checkpoint:\n  " + _listing(mis_shaped))
    if strict and report.missing:
        raise ValueError(
            f"The checkpoint ({layout} layout) lacks weights of the model (mmseg name: Keras variable; pass "
            "strict=False to keep their values):\n  " + _listing([f"{k}: {p}" for k, p in report.missing])
        )
    if strict and unexpected:
        raise ValueError(
            f"Checkpoint keys ({layout} layout, renamed to mmseg's) that no Keras variable takes (pass "
            "strict=False to skip them):\n  " + _listing(unexpected)
        )
    for binding, value in values:
        binding.variable.assign(np.asarray(value).astype(binding.variable.dtype))
    return report


def _resized_table(key, value, target_shape):
    """`value` resized through the relative-position hook, or None if it is no such table."""
    if not key.endswith("relative_position_bias_table") or len(target_shape) != 2 or value.ndim != 2:
        return None
    source, target = relative_position.table_window(value.shape[0]), relative_position.table_window(target_shape[0])
    if source is None or target is None or source[1] != target[1] or value.shape[1] != target_shape[1]:
        return None
    resized = np.asarray(relative_position.resize_relative_position_table(value, source[0], target[0]))
    return resized if tuple(resized.shape) == tuple(target_shape) else None


def _listing(lines):
    shown = "\n  ".join(lines[:_MAX_LISTED])
    return shown + (f"\n  ... and {len(lines) - _MAX_LISTED} more" if len(lines) > _MAX_LISTED else "")
