"""The package as users install it: `python -m build` makes an sdist and a wheel, the wheel's
metadata carries lower bounds only, and the wheel installed into a fresh virtual
environment with the minimum Keras and one backend (JAX, the lightest) fits Region
Rebalance one step and exports a `.keras` file that reloads with equal predictions.

Runs on one backend (see `RUN_ON_ONE_BACKEND` in conftest.py); about 20 s on 2 cores, most
of it pip installing keras, JAX and their dependencies into the fresh environment
(build 3 s, install 12 s, fit and export 3 s when measured).
"""

import email
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile

import pytest
from packaging.version import Version

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONSTRAINTS = os.path.join(REPO_ROOT, "requirements", "constraints.txt")
# Requirements that must never be exact pins in the published metadata: users install
# keras-rr beside their own (often newer, often CUDA) builds of these.
UNPINNED = ("keras", "tensorflow", "jax", "torch", "keras-hub", "keras-cv", "tensorflow-datasets",
            "onnx", "onnxruntime", "tf2onnx", "ai-edge-litert")

SMOKE = r'''
import sys
import keras
import numpy as np
import keras_rr

assert keras_rr.__file__.startswith(sys.prefix), keras_rr.__file__  # the installed wheel
num_classes = 4
inputs = keras.Input((16, 16, 3))
x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="decoder_features")(inputs)
segmenter = keras.Model(inputs, keras.layers.Conv2D(num_classes, 1, name="classifier")(x))
model = keras_rr.models.RegionRebalanceSegmenter(segmenter, num_classes=num_classes, region_frequency=[4, 3, 2, 1])
model.compile(optimizer="sgd")
rng = np.random.default_rng(0)
images = rng.uniform(0, 255, (2, 16, 16, 3)).astype("float32")
labels = rng.integers(0, num_classes, (2, 16, 16)).astype("int32")
history = model.fit(images, labels, batch_size=2, epochs=1, verbose=0)
assert np.isfinite(history.history["region_loss"][0]), history.history
model.export("segmenter.keras", format="keras")
reloaded = keras.saving.load_model("segmenter.keras")
np.testing.assert_allclose(reloaded.predict(images, verbose=0), model.predict(images, verbose=0), rtol=1e-5, atol=1e-5)
print("smoke ok:", keras.backend.backend(), "keras", keras.__version__, "keras_rr", keras_rr.__version__)
'''


def _run(args, cwd, env=None, timeout=300):
    result = subprocess.run(args, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def _requirements(metadata):
    """{name: specifier} of the wheel's unconditional Requires-Dist and its extras'."""
    parsed = {}
    for line in metadata.get_all("Requires-Dist"):
        requirement = line.split(";")[0].strip()
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower().replace("_", "-")
        parsed.setdefault(name, []).append(requirement)
    return parsed


@pytest.mark.slow
def test_built_wheel_has_lower_bounds_and_runs_rr_in_a_fresh_jax_venv(tmp_path):
    timings = {}
    # Build from a copy of what the sdist needs, so the checkout gets no build/ or
    # *.egg-info folder (and a stale build/lib cannot leak into the wheel).
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(os.path.join(REPO_ROOT, name), source)
    shutil.copytree(os.path.join(REPO_ROOT, "keras_rr"), source / "keras_rr",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    start = time.perf_counter()
    # The sdist first, then the wheel built from that sdist (what `python -m build` does).
    _run([sys.executable, "-m", "build", "--outdir", str(tmp_path / "dist"), str(source)], cwd=tmp_path)
    timings["build"] = time.perf_counter() - start
    wheels = list((tmp_path / "dist").glob("keras_rr-*-py3-none-any.whl"))
    sdists = list((tmp_path / "dist").glob("keras_rr-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, os.listdir(tmp_path / "dist")
    wheel = wheels[0]

    with tarfile.open(sdists[0]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"pyproject.toml", "README.md", "LICENSE", "keras_rr/__init__.py", "keras_rr/version.py"} <= names

    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(archive.read(metadata_name))
        assert not [n for n in archive.namelist() if n.startswith(("tests/", "benchmarks/", "examples/"))]
        # The declared license, with its text: Apache-2.0 and the LICENSE file.
        assert metadata.get("License-Expression") == "Apache-2.0", metadata.get("License-Expression")
        assert [n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")], archive.namelist()
    requirements = _requirements(metadata)
    for name in UNPINNED:
        assert name in requirements, (name, sorted(requirements))
        for requirement in requirements[name]:
            assert "==" not in requirement and "<" not in requirement, requirement
    (keras_requirement,) = requirements["keras"]
    minimum_keras = re.fullmatch(r"keras\s*>=\s*([0-9.]+)", keras_requirement).group(1)

    # A fresh environment (no system site-packages) with the wheel, the minimum Keras it
    # declares and JAX. The outer pip installs into it (`--python`: no ensurepip run);
    # every other package at the version CI pins.
    # No PYTHONPATH (nor KERAS_*) from the suite's environment: pip run under the new
    # interpreter would count what that path holds as installed.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "KERAS_"))}
    env.update(KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    venv = tmp_path / "venv"
    start = time.perf_counter()
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path, env=env)
    python = str(venv / "bin" / "python")
    with open(CONSTRAINTS) as f:
        pins = [line for line in f if not line.lower().startswith("keras==")]
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("".join(pins) + f"keras=={minimum_keras}\n")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--disable-pip-version-check",
          "-c", str(constraints), f"{wheel}[jax]"], cwd=tmp_path, env=env, timeout=600)
    timings["install"] = time.perf_counter() - start
    listing = ("import importlib.metadata as m; print(m.version('keras'), "
               "sorted(d.metadata['Name'].lower() for d in m.distributions()))")
    installed = _run([python, "-c", listing], cwd=tmp_path, env=env).stdout
    assert Version(installed.split()[0]) == Version(minimum_keras), installed
    for other in ("'tensorflow'", "'torch'", "'keras-hub'"):
        assert other not in installed, installed

    start = time.perf_counter()
    script = tmp_path / "smoke.py"
    script.write_text(SMOKE)
    output = _run([python, str(script)], cwd=tmp_path, env=env).stdout
    timings["fit_export"] = time.perf_counter() - start
    assert "smoke ok: jax" in output, output
    print("packaging timings (s):", {k: round(v, 1) for k, v in timings.items()})
