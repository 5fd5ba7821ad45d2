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


def test_import_is_light():
    # (matplotlib is not checked: `import keras` itself imports it.)
    code = (
        "import sys, keras_rr; heavy = [m for m in ('tensorflow_datasets', 'keras_hub', 'keras_cv', "
        "'ml_collections') if m in sys.modules]; print(heavy); assert not heavy, heavy"
    )
    run_python(code)
    assert sys.modules.get("keras_rr") is keras_rr


def test_every_keras_rr_name_in_the_readme_resolves():
    # The README is a contract: every dotted `keras_rr...` name it shows must exist.
    import importlib
    import importlib.util
    import os
    import re

    from tests.harness import REPO_ROOT

    with open(os.path.join(REPO_ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
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


def test_every_repository_path_in_the_readme_exists():
    import os
    import re

    from tests.harness import REPO_ROOT

    with open(os.path.join(REPO_ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    paths = set(re.findall(r"\b((?:keras_rr|tests|benchmarks|configs|examples|docs)/[\w/.-]*\.(?:py|md|sh|png))", text))
    assert len(paths) > 15, paths
    missing = sorted(p for p in paths if not os.path.exists(os.path.join(REPO_ROOT, p)))
    assert not missing, missing
