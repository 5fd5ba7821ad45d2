"""`keras_rr.models.load_torch_weights` on a tiny contract-named network against plain torch.

Every layout (mmseg segmentor, mmcv / mmseg backbone, timm) round-trips: the Keras model
loads the torch network's state dict and predicts what torch computes. Then the
refusals (mis-shaped, missing, unexpected keys), the report, the relative-position hook,
files (.pth, .safetensors) and the layouts' renaming tables.
"""

import re
import sys

import keras
import numpy as np
import pytest

from keras_rr.checkpoints import layouts
from keras_rr.checkpoints import reading
from keras_rr.checkpoints import relative_position
from keras_rr.models import load_torch_weights
from tests.checkpoints import tiny_network as tiny
from tests.harness import to_numpy

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def reference():
    return tiny.torch_segmenter(seed=0)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).normal(size=(2, tiny.SIZE, tiny.SIZE, 3)).astype("float32")


def _numpy(state):
    return {key: value.numpy() for key, value in state.items()}


def _predict(model, images):
    return to_numpy(model(images, training=False))


def test_mmseg_segmentor_layout_loads_and_predicts_as_torch(reference, images):
    model = tiny.keras_segmenter()
    report = load_torch_weights(model, _numpy(reference.state_dict()))  # a mapping of NumPy arrays
    assert report.layout == "mmseg_segmentor"
    assert len(report.loaded) == len(model.weights) == 26
    assert not report.missing and not report.resized
    assert "backbone.layers.0.attn.relative_position_index" in report.skipped
    assert "backbone.stem.1.num_batches_tracked" in report.skipped
    np.testing.assert_allclose(_predict(model, images), tiny.torch_predict(reference, images), rtol=1e-4, atol=1e-5)


def test_mmcv_backbone_layout_fills_the_backbone_only(reference, images):
    backbone_state = {k[len("backbone."):]: v for k, v in reference.state_dict().items() if k.startswith("backbone.")}
    # Into the backbone itself (a model with no head layers is a backbone).
    backbone = tiny.keras_backbone()
    report = load_torch_weights(backbone, backbone_state)
    assert report.layout == "mmseg_backbone" and len(report.loaded) == len(backbone.weights)
    np.testing.assert_allclose(_predict(backbone, images), tiny.torch_predict(reference.backbone, images),
                               rtol=1e-4, atol=1e-5)
    # Into a segmenter: the head keeps its values, nothing is missing (the head is not in scope).
    model = tiny.keras_segmenter()
    head_before = to_numpy(model.get_layer("decode_head.conv_seg").kernel)
    report = load_torch_weights(model, backbone_state)
    assert {key.split(".")[0] for key, _ in report.loaded} == {"backbone"} and not report.missing
    np.testing.assert_array_equal(to_numpy(model.get_layer("decode_head.conv_seg").kernel), head_before)


def test_timm_resnet_stem_layout_is_renamed_and_its_classifier_skipped(reference, images):
    timm_names = {"stem.0": "conv1.0", "stem.1": "conv1.1", "stem.3": "conv1.3", "stem.4": "conv1.4",
                  "stem.6": "conv1.6", "stem.7": "bn1"}
    state = {}
    for key, value in reference.backbone.state_dict().items():
        module = ".".join(key.split(".")[:2])
        state[key.replace(module, timm_names[module], 1) if module in timm_names else key] = value
    state["fc.weight"], state["fc.bias"] = torch.zeros(10, tiny.CHANNELS), torch.zeros(10)
    backbone = tiny.keras_backbone()
    report = load_torch_weights(backbone, state)  # torch tensors as they are
    assert report.layout == "timm_resnet"
    assert report.skipped["fc.weight"] == report.skipped["fc.bias"] == "the backbone's classification head"
    assert ("backbone.stem.7.weight", "stem.7/gamma") in report.loaded
    np.testing.assert_allclose(_predict(backbone, images), tiny.torch_predict(reference.backbone, images),
                               rtol=1e-4, atol=1e-5)


