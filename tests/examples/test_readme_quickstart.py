"""The README's Quick start runs as written, at toy size, on every backend.

The code block is read from README.md and run with four substitutions: the preset name
becomes a tiny local KerasHub DeepLabV3 preset, 512 px becomes 32, 150 classes become 3
and `epochs=...` one epoch. The folder it reads holds PNGs of different sizes, so the
run needs the loader's `image_size`, as real data does.
"""

import os
import re

import numpy as np
import pytest

import keras_rr
from tests.data.label_files import make_pairs

README = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "README.md")


def quick_start_code(path=README):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("## Quick start"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_getting_started_shows_the_readmes_quick_start():
    # docs/getting-started.md repeats the Quick start (skipped there: it needs a preset
    # download); this test is what runs it, so the two must stay the same code.
    page = os.path.join(os.path.dirname(README), "docs", "getting-started.md")
    assert quick_start_code(page) == quick_start_code()


def toy_code(preset):
    code = quick_start_code()
    substitutions = [
        ('"segformer_b0_ade20k_512"', repr(str(preset))),
        ("image_size=512", "image_size=32"),
        ("150", "3"),
        ("epochs=...", "epochs=1"),
    ]
    for old, new in substitutions:
        assert old in code, f"README Quick start no longer contains {old!r}; update this test"
        code = code.replace(old, new)
    return code


def write_data(root):
    rng = np.random.default_rng(0)
    labels = [rng.integers(0, 3, size=shape).astype(np.uint8) for shape in [(40, 48), (36, 30), (33, 33)]]
    for label in labels:
        label[0, :2] = 255
    make_pairs(os.path.join(root, "data/train/images"), os.path.join(root, "data/train/labels"), labels,
               ["a", "b", "c"], image_ext=".png")


@pytest.mark.slow
def test_readme_quick_start_runs(tmp_path, monkeypatch, resnet_presets):
    write_data(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    namespace = {"images": np.zeros((2, 32, 32, 3), np.float32)}
    exec(compile(toy_code(resnet_presets["deeplab"]), "README.md Quick start", "exec"), namespace)
    assert namespace["stats"].num_images == 3
    assert namespace["train_ds"].element_spec[0].shape.as_list() == [None, 32, 32, 3]
    assert namespace["masks"].shape == (2, 32, 32)
    assert os.path.isfile(tmp_path / "segmenter.keras")


def test_fit_on_images_of_unknown_size_names_image_size(tmp_path, resnet_presets):
    write_data(str(tmp_path))
    segmenter = keras_rr.models.segmenter_from_preset(resnet_presets["deeplab"], num_classes=3, image_size=32)
    model = keras_rr.models.RegionRebalanceSegmenter(segmenter, num_classes=3, region_frequency=[3, 3, 3])
    model.compile(optimizer="sgd")
    crops = keras_rr.data.load_segmentation_directory(
        tmp_path / "data/train/images", tmp_path / "data/train/labels", batch_size=1)
    with pytest.raises(ValueError, match=r"fixed size \(32, 32\).*image_size=\(32, 32\)"):
        model.fit(crops, epochs=1, verbose=0)
