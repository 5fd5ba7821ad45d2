"""`train_and_evaluate`: its restore step (resuming a finished run, starting over, a too-short
total, a changed config) and a model from a KerasHub preset (`model.preset`)."""

import json
import os

import pytest

from keras_rr.training import config as rr_config
from keras_rr.training import train_and_evaluate
from keras_rr.training.run_config import ConfigChangedError
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
    # Evaluation settings may change on resume (recorded in config_history.jsonl).
    config = _config()
    config.eval.batch_size = 1
    again = train_and_evaluate(config, str(tmp_path), progress=False, step_hooks=[lambda s, _: steps.append(s)])
    assert again.start_step == again.step == 2 and steps == []
    assert _history(tmp_path) == [2, 2]
    with pytest.raises(ValueError, match="past train.total_steps=1"):
        train_and_evaluate(_config(total_steps=1, checkpoint_every=1), str(tmp_path), progress=False)
    # What training computes may not: every changed field is listed, nothing is written.
    config.region_rebalance.loss_weight = 1.0
    config.optimizer.learning_rate = 0.1
    with pytest.raises(ConfigChangedError, match=r"(?s)optimizer.learning_rate: 0.01 -> 0.1\n"
                       r"  region_rebalance.loss_weight: 0.3 -> 1.0\n.*--allow_config_change") as error:
        train_and_evaluate(config, str(tmp_path), progress=False)
    assert [field for field, _, _ in error.value.changes] == ["optimizer.learning_rate", "region_rebalance.loss_weight"]
    assert json.loads((tmp_path / "config.json").read_text())["region_rebalance"]["loss_weight"] == 0.3
    train_and_evaluate(config, str(tmp_path), progress=False, allow_config_change=True)
    history = [json.loads(line) for line in (tmp_path / "config_history.jsonl").read_text().splitlines()]
    assert [(h["from_step"], h["forced"], sorted(h["changes"])) for h in history] == [
        (2, False, ["eval.batch_size"]), (2, True, ["optimizer.learning_rate", "region_rebalance.loss_weight"])]
    assert json.loads((tmp_path / "config.json").read_text())["region_rebalance"]["loss_weight"] == 1.0


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
