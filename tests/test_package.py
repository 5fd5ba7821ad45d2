import sys

import keras_rr
from tests.harness import run_python


def test_public_names_exist():
    assert keras_rr.ops.region_mean
    assert keras_rr.models.RegionRebalanceSegmenter
    assert keras_rr.losses.RegionRebalanceLoss
    assert keras_rr.losses.BalancedSoftmaxCrossEntropy
    assert keras_rr.export.export_segmenter
    assert keras_rr.__version__


def test_package_faces_list_their_api_not_their_modules():
    import importlib
    import inspect

    for name in ("data", "metrics", "inference", "export", "optimizers", "training", "experiments"):
        package = importlib.import_module(f"keras_rr.{name}")
        assert dir(package) == sorted(package.__all__), name
        modules = [api for api in package.__all__ if inspect.ismodule(getattr(package, api))]
        assert not modules, (name, modules)


def test_import_is_light():
    # (matplotlib is not checked: `import keras` itself imports it.)
    code = (
        "import sys, keras_rr; heavy = [m for m in ('tensorflow_datasets', 'keras_hub', 'keras_cv', "
        "'ml_collections') if m in sys.modules]; print(heavy); assert not heavy, heavy"
    )
    run_python(code)
    assert sys.modules.get("keras_rr") is keras_rr


def _readme_and_docs_text():
    """README.md and every page of docs/ (the guides, results and API pages), concatenated."""
    import glob
    import os

    from tests.harness import REPO_ROOT

    paths = [os.path.join(REPO_ROOT, "README.md"), os.path.join(REPO_ROOT, "CONTRIBUTING.md")]
    paths += sorted(glob.glob(os.path.join(REPO_ROOT, "docs", "**", "*.md"), recursive=True))
    texts = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            texts.append(f.read())
    return "\n".join(texts)


def test_every_keras_rr_name_in_the_readme_and_docs_resolves():
    # The README and the docs are a contract: every dotted `keras_rr...` name they show must exist.
    import importlib
    import importlib.util
    import re

    text = _readme_and_docs_text()
    names = sorted(set(re.findall(r"\bkeras_rr(?:\.[A-Za-z_][A-Za-z0-9_]*)+", text)))
    assert len(names) > 15, names
    missing = []
    for name in names:
        if name.startswith("keras_rr.tools."):
            # Tool modules define absl flags on import: check that they exist only.
            if importlib.util.find_spec(name) is None:
                missing.append(name)
            continue
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):  # the longest importable module prefix
            try:
                obj = importlib.import_module(".".join(parts[:cut]))
                break
            except ImportError:
                continue
        try:
            for attribute in parts[cut:]:
                obj = getattr(obj, attribute)
        except AttributeError:
            missing.append(name)
    assert not missing, missing


def test_every_repository_path_in_the_readme_and_docs_exists():
    import os
    import re

    from tests.harness import REPO_ROOT

    text = _readme_and_docs_text()
    paths = set(re.findall(r"\b((?:keras_rr|tests|benchmarks|configs|examples|docs)/[\w/.-]*\.(?:py|md|sh|png))", text))
    assert len(paths) > 15, paths
    missing = sorted(p for p in paths if not os.path.exists(os.path.join(REPO_ROOT, p)))
    assert not missing, missing


def test_a_saved_training_model_loads_after_importing_keras_rr_alone(tmp_path):
    # The trainer's `model.keras`: the Region Rebalance wrapper (region head, pixel loss)
    # compiled with the paper's optimizer recipe (coupled-decay SGD, poly schedule) around a
    # segmenter with a `keras_rr.models.ResizeLike` layer. A fresh interpreter that imports
    # only `keras_rr` loads it, optimizer state included, and predicts the same logits.
    import json

    import keras
    import numpy as np

    from keras_rr.models import RegionRebalanceSegmenter
    from keras_rr.models import ResizeLike
    from keras_rr.training.optimizers import build_optimizer
    from tests.harness import random_labels

    k, size = 3, 16
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu", name="decoder")(inputs)
    x = keras.layers.Conv2D(k, 1, name="classifier")(x)
    segmenter = keras.Model(inputs, ResizeLike(name="resize")([x, inputs]))
    model = RegionRebalanceSegmenter(segmenter, k, region_frequency=[5, 3, 1], feature_layer="decoder")
    optimizer, _ = build_optimizer(
        {"name": "sgd", "learning_rate": 0.01, "momentum": 0.9, "weight_decay": 1e-4}, {"name": "poly"}, 10
    )
    model.compile(optimizer=optimizer)
    images = np.random.default_rng(0).uniform(0, 255, (2, size, size, 3)).astype("float32")
    model.fit(images, random_labels((2, size, size), k), batch_size=2, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    np.save(tmp_path / "images.npy", images)
    np.save(tmp_path / "expected.npy", model.predict(images, verbose=0))
    code = f"""
import json, sys
import numpy as np
import keras
import keras_rr
model = keras.saving.load_model({path!r})
images = np.load({str(tmp_path / "images.npy")!r})
np.testing.assert_allclose(model.predict(images, verbose=0), np.load({str(tmp_path / "expected.npy")!r}), atol=1e-5)
print(json.dumps({{
    "model": type(model).__name__,
    "optimizer": type(model.optimizer).__name__,
    "schedule": type(model.optimizer._learning_rate).__name__,
    "iterations": int(keras.ops.convert_to_numpy(model.optimizer.iterations)),
    "heavy": [m for m in ("tensorflow_datasets", "keras_hub", "keras_cv", "ml_collections") if m in sys.modules],
}}))
"""
    report = json.loads(run_python(code).stdout.strip().splitlines()[-1])
    assert report == {
        "model": "RegionRebalanceSegmenter",
        "optimizer": "CoupledWeightDecaySGD",
        "schedule": "WarmupPolynomialDecay",
        "iterations": 1,
        "heavy": [],
    }


def test_readme_install_line_and_make_install_every_extra():
    # `make` installs every extra of pyproject.toml (TensorBoard comes with `tools`), and
    # the README's install line is the same command.
    import os
    import re

    from tests.harness import REPO_ROOT

    def read(name):
        with open(os.path.join(REPO_ROOT, name), encoding="utf-8") as f:
            return f.read()

    # The section's `name = [...]` lines (no tomllib: Python 3.10 is supported).
    section = read("pyproject.toml").split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    extras = set(re.findall(r"^([\w-]+) = \[", section, re.M))
    make = set(re.search(r"^EXTRAS := (\S+)$", read("Makefile"), re.M).group(1).split(","))
    install = r'pip install -c requirements/constraints\.txt -e "\.\[([\w,]+)\]"`?\s+\(what `make` does\)'
    readme = set(re.search(install, read("README.md")).group(1).split(","))
    # ... with the constraints file that `make` passes to pip.
    assert re.search(r"^CONSTRAINTS := requirements/constraints\.txt$", read("Makefile"), re.M)
    assert "pip install -q -c $(CONSTRAINTS) -e" in read("Makefile")
    assert {"export", "tools"} <= make
    assert make == extras == readme, (make, extras, readme)
