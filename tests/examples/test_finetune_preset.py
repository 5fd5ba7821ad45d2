"""`examples/finetune_preset.py` runs end to end offline: a tiny task preset saved with
`save_to_preset`, a tiny generated image/label folder, a few training steps, evaluation
and an export that normalises 0-255 images as the preset does."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from PIL import Image

import keras_rr
from tests import tiny_models
from tests.data.label_files import make_pairs
from tests.harness import REPO_ROOT
from tests.harness import run_script
from tests.harness import skip_on_backends
from tests.harness import to_numpy

NUM_CLASSES = 3
CROP = 32


def _labels(count=4, height=40, width=48):
    """`count` label maps larger than the crop: two large classes, a small one, ignored
    pixels. One size for all: each image size costs the sliding-window evaluation a
    compilation on JAX."""
    labels = []
    for i in range(count):
        label = np.zeros((height, width), np.uint8)
        label[:, width // 2 - 2 * i:] = 1
        label[height // 3: height // 2, 4 + i: 12 + i] = 2  # a small, rare region
        label[0, :] = 255
        labels.append(label)
    return labels


@pytest.mark.slow
@skip_on_backends(
    "jax",
    "tensorflow",
    reason="CI time (170 s on JAX, 40-90 s on TF; the example's code is backend-independent); the preset "
    "path it uses is tested on every backend in tests/models/test_presets.py and tests/training/test_trainer.py",
)
def test_finetune_preset_example_runs_offline(tmp_path, resnet_presets):
    # A 4-class 32 px task preset, re-headed to the data's 3 classes by the example.
    preset = resnet_presets["deeplab"]
    image_dir, label_dir = str(tmp_path / "images"), str(tmp_path / "labels")
    # PNG images: the pipeline and PIL decode them identically (JPEG decoders may differ).
    make_pairs(image_dir, label_dir, _labels(), names=["a", "b", "c", "d"], image_ext=".png")
    output_dir = tmp_path / "run"
    proc = run_script(
        "examples/finetune_preset.py",
        [f"--preset={preset}", f"--num_classes={NUM_CLASSES}", f"--train_images={image_dir}",
         f"--train_labels={label_dir}", "--batch_size=2", "--steps=2", "--log_every=1",
         f"--output_dir={output_dir}"],
        env={"KERAS_RR_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    out = proc.stdout
    assert "4 training images" in out and "mIoU" in out and "masks (2, 32, 32)" in out, out
    # The crop comes from the data (40 px images, a 32 px preset); losses print as it trains.
    assert "crop 32 px (preset input 32 px, smallest training image 40 px)" in out, out
    assert "step 1/2  loss" in out and "step 2/2  loss" in out and "region_loss" in out, out
    assert json.loads((output_dir / "class_statistics.json").read_text())["num_images"] == 4
    metrics = json.loads((output_dir / "metrics.json").read_text())
    assert 0.0 <= metrics["aacc"] <= 1.0 and 0.0 <= metrics["miou"] <= 1.0

    # The export takes what a deployment receives (uint8 0-255 RGB) and feeds its backbone
    # the same values training fed it: the pipeline's float32 decoding of the same file,
    # normalised as the preset's image converter says (ImageNet mean/std here).
    exported = keras.saving.load_model(str(output_dir / "segmenter.keras"))
    assert exported.output_shape == (None, CROP, CROP, NUM_CLASSES)
    backbone_input = keras.Model(exported.inputs, exported.normalization.output)
    deployed = np.asarray(Image.open(os.path.join(image_dir, "a.png")))[None, :CROP, :CROP]
    assert deployed.dtype == np.uint8
    pipeline = keras_rr.data.load_segmentation_directory(image_dir, label_dir, num_classes=NUM_CLASSES, batch_size=1)
    trained, _ = next(iter(pipeline.as_numpy_iterator()))  # a.png, the first pair
    trained = trained[:, :CROP, :CROP]
    assert trained.dtype == np.float32
    np.testing.assert_array_equal(trained, deployed.astype(np.float32))
    expected = trained * np.float32(tiny_models.IMAGENET_SCALE) + np.float32(tiny_models.IMAGENET_OFFSET)
    # A direct call: one normalisation op, no compiled predict function to build.
    np.testing.assert_allclose(to_numpy(backbone_input(deployed)), expected, rtol=1e-5, atol=1e-5)


def test_a_crop_larger_than_every_image_is_refused_at_once(tmp_path):
    # 96 px images at a 512 crop were silently upsampled (mIoU 0.06 against 23.1 at 96);
    # the refusal comes before Keras is imported, so this test costs a second.
    image_dir, label_dir = str(tmp_path / "images"), str(tmp_path / "labels")
    make_pairs(image_dir, label_dir, _labels(count=2), names=["a", "b"], image_ext=".png")
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO_ROOT, "examples", "finetune_preset.py"), "--preset=unused",
         "--num_classes=3", f"--train_images={image_dir}", f"--train_labels={label_dir}", "--crop_size=64",
         f"--output_dir={tmp_path / 'run'}"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode != 0
    assert "--crop_size=64 is larger than every training image" in proc.stderr, proc.stderr
    assert "pass --crop_size=32" in proc.stderr and not (tmp_path / "run").exists()