def test_mis_shaped_weight_is_refused_naming_key_and_both_shapes(reference):
    state = _numpy(reference.state_dict())
    state["decode_head.conv_seg.weight"] = np.zeros((5, tiny.CHANNELS, 1, 1), "float32")
    model = tiny.keras_segmenter()
    before = [to_numpy(w) for w in model.weights]
    with pytest.raises(ValueError, match=re.escape(
        "decode_head.conv_seg.weight: torch shape (5, 4, 1, 1) (after conversion (1, 1, 4, 5)) vs Keras variable "
        "decode_head.conv_seg/kernel of shape (1, 1, 4, 3)"
    )):
        load_torch_weights(model, state, strict=False)
    # Nothing was assigned.
    for value, weight in zip(before, model.weights):
        np.testing.assert_array_equal(value, to_numpy(weight))


def test_missing_key_is_an_error_unless_not_strict(reference):
    state = _numpy(reference.state_dict())
    del state["backbone.layers.0.gamma_1"]
    model = tiny.keras_segmenter()
    with pytest.raises(ValueError, match=r"lacks weights.*\n  backbone\.layers\.0\.gamma_1: layers\.0/gamma_1"):
        load_torch_weights(model, state)
    report = load_torch_weights(model, state, strict=False)
    assert report.missing == [("backbone.layers.0.gamma_1", "layers.0/gamma_1")]
    np.testing.assert_array_equal(to_numpy(model.get_layer("tiny_backbone").get_layer("layers.0").gamma_1), 1.0)
    assert "1 missing" in str(report)


def test_unexpected_key_of_a_loaded_part_is_an_error_unless_not_strict(reference):
    state = _numpy(reference.state_dict())
    state["decode_head.extra.weight"] = np.zeros(3, "float32")
    # A part the model has not at all (an auxiliary head) is skipped even when strict.
    state["auxiliary_head.conv_seg.weight"] = np.zeros((3, 4, 1, 1), "float32")
    with pytest.raises(ValueError, match=r"no Keras variable takes.*\n  decode_head\.extra\.weight$"):
        load_torch_weights(tiny.keras_segmenter(), state)
    report = load_torch_weights(tiny.keras_segmenter(), state, strict=False)
    assert report.skipped["decode_head.extra.weight"] == "no Keras variable of this name"
    assert report.skipped["auxiliary_head.conv_seg.weight"] == "the model has no auxiliary_head"
    text = str(report)
    assert text.startswith("load_torch_weights: layout mmseg_segmentor: 26 loaded, 6 skipped, 0 resized, 0 missing")
    assert "skipped (the model has no auxiliary_head): auxiliary_head.conv_seg.weight" in text


def test_a_checkpoint_with_nothing_the_model_has_is_refused():
    with pytest.raises(ValueError, match=r"holds \['decode_head'\] weights.*nothing to load"):
        load_torch_weights(tiny.keras_backbone(), {"decode_head.conv_seg.bias": np.zeros(3, "float32")})


def test_relative_position_table_of_another_window_goes_through_the_hook(reference, monkeypatch):
    state = _numpy(reference.state_dict())
    key = "backbone.layers.0.attn.relative_position_bias_table"
    state[key] = np.arange(28 * tiny.HEADS, dtype="float32").reshape(28, tiny.HEADS)  # window 3: 5 * 5 + 3 rows
    calls = []

    def stand_in(table, source_window, target_window):
        calls.append((table.shape, source_window, target_window))
        return np.full((12, tiny.HEADS), 7.0, "float32")

    monkeypatch.setattr(relative_position, "resize_relative_position_table", stand_in)
    model = tiny.keras_segmenter()
    report = load_torch_weights(model, state)
    assert calls == [((28, tiny.HEADS), 3, 2)]
    assert report.resized == [(key, (28, tiny.HEADS), (12, tiny.HEADS))]
    table = model.get_layer("tiny_backbone").get_layer("layers.0").attn.table
    np.testing.assert_array_equal(to_numpy(table), 7.0)
    assert f"resized {key}: (28, 2) -> (12, 2)" in str(report)


