"""Step checkpoints that make a resumed run continue exactly where the killed one stopped.

A checkpoint is a folder `step_<8 digits>/` with `state.npz` (every model weight, the
layers' random-seed states and every optimizer variable, including `iterations`, which
drives the learning-rate schedule) and `meta.json` (step, variable paths and shapes).
It is written to a temporary folder and renamed, so a kill while saving leaves the
previous checkpoint intact. The data position needs no state: the trainer's batches
are a pure function of the step (`keras_rr.training.training_data`).

NumPy files rather than a backend checkpoint format keep one code path for TensorFlow,
JAX and torch (and for replicated variables under a distribution strategy).
"""

import json
import os
import re
import shutil

import numpy as np

_PREFIX = "step_"
_PATTERN = re.compile(r"^step_(\d{8})$")
_STATE = "state.npz"
_META = "meta.json"


def _model_state(model):
    """Weights plus the random-seed states of dropout-like layers (not metrics)."""
    variables = list(model.weights)
    seen = {id(v) for v in variables}
    for v in model.variables:
        # Seed states make dropout / drop-path draws after a resume match the
        # uninterrupted run; `weights` leaves them out.
        if id(v) not in seen and v.name == "seed_generator_state":
            variables.append(v)
            seen.add(id(v))
    return variables


def _optimizer_state(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError("The model has no optimizer: compile it before checkpointing.")
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    return list(optimizer.variables)


def _to_numpy(variable):
    import keras

    return np.asarray(keras.ops.convert_to_numpy(variable))


def checkpoint_path(directory, step):
    """Path of the checkpoint folder for `step`."""
    return os.path.join(os.fspath(directory), f"{_PREFIX}{int(step):08d}")


def list_checkpoints(directory):
    """Complete checkpoints in `directory`, as `(step, path)` sorted by step."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        return []
    found = []
    for name in os.listdir(directory):
        match = _PATTERN.match(name)
        path = os.path.join(directory, name)
        if match and os.path.isfile(os.path.join(path, _META)) and os.path.isfile(os.path.join(path, _STATE)):
            found.append((int(match.group(1)), path))
    return sorted(found)


def latest_checkpoint(directory):
    """Path of the newest complete checkpoint in `directory`, or None.

    Example:

    >>> latest_checkpoint("runs/ade20k_r50_rr/checkpoints")
    'runs/ade20k_r50_rr/checkpoints/step_00004000'
    """
    found = list_checkpoints(directory)
    return found[-1][1] if found else None


def save_checkpoint(directory, step, model, keep=2, extra=None):
    """Writes the training state of a compiled model after `step` steps.

    Args:
        directory: str. Folder holding the `step_*` checkpoints.
        step: int. Steps done.
        model: the compiled training model (its optimizer is saved too).
        keep: int. Newest checkpoints to keep; older ones are deleted. Defaults to `2`.
        extra: optional JSON-serialisable dict stored in `meta.json`.

    Returns:
        The checkpoint folder.

    Example:

    >>> save_checkpoint("runs/x/checkpoints", 200, model)
    """
    model_vars = _model_state(model)
    optimizer_vars = _optimizer_state(model)
    arrays = {}
    for i, v in enumerate(model_vars):
        arrays[f"model_{i:05d}"] = _to_numpy(v)
    for i, v in enumerate(optimizer_vars):
        arrays[f"optimizer_{i:05d}"] = _to_numpy(v)
    meta = {
        "step": int(step),
        "model_variables": [[v.path, list(arrays[f"model_{i:05d}"].shape)] for i, v in enumerate(model_vars)],
        "optimizer_variables": [
            [v.path, list(arrays[f"optimizer_{i:05d}"].shape)] for i, v in enumerate(optimizer_vars)
        ],
        "extra": extra or {},
    }
    os.makedirs(directory, exist_ok=True)
    final = checkpoint_path(directory, step)
    tmp = final + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    np.savez(os.path.join(tmp, _STATE), **arrays)
    with open(os.path.join(tmp, _META), "w") as f:
        json.dump(meta, f)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    for _, old in list_checkpoints(directory)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def _assign_all(variables, arrays, prefix, saved, where):
    if len(variables) != len(saved):
        raise ValueError(
            f"The checkpoint {where} holds {len(saved)} {prefix} variables but the model has "
            f"{len(variables)}: was the config (model, region branch, optimizer) changed? "
            "Use a new workdir for a new config."
        )
    for i, (v, (path, shape)) in enumerate(zip(variables, saved)):
        value = arrays[f"{prefix}_{i:05d}"]
        if tuple(v.shape) != tuple(shape):
            raise ValueError(
                f"Checkpoint {where}: variable {i} ({path}) has shape {tuple(shape)}, the model's "
                f"({v.path}) has {tuple(v.shape)}."
            )
        v.assign(value)


def restore_checkpoint(path, model):
    """Loads a checkpoint written by `save_checkpoint` into a compiled model.

    Builds the optimizer first if needed, so call it before training (inside the
    distribution scope, if any).

    Args:
        path: str. A `step_*` folder.
        model: the compiled training model, built from the same config.

    Returns:
        int, the step of the checkpoint.

    Example:

    >>> step = restore_checkpoint(latest_checkpoint("runs/x/checkpoints"), model)
    """
    path = os.fspath(path)
    with open(os.path.join(path, _META)) as f:
        meta = json.load(f)
    optimizer_vars = _optimizer_state(model)
    with np.load(os.path.join(path, _STATE)) as arrays:
        _assign_all(_model_state(model), arrays, "model", meta["model_variables"], path)
        _assign_all(optimizer_vars, arrays, "optimizer", meta["optimizer_variables"], path)
    step = int(meta["step"])
    iterations = int(_to_numpy(model.optimizer.iterations))
    if iterations != step:
        raise ValueError(f"Checkpoint {path}: step {step} but the optimizer counted {iterations} iterations.")
    return step
