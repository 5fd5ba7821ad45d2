"""Reading torch checkpoint files and renaming layouts: backend-independent (NumPy and torch only).

Runs on one backend (`RUN_ON_ONE_BACKEND` in tests/conftest.py): nothing here touches a
Keras variable. The loading into Keras is tested per backend in test_load_torch_weights.py.
"""

import sys

import numpy as np
import pytest

from keras_rr.checkpoints import layouts
from keras_rr.checkpoints import reading
from keras_rr.checkpoints import relative_position
from keras_rr.models import resize_relative_position_table
from tests.checkpoints import tiny_network as tiny

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def reference():
    return tiny.torch_segmenter(seed=0)


def test_table_resizing_is_mmsegs_for_beit_and_interpolates_other_grids():
    # A table linear in the offsets (dy, dx) stays linear (Swin: no class-token rows).
    dy, dx = np.meshgrid(np.arange(-2, 3), np.arange(-2, 3), indexing="ij")
    grid = np.stack([dy, dx], -1).reshape(25, 2).astype("float32")
    resized = relative_position.resize_relative_position_table(grid, 3, 5)
    assert resized.shape == (81, 2)
    dy, dx = np.meshgrid(np.linspace(-2, 2, 9), np.linspace(-2, 2, 9), indexing="ij")
    np.testing.assert_allclose(resized, np.stack([dy, dx], -1).reshape(81, 2), atol=1e-6)
    # A BEiT table (3 class-token rows, kept): mmseg's geometric-sequence interpolation
    # (`keras_rr.models.resize_relative_position_table`, tested in tests/models/test_beit.py).
    table = np.concatenate([grid, [[10, 10], [11, 11], [12, 12]]]).astype("float32")
    resized = relative_position.resize_relative_position_table(table, 3, 5)
    assert resized.shape == (84, 2)
    np.testing.assert_array_equal(resized, resize_relative_position_table(table, 3, 5))
    np.testing.assert_array_equal(resized[81:], table[25:])
    assert relative_position.table_window(169) == (7, 0) and relative_position.table_window(732) == (14, 3)
    assert relative_position.table_window(10) is None


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
    zero = np.zeros(1, "float32")
    layout, renamed, skipped = _renamed({"stem.0.weight": zero, "fc.weight": zero, "fc.bias": zero})
    assert (layout, renamed) == ("mmseg_backbone", ["backbone.stem.0.weight"])
    assert skipped == {"fc.weight": "the backbone's classification head", "fc.bias": "the backbone's classification head"}
    assert layouts.recognise({"backbone.stem.0.weight": 0}) == "mmseg_segmentor"
    assert set(layouts.LAYOUTS) == {"mmseg_segmentor", "mmseg_backbone", "timm_resnet", "timm_hrnet", "timm_beit",
                                    "timm_swin", "swin"}


def test_timm_state_dicts_become_mmsegs_names():
    """timm's own ResNet-c and BEiT (tiny configs) renamed: mmcv's V1c stem, mmseg's BEiT names."""
    from tests.timm_reference import import_timm

    import_timm()
    from timm.models.beit import Beit
    from timm.models.resnet import Bottleneck
    from timm.models.resnet import ResNet

    resnet = ResNet(Bottleneck, [1, 1, 1, 1], stem_width=32, stem_type="deep", num_classes=3)
    layout, renamed, skipped = layouts.normalise({k: v.numpy() for k, v in resnet.state_dict().items()})
    assert layout == "timm_resnet"
    stem = {k for k in renamed if k.startswith("backbone.stem.")}
    assert {k.rsplit(".", 1)[0] for k in stem} == {f"backbone.stem.{i}" for i in (0, 1, 3, 4, 6, 7)}
    assert "backbone.layer1.0.downsample.1.running_var" in renamed and "backbone.layer4.0.conv3.weight" in renamed
    assert {k for k in skipped if not k.endswith("num_batches_tracked")} == {"fc.weight", "fc.bias"}

    beit = Beit(img_size=32, patch_size=16, embed_dim=8, depth=1, num_heads=1, use_rel_pos_bias=True,
                use_abs_pos_emb=False, init_values=0.1, num_classes=3)
    layout, renamed, skipped = layouts.normalise({k: v.numpy() for k, v in beit.state_dict().items()})
    assert layout == "timm_beit"
    block = ["gamma_1", "gamma_2", "ln1.weight", "ln1.bias", "attn.q_bias", "attn.v_bias",
             "attn.relative_position_bias_table", "attn.qkv.weight", "attn.proj.weight", "attn.proj.bias",
             "ln2.weight", "ln2.bias", "ffn.layers.0.0.weight", "ffn.layers.0.0.bias", "ffn.layers.1.weight",
             "ffn.layers.1.bias"]
    assert sorted(renamed) == sorted(
        ["backbone.cls_token", "backbone.patch_embed.projection.weight", "backbone.patch_embed.projection.bias"]
        + [f"backbone.layers.0.{name}" for name in block]
    )
    assert set(skipped) == {"fc_norm.weight", "fc_norm.bias", "head.weight", "head.bias"}