def test_default_table_resizing_interpolates_the_offset_grid_and_keeps_token_rows():
    # A table linear in the offsets (dy, dx) stays linear; the 3 class-token rows are kept.
    dy, dx = np.meshgrid(np.arange(-2, 3), np.arange(-2, 3), indexing="ij")
    grid = np.stack([dy, dx], -1).reshape(25, 2).astype("float32")
    table = np.concatenate([grid, [[10, 10], [11, 11], [12, 12]]]).astype("float32")
    resized = relative_position.resize_relative_position_table(table, 3, 5)
    assert resized.shape == (84, 2)
    dy, dx = np.meshgrid(np.linspace(-2, 2, 9), np.linspace(-2, 2, 9), indexing="ij")
    np.testing.assert_allclose(resized[:81], np.stack([dy, dx], -1).reshape(81, 2), atol=1e-6)
    np.testing.assert_array_equal(resized[81:], table[25:])
    assert relative_position.table_window(169) == (7, 0) and relative_position.table_window(732) == (14, 3)
    assert relative_position.table_window(10) is None


# Reading files and the layouts' tables do not depend on the Keras backend
# (`RUN_ON_ONE_BACKEND` in tests/conftest.py).
def test_reads_pth_with_state_dict_nesting_and_module_prefix(tmp_path, reference):
    state = reference.state_dict()
    path = tmp_path / "segmentor.pth"
    nested = {"meta": {"epoch": 3}, "state_dict": {"module." + k: v for k, v in state.items()}, "optimizer": {}}
    torch.save(nested, path)
    read = reading.read_state_dict(str(path))
    assert list(read) == list(state)
    for key, value in state.items():
        np.testing.assert_array_equal(read[key], value.numpy())
    # `model` nesting (BEiT / Swin releases) and a bfloat16 tensor.
    torch.save({"model": {"w": torch.ones(2, dtype=torch.bfloat16)}}, tmp_path / "release.pt")
    read = reading.read_state_dict(tmp_path / "release.pt")
    assert read["w"].dtype == np.float32 and read["w"].tolist() == [1.0, 1.0]


def test_reads_safetensors(tmp_path, reference):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    state = {k: v.contiguous() for k, v in reference.state_dict().items()}
    path = tmp_path / "backbone.safetensors"
    safetensors_torch.save_file(state, str(path))
    read = reading.read_state_dict(path)
    assert set(read) == set(state)
    np.testing.assert_array_equal(read["decode_head.up.weight"], state["decode_head.up.weight"].numpy())


def test_reading_errors_are_clear(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="`checkpoint` file not found"):
        reading.read_state_dict(tmp_path / "absent.pth")
    (tmp_path / "weights.h5").write_bytes(b"")
    with pytest.raises(ValueError, match=r"must end in \.pth, \.pt, \.bin, \.ckpt or \.safetensors"):
        reading.read_state_dict(tmp_path / "weights.h5")
    with pytest.raises(TypeError, match="file path .* or a mapping"):
        reading.read_state_dict(3)
    with pytest.raises(ValueError, match="holds no arrays"):
        reading.read_state_dict({"epoch": 3})
    (tmp_path / "model.pth").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "torch", None)  # torch not installed
    with pytest.raises(ImportError, match=r"needs torch: `pip install torch`"):
        reading.read_state_dict(tmp_path / "model.pth")


def _renamed(state):
    layout, renamed, skipped = layouts.normalise(state)
    return layout, sorted(renamed), skipped


def test_timm_hrnet_layout_skips_the_classification_head():
    zero = np.zeros(1, "float32")
    layout, renamed, skipped = _renamed({
        "conv1.weight": zero, "stage2.0.branches.0.0.conv1.weight": zero, "transition1.0.0.weight": zero,
        "incre_modules.0.0.conv1.weight": zero, "downsamp_modules.0.0.weight": zero,
        "final_layer.0.weight": zero, "classifier.weight": zero,
    })
    assert layout == "timm_hrnet"
    assert renamed == ["backbone.conv1.weight", "backbone.stage2.0.branches.0.0.conv1.weight",
                       "backbone.transition1.0.0.weight"]
    assert set(skipped) == {"incre_modules.0.0.conv1.weight", "downsamp_modules.0.0.weight", "final_layer.0.weight",
                            "classifier.weight"}


