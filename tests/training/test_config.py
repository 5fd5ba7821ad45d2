"""Every config file loads, validates and has the paper recipe; variants and overrides work."""

import glob
import os

import pytest

from keras_rr.training import config as rr_config
from tests.harness import REPO_ROOT

CONFIG_FILES = sorted(
    os.path.relpath(p, REPO_ROOT) for p in glob.glob(os.path.join(REPO_ROOT, "configs", "**", "*.py"), recursive=True)
)
PAPER_ROWS = [
    "configs/ade20k/deeplabv3plus_r50_baseline.py",
    "configs/ade20k/deeplabv3plus_r50_rr.py",
    "configs/ade20k/deeplabv3plus_r101_baseline.py",
    "configs/ade20k/deeplabv3plus_r101_rr.py",
    "configs/coco_stuff164k/deeplabv3plus_r50_baseline.py",
    "configs/coco_stuff164k/deeplabv3plus_r50_rr.py",
    "configs/coco_stuff164k/deeplabv3plus_r101_baseline.py",
    "configs/coco_stuff164k/deeplabv3plus_r101_rr.py",
]


def path(relative):
    return os.path.join(REPO_ROOT, relative)


def test_all_expected_configs_exist():
    expected = PAPER_ROWS + [
        "configs/ade20k/segformer_b0_baseline.py",
        "configs/ade20k/segformer_b0_rr.py",
        "configs/synthetic/small_fcn_baseline.py",
        "configs/synthetic/small_fcn_rr.py",
    ]
    assert set(expected) <= set(CONFIG_FILES)


@pytest.mark.parametrize("relative", CONFIG_FILES)
def test_config_loads_validates_and_documents_its_launch(relative):
    full = rr_config.load_config(path(relative))
    if full.data.name != "synthetic":
        full.data.data_dir = "/data"
    rr_config.validate_config(full)
    assert full.region_rebalance.enabled == relative.endswith("_rr.py")
    smoke = rr_config.load_config(path(relative) + ":smoke")
    rr_config.validate_config(smoke)
    assert smoke.data.name == "synthetic" and smoke.train.total_steps <= 2
    assert smoke.model.name == "small_fcn" and smoke.model.image_size <= 64
    assert smoke.data.num_classes == full.data.num_classes
    assert smoke.region_rebalance.enabled == full.region_rebalance.enabled
    with open(path(relative)) as f:
        source = f.read()
    assert "python -m keras_rr.tools.train --config=" + relative in source


@pytest.mark.parametrize("relative", PAPER_ROWS)
def test_paper_recipe(relative):
    config = rr_config.load_config(path(relative))
    ade = "ade20k" in relative
    assert config.data.num_classes == (150 if ade else 171)
    assert config.train.total_steps == (160_000 if ade else 320_000)
    assert config.train.batch_size == 16
    assert config.data.augment.enabled and config.data.augment.crop_size == 512
    assert tuple(config.data.augment.ratio_range) == (0.5, 2.0)
    assert config.model.image_size == 512 and config.model.depth == (101 if "r101" in relative else 50)
    assert config.optimizer.name == "sgd" and config.optimizer.learning_rate == 0.01
    assert config.optimizer.momentum == 0.9 and config.optimizer.weight_decay == 1e-4
    assert config.schedule.name == "poly" and config.schedule.power == 0.9
    assert config.region_rebalance.loss_weight == 0.3 and config.region_rebalance.rebalance
    assert config.loss.name == "cross_entropy"


def test_variants_overrides_and_errors():
    config = rr_config.load_config(
        path("configs/synthetic/small_fcn_rr.py") + ":smoke,multi_scale",
        overrides={"train.total_steps": 5, "region_rebalance.projection_dim": 16, "loss.name": "dice"},
    )
    assert config.train.total_steps == 5 and config.region_rebalance.projection_dim == 16
    assert config.eval.mode == "multi_scale" and config.loss.name == "dice"
    head = rr_config.load_config(path("configs/ade20k/deeplabv3plus_r50_rr.py") + ":authors_head,smoke")
    assert head.region_rebalance.projection_dim == 256 and head.region_rebalance.pooling_resolution == "labels"
    with pytest.raises(ValueError, match="variant"):
        rr_config.load_config(path("configs/synthetic/small_fcn_rr.py") + ":bogus")
    with pytest.raises(ValueError, match="not found"):
        rr_config.load_config("configs/nope.py")
    bad = rr_config.synthetic_config()
    bad.loss.name = "focal"
    with pytest.raises(ValueError, match="loss.name"):
        rr_config.validate_config(bad)
    bad = rr_config.synthetic_config()
    bad.train.strategy = "horovod"
    with pytest.raises(ValueError, match="train.strategy"):
        rr_config.validate_config(bad)
    with pytest.raises(ValueError, match="data_dir"):
        rr_config.validate_config(rr_config.paper_config("ade20k"))
    with pytest.raises(ValueError, match="dataset"):
        rr_config.paper_config("cityscapes")


def test_segformer_recipe_uses_adamw_with_warmup():
    config = rr_config.load_config(path("configs/ade20k/segformer_b0_rr.py"))
    assert config.model.name == "segformer_mit" and config.model.variant == "b0"
    assert config.optimizer.name == "adamw" and config.schedule.warmup_steps == 1500
