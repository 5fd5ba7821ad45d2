"""`train_and_evaluate`: its restore step (resuming a finished run, starting over, a too-short
total) and a model from a KerasHub preset (`model.preset`)."""

import json
import os

import pytest

from keras_rr.training import config as rr_config
from keras_rr.training import train_and_evaluate
from tests.harness import REPO_ROOT
from tests.tiny_models import IMAGENET_OFFSET
from tests.tiny_models import IMAGENET_SCALE


def _config(total_steps=2, checkpoint_every=2):
    config = rr_config.load_config(os.path.join(REPO_ROOT, "configs/synthetic/small_fcn_rr.py:smoke"))
    config.train.total_steps = total_steps
    config.train.checkpoint_every = checkpoint_every
    config.train.export = False
    return config


def _history(workdir):
    return [json.loads(line)["step"] for line in (workdir / "eval_history.jsonl").read_text().splitlines()]


def test_resuming_a_finished_run_only_evaluates_and_a_shorter_total_is_an_error(tmp_path):
    train_and_evaluate(_config(), str(tmp_path), progress=False)
    steps = []
    again = train_and_evaluate(_config(), str(tmp_path), progress=False, step_hooks=[lambda s, _: steps.append(s)])
    assert again.start_step == again.step == 2 and steps == []
    assert _history(tmp_path) == [2, 2]
    with pytest.raises(ValueError, match="past train.total_steps=1"):
        train_and_evaluate(_config(total_steps=1, checkpoint_every=1), str(tmp_path), progress=False)


def test_starting_over_deletes_the_previous_checkpoints_and_history(tmp_path):
    train_and_evaluate(_config(checkpoint_every=1), str(tmp_path), progress=False)
    assert sorted(os.listdir(tmp_path / "checkpoints")) == ["step_00000001", "step_00000002"]
    steps = []
    result = train_and_evaluate(_config(total_steps=1, checkpoint_every=1), str(tmp_path), progress=False,
                                resume=False, step_hooks=[lambda s, _: steps.append(s)])
    assert result.start_step == 0 and steps == [1]
    assert os.listdir(tmp_path / "checkpoints") == ["step_00000001"]
    assert _history(tmp_path) == [1]


def test_a_whole_task_preset_trains_with_its_normalization(tmp_path, resnet_presets):
    # `--config.model.preset=DIR` of `python -m keras_rr.tools.train`: the tiny 4-class
    # DeepLabV3+ preset, re-headed to the synthetic data's 12 classes, trains and
    # evaluates. (Its export and what reaches the backbone: tests/examples.)
    from keras_rr.models import NormalizedSegmenter

    config = _config(total_steps=1, checkpoint_every=1)
    config.model.name = "deeplab_v3_plus_resnet"
    config.model.preset = resnet_presets["deeplab"]
    result = train_and_evaluate(config, str(tmp_path), progress=False)
    assert result.step == 1 and 0.0 <= result.metrics.aacc <= 1.0
    segmenter = result.segmenter
    assert isinstance(segmenter, NormalizedSegmenter)
    assert segmenter.output_shape == (None, 32, 32, config.data.num_classes)
    assert segmenter.normalization.scale == pytest.approx(IMAGENET_SCALE)
    assert segmenter.normalization.offset == pytest.approx(IMAGENET_OFFSET)
