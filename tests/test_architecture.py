"""The package's layout rules, read from its source (what docs/development.md "Where things live" and CONTRIBUTING.md say).

- Public namespaces (`keras_rr.models`, `.layers`, `.ops`, `.losses`) are faces: a folder
  with only an `__init__.py` that re-exports, and `dir()` shows the API, not modules.
- No implementation module imports a face; no two subpackages import each other; no
  module-level import cycle.
- The networks import one way: layers -> backbones -> decode heads -> segmenters.
- Imports of keras_rr modules inside functions are few (they keep `import keras_rr`
  light) and each says why on its line.
"""

import ast
import collections
import os
import types

import pytest

import keras_rr
from tests.harness import REPO_ROOT

PACKAGE = os.path.join(REPO_ROOT, "keras_rr")
FACES = ("keras_rr.models", "keras_rr.layers", "keras_rr.ops", "keras_rr.losses")
NETWORK_ORDER = ("layers", "backbones", "decode_heads", "segmenters")
MAX_FUNCTION_LOCAL_IMPORTS = 10


def _modules():
    modules = {}
    for folder, _, files in os.walk(PACKAGE):
        for file in files:
            if file.endswith(".py"):
                path = os.path.join(folder, file)
                name = os.path.relpath(path[:-3], REPO_ROOT).replace(os.sep, ".")
                modules[name[: -len(".__init__")] if name.endswith(".__init__") else name] = path
    return modules


MODULES = _modules()


def _imports(module):
    """`[(imported keras_rr module, line, inside a function)]` of one module."""
    path = MODULES[module]
    with open(path, encoding="utf-8") as f:
        source = f.read()
    tree = ast.parse(source)
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    in_function = {
        id(inner)
        for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for inner in ast.walk(node)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for target in targets:
            if target.split(".")[0] != "keras_rr":
                continue
            while target not in MODULES and "." in target:
                target = target.rpartition(".")[0]
            found.append((target, node.lineno, id(node) in in_function))
    return found, source.splitlines()


def _subpackage(module):
    return ".".join(module.split(".")[:2])


def test_faces_hold_only_their_init_and_show_the_api():
    for face in FACES:
        folder = os.path.join(REPO_ROOT, *face.split("."))
        assert sorted(f for f in os.listdir(folder) if f != "__pycache__") == ["__init__.py"], face
        namespace = getattr(keras_rr, face.split(".")[1])
        modules = [name for name in dir(namespace) if isinstance(getattr(namespace, name), types.ModuleType)]
        assert not modules, (face, modules)
        assert len([n for n in dir(namespace) if not n.startswith("_")]) >= 4


def test_implementation_never_imports_a_face_and_subpackages_import_one_way():
    uses = collections.defaultdict(set)
    for module in MODULES:
        imports, _ = _imports(module)
        for target, line, _ in imports:
            if module not in FACES and module != "keras_rr":
                assert target not in FACES, f"{module}:{line} imports the face {target}"
            a, b = _subpackage(module), _subpackage(target)
            if a != b and module != "keras_rr":
                uses[a].add(b)
    mutual = sorted({tuple(sorted((a, b))) for a in uses for b in uses[a] if a in uses.get(b, ())})
    assert not mutual, mutual


def test_no_module_level_import_cycle():
    graph = {module: {t for t, _, local in _imports(module)[0] if not local and t != module} for module in MODULES}
    state = {}

    def visit(module, stack):
        state[module] = "open"
        for target in graph[module]:
            if state.get(target) == "open":
                pytest.fail("import cycle: " + " -> ".join(stack[stack.index(target):] + [target]))
            if target not in state:
                visit(target, stack + [target])
        state[module] = "done"

    for module in MODULES:
        if module not in state:
            visit(module, [module])


def test_networks_import_one_way():
    for module in MODULES:
        parts = module.split(".")
        if parts[:2] != ["keras_rr", "networks"] or len(parts) < 4:
            continue
        rank = NETWORK_ORDER.index(parts[2])
        for target, line, _ in _imports(module)[0]:
            target_parts = target.split(".")
            if target_parts[:2] == ["keras_rr", "networks"] and len(target_parts) > 2:
                assert NETWORK_ORDER.index(target_parts[2]) <= rank, f"{module}:{line} imports {target}"
            else:
                assert target in ("keras_rr.validation", "keras_rr.pixel_losses.masked_cross_entropy"), (
                    f"{module}:{line}: the networks import only keras_rr.validation and the pixel loss, not {target}"
                )
        if parts[2] == "layers":
            assert all(t == "keras_rr.validation" for t, _, _ in _imports(module)[0]), module


def test_function_local_imports_are_few_and_say_why():
    local = []
    for module in MODULES:
        imports, lines = _imports(module)
        for target, line, inside in imports:
            if inside:
                local.append(f"{module}:{line}")
                assert "#" in lines[line - 1], f"{module}:{line} imports {target} inside a function without saying why"
    assert len(local) <= MAX_FUNCTION_LOCAL_IMPORTS, local


def _documented_arguments(doc):
    """Names in a docstring's Args section (`name:` entries, or `a, b, c:` lists)."""
    import re

    args = doc.split("Args:", 1)[1] if "Args:" in doc else ""
    args = re.split(r"\n    [A-Z][A-Za-z ]+:\n", args, maxsplit=1)[0]
    names = set()
    for entry in re.findall(r"^        ([\w*][\w*, \n]*?):", args, flags=re.M):
        names.update(name.strip().lstrip("*") for name in entry.replace("\n", " ").split(","))
    return names


def test_every_option_of_every_public_layer_and_model_is_documented():
    import inspect

    import keras

    classes = {
        f"{face}.{name}": value
        for face in ("models", "layers", "losses")
        for name, value in vars(getattr(keras_rr, face)).items()
        if inspect.isclass(value) and issubclass(value, (keras.layers.Layer, keras.losses.Loss))
    }
    assert len(classes) > 10
    undocumented = {}
    for name, cls in classes.items():
        if "__init__" not in vars(cls):  # Keras' own constructor (e.g. PassThrough)
            continue
        parameters = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "args")]
        missing = [p for p in parameters if p not in _documented_arguments(cls.__doc__ or "")]
        if missing:
            undocumented[name] = missing
    assert not undocumented, undocumented


def import_graph_figures():
    """`{modules, module-level edges, function-local imports, mutual subpackage pairs}`."""
    edges, local, uses = 0, 0, collections.defaultdict(set)
    for module in MODULES:
        for target, _, inside in _imports(module)[0]:
            local += inside
            edges += not inside
            if _subpackage(module) != _subpackage(target) and module != "keras_rr":
                uses[_subpackage(module)].add(_subpackage(target))
    mutual = sorted({tuple(sorted((a, b))) for a in uses for b in uses[a] if a in uses.get(b, ())})
    return {"modules": len(MODULES), "module-level imports": edges, "function-local imports": local,
            "subpackages importing each other": mutual}


if __name__ == "__main__":  # python -m tests.test_architecture
    for key, value in import_graph_figures().items():
        print(f"{key}: {value}")
