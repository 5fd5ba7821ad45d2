"""What a resume may change (`keras_rr.training.run_config`), without training anything."""

import json
import os

import pytest

from keras_rr.training import config as rr_config
from keras_rr.training import run_config
from tests.harness import REPO_ROOT


def _workdir_with(tmp_path, config):
    run_config.write_workdir_config(config, str(tmp_path))
    return str(tmp_path)


def test_watching_and_evaluating_may_change_training_may_not(tmp_path):
    workdir = _workdir_with(tmp_path, rr_config.default_config())
    config = rr_config.default_config()
    config.update_from_flattened_dict({
        "name": "renamed", "eval.mode": "slide", "eval.crop_size": 64, "train.log_every": 1, "train.eval_every": 0,
        "train.checkpoint_every": 50, "data.max_val_images": 10, "data.val_image_dir": "/elsewhere",
    })
    changes = run_config.check_resume(config, workdir, checkpoint_step=200)
    assert [field for field, _, _ in changes] == [
        "data.max_val_images", "data.val_image_dir", "eval.crop_size", "eval.mode", "name",
        "train.checkpoint_every", "train.eval_every", "train.log_every"]

    config.train.total_steps = 2400  # moves every later learning rate of the poly schedule
    config.data.augment.enabled = True
    with pytest.raises(run_config.ConfigChangedError, match=r"(?s)trained to step 200.*"
                       r"  data.augment.enabled: false -> true\n  train.total_steps: 1200 -> 2400\n.*"
                       r"also set --config.schedule.total_steps=1200") as error:
        run_config.check_resume(config, workdir, checkpoint_step=200)
    assert [field for field, _, _ in error.value.changes] == ["data.augment.enabled", "train.total_steps"]
    # No checkpoint (nothing resumed) or the explicit flag: any change goes.
    assert len(run_config.check_resume(config, workdir, checkpoint_step=None)) == 10
    assert len(run_config.check_resume(config, workdir, checkpoint_step=200, allow_config_change=True)) == 10


def test_a_longer_run_on_a_pinned_schedule_may_resume(tmp_path):
    pinned = rr_config.default_config()
    pinned.schedule.total_steps = 1200
    workdir = _workdir_with(tmp_path, pinned)
    pinned.train.total_steps = 2400
    assert run_config.check_resume(pinned, workdir, checkpoint_step=1200) == [("train.total_steps", 1200, 2400)]
    run_config.write_workdir_config(pinned, workdir, [("train.total_steps", 1200, 2400)], step=1200)
    (record,) = [json.loads(line) for line in (tmp_path / "config_history.jsonl").read_text().splitlines()]
    assert record["changes"] == {"train.total_steps": [1200, 2400]} and record["from_step"] == 1200
    assert json.loads((tmp_path / "config.json").read_text())["train"]["total_steps"] == 2400


def test_summary_is_short_and_a_broken_config_json_is_named(tmp_path):
    summary = run_config.config_summary(rr_config.load_config(os.path.join(REPO_ROOT, "configs/synthetic/small_fcn_rr.py")))
    assert len(summary.splitlines()) == 4 and "Region Rebalance (loss_weight 0.3)" in summary
    (tmp_path / "config.json").write_text("{")
    with pytest.raises(ValueError, match=r"config.json is not valid JSON.*--noresume"):
        run_config.check_resume(rr_config.default_config(), str(tmp_path), checkpoint_step=1)
