"""`train_and_evaluate`: its restore step (resuming a finished run, starting over, a too-short
total, a changed config) and a model from a KerasHub preset (`model.preset`)."""

import json
import os

import numpy as np
import pytest

from keras_rr.training import config as rr_config
from keras_rr.training import train_and_evaluate
from keras_rr.training import metrics_report
from keras_rr.training.run_config import ConfigChangedError
from tests.data import label_files
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


def _write_folder(root, sizes, seed):
    """`root/images/i.png` and `root/labels/i.png`: random pixels, classes 0-2, one unlabeled pixel."""
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    rng = np.random.default_rng(seed)
    for i, (height, width) in enumerate(sizes):
        label_files.write_image(str(root / "images" / f"{i}.png"), height, width, seed=seed + i)
        label = rng.integers(0, 3, size=(height, width))
        label[0, 0] = 255
        label_files.write_label(str(root / "labels" / f"{i}.png"), label)


def test_a_folder_of_pngs_trains_and_validation_images_of_several_sizes_evaluate(tmp_path, monkeypatch):
    # docs/getting-started.md, "A first RR fit on your own folder": data.name="directory" and four folder fields.
    _write_folder(tmp_path / "train", [(32, 32)] * 4, seed=0)
    _write_folder(tmp_path / "val", [(32, 32), (24, 40), (24, 40), (32, 32)], seed=10)
    config = _config(total_steps=1, checkpoint_every=1)
    config.train.export = True
    config.data.update({
        "name": "directory", "num_classes": 3, "image_dir": str(tmp_path / "train" / "images"),
        "label_dir": str(tmp_path / "train" / "labels"), "val_image_dir": str(tmp_path / "val" / "images"),
        "val_label_dir": str(tmp_path / "val" / "labels"),
    })
    # Whole-image evaluation in batches of 2 of images of two sizes (batched per size; the
    # 24x40 ones are resized to the model's 32 px and the scores back).
    config.eval.batch_size = 2
    result = train_and_evaluate(config, str(tmp_path / "run"), progress=False)
    report = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert report["num_images"] == 4 and report["dataset"] == "directory" and report["class_names"] == ["0", "1", "2"]
    stats = json.loads((tmp_path / "run" / "class_statistics.json").read_text())
    assert sum(stats["pixel_counts"]) == 4 * (32 * 32 - 1)
    assert 0.0 <= result.metrics.aacc <= 1.0

    # A failing final evaluation (here a resumed, finished run: it only evaluates) keeps
    # the model files, written before it, and names the settings to change.
    def fail(*args, **kwargs):
        raise ValueError("Cannot batch tensors with different shapes")

    for name in ("model.keras", "segmenter.keras", "metrics.json"):
        (tmp_path / "run" / name).unlink()
    with monkeypatch.context() as patch:
        patch.setattr(metrics_report, "evaluate_dataset", fail)
        with pytest.raises(RuntimeError, match=r"(?s)evaluation at step 1 failed \(eval.mode='whole', "
                           r"eval.batch_size=2.*Training is done and saved: .*model.keras.*--config.eval.batch_size=1"):
            train_and_evaluate(config, str(tmp_path / "run"), progress=False)
    assert (tmp_path / "run" / "model.keras").is_file() and (tmp_path / "run" / "segmenter.keras").is_file()
    assert not (tmp_path / "run" / "metrics.json").exists()

    config.data.val_label_dir = None
    with pytest.raises(ValueError, match=r"needs `data.val_label_dir`, e.g. --config.data.val_label_dir="):
        train_and_evaluate(config, str(tmp_path / "bad"), progress=False)
    config.data.val_label_dir = str(tmp_path / "missing")
    with pytest.raises(ValueError, match=r"`data.val_label_dir` is not a folder"):
        train_and_evaluate(config, str(tmp_path / "bad"), progress=False)
    assert not (tmp_path / "bad").exists()


def test_a_bad_preset_fails_before_any_file_is_written(tmp_path):
    config = _config(total_steps=1, checkpoint_every=1)
    config.model.name = "deeplab_v3_plus_resnet"
    config.model.preset = str(tmp_path / "no_such_preset")
    with pytest.raises(ValueError, match="no_such_preset"):
        train_and_evaluate(config, str(tmp_path / "run"), progress=False)
    assert not (tmp_path / "run").exists()
