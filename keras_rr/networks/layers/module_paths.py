"""Layer names that carry a torch module path, on every Keras backend.

The torch-checkpoint importer maps a torch state-dict key to the Keras layer named by
the key's module path (`stage2.0.branches.0.0.conv1`). Keras' torch backend registers
every variable in a `torch.nn.ParameterDict` under its path (`{layer name}/{variable}`),
and torch refuses a "." in such a key (`KeyError: parameter name can't contain "."`), so
a layer named with dots cannot be built on torch (nor a saved model with such names be
loaded there). The layers therefore spell the path with `MODULE_PATH_SEPARATOR` ("-",
which no torch module name contains): `stage2-0-branches-0-0-conv1`;
`torch_module_path(layer.name)` reads it back.
"""

MODULE_PATH_SEPARATOR = "-"


def module_path_name(path):
    """The Keras layer name of the torch module path `path` (dots -> `MODULE_PATH_SEPARATOR`).

    Args:
        path: str. A torch module path, e.g. `"decode_head.1.bottleneck.conv"`.

    Returns:
        str: e.g. `"decode_head-1-bottleneck-conv"`.

    Example:

    >>> module_path_name("stage2.0.fuse_layers.0.1.0")
    'stage2-0-fuse_layers-0-1-0'
    """
    return path.replace(".", MODULE_PATH_SEPARATOR)


def torch_module_path(name):
    """The torch module path a layer name spells (inverse of `module_path_name`).

    Args:
        name: str. A Keras layer name.

    Returns:
        str: e.g. `"stage2.0.fuse_layers.0.1.0"` for `"stage2-0-fuse_layers-0-1-0"`.
    """
    return name.replace(MODULE_PATH_SEPARATOR, ".")