def test_timm_beit_layout_is_mmsegs_beit2mmseg():
    zero = np.zeros((1,), "float32")
    table = np.arange(6, dtype="float32").reshape(3, 2)
    layout, renamed, skipped = layouts.normalise({
        "cls_token": zero, "patch_embed.proj.weight": zero, "patch_embed.proj.bias": zero,
        "rel_pos_bias.relative_position_bias_table": table, "rel_pos_bias.relative_position_index": zero,
        "blocks.0.norm1.weight": zero, "blocks.0.attn.qkv.weight": zero, "blocks.0.attn.q_bias": zero,
        "blocks.0.attn.v_bias": zero, "blocks.0.attn.proj.weight": zero, "blocks.0.norm2.bias": zero,
        "blocks.0.mlp.fc1.weight": zero, "blocks.0.mlp.fc2.bias": zero, "blocks.0.gamma_1": zero,
        "blocks.1.gamma_2": zero, "norm.weight": zero, "fc_norm.weight": zero, "head.weight": zero,
    })
    assert layout == "timm_beit"
    assert sorted(renamed) == sorted("backbone." + k for k in [
        "cls_token", "patch_embed.projection.weight", "patch_embed.projection.bias",
        "layers.0.attn.relative_position_bias_table", "layers.1.attn.relative_position_bias_table",
        "layers.0.ln1.weight", "layers.0.attn.qkv.weight", "layers.0.attn.q_bias", "layers.0.attn.v_bias",
        "layers.0.attn.proj.weight", "layers.0.ln2.bias", "layers.0.ffn.layers.0.0.weight",
        "layers.0.ffn.layers.1.bias", "layers.0.gamma_1", "layers.1.gamma_2",
    ])
    np.testing.assert_array_equal(renamed["backbone.layers.1.attn.relative_position_bias_table"], table)
    assert set(skipped) == {"rel_pos_bias.relative_position_index", "norm.weight", "fc_norm.weight", "head.weight"}


@pytest.mark.parametrize("merge_at_start", [True, False], ids=["timm", "original"])
def test_swin_layouts_are_mmsegs_swin2mmseg(merge_at_start):
    zero = np.zeros((1,), "float32")
    merge_stage = 1 if merge_at_start else 0
    layout, renamed, skipped = _renamed({
        "patch_embed.proj.weight": zero, "patch_embed.norm.weight": zero,
        "layers.0.blocks.1.norm1.weight": zero, "layers.0.blocks.1.attn.qkv.weight": zero,
        "layers.0.blocks.1.attn.proj.bias": zero, "layers.0.blocks.1.attn.relative_position_bias_table": zero,
        "layers.0.blocks.1.attn.relative_position_index": zero, "layers.0.blocks.1.attn_mask": zero,
        "layers.0.blocks.1.mlp.fc1.weight": zero, "layers.0.blocks.1.mlp.fc2.bias": zero,
        f"layers.{merge_stage}.downsample.reduction.weight": np.zeros((2, 4), "float32"),
        f"layers.{merge_stage}.downsample.norm.bias": np.zeros((4,), "float32"),
        "norm.weight": zero, "head.fc.weight": zero,
    })
    assert layout == ("timm_swin" if merge_at_start else "swin")
    assert renamed == sorted("backbone." + k for k in [
        "patch_embed.projection.weight", "patch_embed.norm.weight", "stages.0.blocks.1.norm1.weight",
        "stages.0.blocks.1.attn.w_msa.qkv.weight", "stages.0.blocks.1.attn.w_msa.proj.bias",
        "stages.0.blocks.1.attn.w_msa.relative_position_bias_table", "stages.0.blocks.1.ffn.layers.0.0.weight",
        "stages.0.blocks.1.ffn.layers.1.bias", "stages.0.downsample.reduction.weight", "stages.0.downsample.norm.bias",
    ])
    assert set(skipped) == {"layers.0.blocks.1.attn.relative_position_index", "layers.0.blocks.1.attn_mask",
                            "norm.weight", "head.fc.weight"}


