"""The `smoke` variant of every config trains 2 steps end to end (tiny model, synthetic data).

Smoke variants of configs that differ only in their full-size model (e.g. DeepLabV3+
R50 / R101 on ADE20K and the dataset's `base.py`, all a width-8 FCN in smoke form) are
identical, so each distinct smoke config trains once and the others are checked to
equal it.
"""

import json
import os

import numpy as np
import pytest

from keras_rr.optimizers import LayerDecayAdamW
from keras_rr.training import config as rr_config
from keras_rr.training.trainer import train_and_evaluate
from tests.harness import REPO_ROOT
from tests.harness import skip_on_backends
from tests.training.test_config import CONFIG_FILES


def _smoke(relative):
    return rr_config.load_config(os.path.join(REPO_ROOT, relative) + ":smoke")


def _key(config):
    config = config.copy_and_resolve_references()
    config.name = ""
    return config.to_json_best_effort(sort_keys=True)


def _groups():
    groups = {}
    for relative in CONFIG_FILES:
        groups.setdefault(_key(_smoke(relative)), []).append(relative)
    return list(groups.values())


GROUPS = _groups()


def test_smoke_groups_cover_every_config():
    assert sorted(f for group in GROUPS for f in group) == CONFIG_FILES
    # Baseline (with the dataset's base.py) / RR on synthetic (12 classes), ADE20K
    # (150, SGD: DeepLabV3+, UPerNet and PSPNet rows alike), ADE20K SegFormer (150, AdamW
    # + warmup), COCO-Stuff (171, SGD), the Swin rows on ADE20K and COCO-Stuff (AdamW
    # + warmup + their weight-decay exclusions), the OCRNet rows on both (mmseg's SGD
    # weight decay 5e-4), the BEiT-L rows on ADE20K (AdamW with their warmup; the FCN
    # cannot be numbered for layer decay), and ADE20K-Full (847 classes, ignore 65535).
    assert len(GROUPS) == 20


def _group_id(group):
    return "+".join(os.path.relpath(g, "configs")[:-3] for g in group)


@pytest.mark.parametrize("group", GROUPS, ids=_group_id)
def test_smoke_variant_trains(group, tmp_path):
    config = _smoke(group[0])
    for other in group[1:]:
        assert _key(_smoke(other)) == _key(config)
    # Export (save + reload + compare) is covered once by the CLI test.
    config.train.export = False
    result = train_and_evaluate(config, str(tmp_path), progress=False)
    assert result.step == 2 and result.start_step == 0
    assert np.isfinite(result.metrics.miou)
    report = json.loads((tmp_path / "metrics.json").read_text())
    assert report["num_classes"] == config.data.num_classes and report["num_images"] == 4
    assert len(report["train_region_counts"]) == config.data.num_classes
    assert (tmp_path / "model.keras").is_file() and (tmp_path / "class_statistics.json").is_file()
    assert os.listdir(tmp_path / "checkpoints") == ["step_00000002"]
    history = [json.loads(line) for line in (tmp_path / "eval_history.jsonl").read_text().splitlines()]
    assert history[-1]["step"] == 2


def test_ade20k_config_trains_on_the_official_folder_layout(tmp_path):
    from PIL import Image

    root = tmp_path / "ADEChallengeData2016"
    rng = np.random.default_rng(0)
    for split, count in (("training", 4), ("validation", 2)):
        (root / "images" / split).mkdir(parents=True)
        (root / "annotations" / split).mkdir(parents=True)
        for i in range(count):
            h, w = (int(v) for v in rng.integers(24, 48, size=2))  # varied sizes, like ADE20K
            name = f"ADE_{split}_{i:08d}"
            image = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
            Image.fromarray(image).save(root / "images" / split / f"{name}.jpg")
            label = rng.integers(0, 151, (h, w), dtype=np.uint8)  # raw 0 = "other" -> ignored
            Image.fromarray(label, mode="L").save(root / "annotations" / split / f"{name}.png")
    config = _smoke("configs/ade20k/deeplabv3plus_r50_rr.py")
    config.data.name = "ade20k"
    config.data.data_dir = str(tmp_path)
    config.data.train_split, config.data.val_split = "training", "validation"
    config.eval.mode, config.eval.batch_size = "slide", 1
    config.train.export = False
    result = train_and_evaluate(config, str(tmp_path / "run"), progress=False)
    report = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert report["num_images"] == 2 and report["dataset"] == "ade20k" and report["split"] == "validation"
    assert report["class_names"][:2] == ["wall", "building"] and np.isfinite(result.metrics.miou)
    stats = json.loads((tmp_path / "run" / "class_statistics.json").read_text())
    assert stats["num_images"] == 4


# One row per network family the paper's Tables 3 and 4 add, trained at its smallest
# (`:smoke_model`, 64 px: ResNet-18c, the "micro" Swin) with both training-only branches.
# (OCRNet's `:smoke_model`, the full-depth HRNetV2-W4, takes 90 s on torch: its train step
# with both losses and the config's auxiliary head are tested in tests/models/test_ocr_net.py.)
SMOKE_MODEL_ROWS = [
    "configs/ade20k/upernet_r50_rr.py",  # UPerNet on the undilated ResNet-c
    "configs/ade20k/pspnet_r50_rr.py",  # PSPNet on the dilated ResNet-c
    "configs/coco_stuff164k/upernet_swin_t_rr.py",  # UPerNet on Swin, AdamW with exclusions
    "configs/ade20k/upernet_beit_l_rr.py",  # UPerNet on the tiny BEiT, AdamW with layer-wise lr decay
]


@skip_on_backends(
    "tensorflow", "jax",
    reason="CI time: compiling these networks' train steps takes tens of seconds there; torch runs them fastest "
    "and each network's train step is checked on every backend in tests/models",
)
@pytest.mark.parametrize("relative", SMOKE_MODEL_ROWS, ids=lambda r: os.path.relpath(r, "configs")[:-3])
def test_smoke_model_trains_the_row_network_with_region_rebalance_and_the_auxiliary_head(relative, tmp_path):
    config = rr_config.load_config(os.path.join(REPO_ROOT, relative) + ":smoke_model")
    full = rr_config.load_config(os.path.join(REPO_ROOT, relative))
    assert config.model.name == full.model.name and config.model.image_size == 64
    assert config.region_rebalance.enabled and config.auxiliary_head.enabled
    config.train.export = False
    losses = []
    result = train_and_evaluate(
        config, str(tmp_path), step_hooks=[lambda step, values: losses.append(dict(values))], progress=False
    )
    assert result.step == 2 and len(losses) == 2 and np.isfinite(result.metrics.miou)
    for key in ("loss", "pixel_loss", "region_loss", "auxiliary_loss"):
        assert all(np.isfinite(step[key]) for step in losses), key
    assert result.model.region_head is not None and result.model.auxiliary_head is not None
    if full.optimizer.get("layer_decay") is not None:
        assert isinstance(result.model.optimizer, LayerDecayAdamW)
        assert result.model.optimizer.layer_decay == full.optimizer.layer_decay
    # The weighted sum the wrapper minimises: pixel + 0.3 region + 0.4 auxiliary.
    for step in losses:
        total = step["pixel_loss"] + 0.3 * step["region_loss"] + 0.4 * step["auxiliary_loss"]
        np.testing.assert_allclose(step["loss"], total, rtol=1e-4)
