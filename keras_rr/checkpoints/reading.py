"""Reading a torch checkpoint (a file or a mapping) into `{name: NumPy array}`."""

import os

import numpy as np

TORCH_SUFFIXES = (".pth", ".pt", ".bin", ".ckpt")
SAFETENSORS_SUFFIX = ".safetensors"
# Containers that wrap the state dict: mmseg / mmcv (`state_dict`), DeiT / BEiT / Swin
# releases (`model`), and others (`module`).
NESTING_KEYS = ("state_dict", "model", "module")


def read_state_dict(checkpoint):
    """The arrays of `checkpoint` by name, unwrapped from `state_dict` / `model` / `module`.

    Args:
        checkpoint: a path (str or path-like) to a `.pth` / `.pt` / `.bin` / `.ckpt`
            file (read with `torch.load(..., weights_only=True, map_location="cpu")`;
            needs torch) or a `.safetensors` file (needs the `safetensors` package),
            or a mapping from names to arrays / torch tensors.

    Returns:
        dict: `{name: np.ndarray}` in the checkpoint's order. Entries that are not
        arrays (an epoch count, metadata) are left out; a `"module."` prefix on every
        key (torch's `DataParallel`) is removed.

    Example:

    >>> state = read_state_dict("upernet_swin_tiny_ade20k.pth")
    >>> state["decode_head.conv_seg.weight"].shape
    (150, 512, 1, 1)
    """
    if isinstance(checkpoint, (str, os.PathLike)):
        raw = _read_file(os.fspath(checkpoint))
    elif hasattr(checkpoint, "keys") and hasattr(checkpoint, "__getitem__"):
        raw = checkpoint
    else:
        raise TypeError(
            "`checkpoint` must be a file path (.pth, .pt, .bin, .ckpt, .safetensors) or a mapping from "
            f"names to arrays. Received: checkpoint of type {type(checkpoint).__name__}"
        )
    raw = unwrap(raw)
    state = {str(key): to_numpy(value) for key, value in raw.items() if _is_array(value)}
    if not state:
        raise ValueError(
            "`checkpoint` holds no arrays (looked inside "
            f"{'/'.join(NESTING_KEYS)}). Received keys: {sorted(map(str, raw))[:10]}"
        )
    if all(key.startswith("module.") for key in state):
        state = {key[len("module."):]: value for key, value in state.items()}
    return state


def unwrap(mapping):
    """`mapping` with the `state_dict` / `model` / `module` containers opened, innermost last."""
    while True:
        inner = next(
            (mapping[key] for key in NESTING_KEYS if key in mapping and hasattr(mapping[key], "keys")), None
        )
        if inner is None:
            return mapping
        mapping = inner


def to_numpy(value):
    """A NumPy array from a NumPy array, a torch tensor (bfloat16 widened to float32) or a list."""
    if hasattr(value, "detach"):  # a torch tensor: numpy() has no bfloat16
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16":
            value = value.float()
        return value.numpy()
    return np.asarray(value)


def _is_array(value):
    return hasattr(value, "shape") and hasattr(value, "dtype")


def _read_file(path):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"`checkpoint` file not found. Received: checkpoint={path!r}")
    lower = path.lower()
    if lower.endswith(SAFETENSORS_SUFFIX):
        try:
            from safetensors.numpy import load_file  # optional dependency (the `torch` extra)
        except ImportError as error:
            raise ImportError(
                f"Reading {path!r} needs the `safetensors` package: `pip install safetensors` "
                "(or keras_rr's `torch` extra)."
            ) from error
        try:
            return load_file(path)
        except (TypeError, ValueError):  # e.g. bfloat16, which NumPy lacks: torch reads it
            return _torch_load(path, "safetensors.torch")
    if lower.endswith(TORCH_SUFFIXES):
        return _torch_load(path, "torch")
    raise ValueError(
        f"`checkpoint` must end in {', '.join(TORCH_SUFFIXES)} or {SAFETENSORS_SUFFIX}. Received: checkpoint={path!r}"
    )


def _torch_load(path, reader):
    try:
        import torch  # optional: only torch checkpoints need it, `import keras_rr` never does
    except ImportError as error:
        raise ImportError(
            f"Reading the torch checkpoint {path!r} needs torch: `pip install torch` (CPU is enough), "
            "or convert it to .safetensors, or pass a mapping of NumPy arrays."
        ) from error
    if reader == "safetensors.torch":
        from safetensors.torch import load_file  # the bfloat16 fallback of a .safetensors file

        return load_file(path)
    return torch.load(path, map_location="cpu", weights_only=True)
