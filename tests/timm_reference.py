"""timm as a test reference: `import_timm()` imports it without a working torchvision.

timm 1.0 imports torchvision at module level (its data transforms and datasets), but its
ResNet, HRNet, BEiT and Swin models use no torchvision op. The torchvision wheel on our
package registry does not load beside the CPU torch we pin ("operator torchvision::nms
does not exist"), so when `import torchvision` fails, a stand-in package answers every
`torchvision.*` import with inert placeholders. Only the tests use this; nothing in
`keras_rr` imports timm.

Example:

    timm = import_timm()
    reference = timm.create_model("resnet50c", pretrained=False).eval()
"""

import importlib.abc
import importlib.machinery
import sys
import types

import pytest


class _PlaceholderType(type):
    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _placeholder(name)


def _placeholder(name):
    """A class whose attributes, instances and calls are all placeholders again."""
    return _PlaceholderType(name, (), {
        "__init__": lambda self, *args, **kwargs: None,
        "__getattr__": lambda self, attribute: _placeholder(attribute),
        "__call__": lambda self, *args, **kwargs: self,
    })


class _PlaceholderModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _placeholder(name)


class _TorchvisionStandIn(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name == "torchvision" or name.startswith("torchvision."):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _PlaceholderModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


def import_timm():
    """Imports timm (skipping the test when torch or timm is missing).

    Returns:
        The `timm` module.
    """
    pytest.importorskip("torch")
    if "timm" in sys.modules:
        return sys.modules["timm"]
    try:
        import torchvision  # noqa: F401
    except Exception:
        for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
            del sys.modules[name]  # a half-imported real torchvision
        sys.meta_path.insert(0, _TorchvisionStandIn())
    return pytest.importorskip("timm")
