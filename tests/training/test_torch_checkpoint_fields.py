"""`model.encoder_checkpoint` / `model.checkpoint`: torch checkpoints loaded by the trainer."""

import logging
import os
import re

import numpy as np
import pytest

from keras_rr.training import config as rr_config
from keras_rr.training import train_and_evaluate
from tests.harness import REPO_ROOT

safetensors_numpy = pytest.importorskip("safetensors.numpy")


def _config():
    config = rr_config.load_config(os.path.join(REPO_ROOT, "configs/synthetic/small_fcn_rr.py:smoke"))
    config.train.total_steps = 1
    config.train.checkpoint_every = 1
    config.train.export = False
    return config


def _classifier_checkpoint(path, num_classes, width):
    # small_fcn's `classifier` is mmseg's `decode_head.conv_seg` (the heads' legacy table).
    rng = np.random.default_rng(0)
    safetensors_numpy.save_file({
        "decode_head.conv_seg.weight": rng.normal(size=(num_classes, width, 1, 1)).astype("float32"),
        "decode_head.conv_seg.bias": rng.normal(size=(num_classes,)).astype("float32"),
    }, str(path))
    return str(path)


def test_model_checkpoint_is_loaded_before_training(tmp_path, caplog):
    config = _config()
    config.model.checkpoint = _classifier_checkpoint(tmp_path / "segmentor.safetensors", config.data.num_classes,
                                                     config.model.width)
    with caplog.at_level(logging.INFO, logger="keras_rr.training.trainer"):
        train_and_evaluate(config, str(tmp_path / "run"), progress=False)
    assert re.search(r"model\.checkpoint: load_torch_weights: layout mmseg_segmentor: 2 loaded", caplog.text)


def test_checkpoints_that_do_not_fit_fail_with_the_field_and_the_reason(tmp_path):
    config = _config()
    config.model.checkpoint = _classifier_checkpoint(tmp_path / "wrong.safetensors", config.data.num_classes + 1,
                                                     config.model.width)
    with pytest.raises(ValueError, match=re.escape(
        f"model.checkpoint={config.model.checkpoint!r} does not load into model.name='small_fcn': Mis-shaped weights"
    ) + r"(.|\n)*decode_head\.conv_seg\.weight: torch shape"):
        train_and_evaluate(config, str(tmp_path / "run"), progress=False)
    config = _config()
    config.model.encoder_checkpoint = _classifier_checkpoint(tmp_path / "head.safetensors", config.data.num_classes,
                                                             config.model.width)
    with pytest.raises(ValueError, match=r"model\.encoder_checkpoint=.* does not load into model\.name='small_fcn': "
                                         r"The checkpoint .* holds \['decode_head'\] weights \(of parts=\('backbone',\)\), the model "
                                         r"\['decode_head'\]: nothing to load"):
        train_and_evaluate(config, str(tmp_path / "run2"), progress=False)