def test_swin_patch_merging_reorder_makes_timms_merging_mmsegs():
    """timm's PatchMerging (concatenation order) with weights moved by `unfold_order_*`
    equals mmseg's (nn.Unfold) one; the inverse functions undo them."""
    from tests.checkpoints.mmseg_modules import PatchMerging
    from tests.checkpoints.mmseg_modules import randomize
    from tests.timm_reference import import_timm

    timm = import_timm()
    from timm.models.swin_transformer import PatchMerging as TimmPatchMerging

    channels, size = 3, 4
    timm_merging = randomize(TimmPatchMerging(channels, 2 * channels), seed=1)
    with torch.no_grad():
        timm_merging.norm.weight.uniform_(0.5, 1.5)
        timm_merging.norm.bias.normal_()
    mmseg_merging = PatchMerging(channels, 2 * channels).eval()
    timm_state = {k: v.numpy() for k, v in timm_merging.state_dict().items()}
    mmseg_merging.load_state_dict({
        "reduction.weight": torch.from_numpy(layouts.unfold_order_matrix(timm_state["reduction.weight"])),
        "norm.weight": torch.from_numpy(layouts.unfold_order_vector(timm_state["norm.weight"])),
        "norm.bias": torch.from_numpy(layouts.unfold_order_vector(timm_state["norm.bias"])),
    })
    x = torch.randn(2, size, size, channels)
    with torch.no_grad():
        expected = timm_merging(x).reshape(2, -1, 2 * channels)
        actual = mmseg_merging(x.reshape(2, size * size, channels), (size, size))
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
    weight = timm_state["reduction.weight"]
    np.testing.assert_array_equal(layouts.concatenation_order_matrix(layouts.unfold_order_matrix(weight)), weight)
    vector = timm_state["norm.bias"]
    np.testing.assert_array_equal(layouts.concatenation_order_vector(layouts.unfold_order_vector(vector)), vector)
    assert timm.__name__ == "timm"


def test_mmcv_backbone_is_the_fallback_layout():
    assert layouts.recognise({"stem.0.weight": 0, "layer1.0.conv1.weight": 0}) == "mmseg_backbone"
    assert layouts.recognise({"backbone.stem.0.weight": 0}) == "mmseg_segmentor"
    assert set(layouts.LAYOUTS) == {"mmseg_segmentor", "mmseg_backbone", "timm_resnet", "timm_hrnet", "timm_beit",
                                    "timm_swin", "swin"}


def test_nested_model_layers_are_backbone_relative_and_name_clashes_refused():
    images = keras.Input((4, 4, 3))
    inner = keras.Model(images, keras.layers.Conv2D(2, 1, name="decode_head.conv_seg")(images), name="inner")
    outer_images = keras.Input((4, 4, 3))
    x = inner(outer_images)  # a nested model's layers are the backbone's: backbone.decode_head.conv_seg
    x = keras.layers.Conv2D(2, 1, name="decode_head.conv_seg")(x)
    model = keras.Model(outer_images, x)
    report = load_torch_weights(model, {"decode_head.conv_seg.bias": np.ones(2, "float32"),
                                        "decode_head.conv_seg.weight": np.ones((2, 2, 1, 1), "float32")})
    assert [key for key, _ in report.loaded] == ["decode_head.conv_seg.weight", "decode_head.conv_seg.bias"]
    # The legacy `classifier` (mmseg's conv_seg) beside a contract-named conv_seg: ambiguous.
    x = keras.layers.Conv2D(2, 1, name="decode_head.conv_seg")(images)
    clash = keras.Model(images, keras.layers.Conv2D(2, 1, name="classifier")(x))
    with pytest.raises(ValueError, match=r"Two Keras variables map to the torch key 'decode_head.conv_seg.weight'"):
        load_torch_weights(clash, {"decode_head.conv_seg.bias": np.ones(2, "float32")})
