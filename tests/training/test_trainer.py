"""`train_and_evaluate`'s restore step: resuming a finished run, starting over, a too-short total."""

import json
import os

import pytest

from keras_rr.training import config as rr_config
from keras_rr.training import train_and_evaluate
from tests.harness import REPO_ROOT


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
