"""`keras_rr.models.load_torch_weights` on a tiny contract-named network against plain torch.

Every layout (mmseg segmentor, mmcv / mmseg backbone, timm) round-trips: the Keras model
loads the torch network's state dict and predicts what torch computes. Then the
refusals (mis-shaped, missing, unexpected keys), the report, the relative-position hook,
files (.pth, .safetensors) and the layouts' renaming tables.
"""

import re

import keras
import numpy as np
import pytest

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
    head_before = to_numpy(model.get_layer("decode_head-conv_seg").kernel)
    report = load_torch_weights(model, backbone_state)
    assert {key.split(".")[0] for key, _ in report.loaded} == {"backbone"} and not report.missing
    np.testing.assert_array_equal(to_numpy(model.get_layer("decode_head-conv_seg").kernel), head_before)


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
    assert ("backbone.stem.7.weight", "stem-7/gamma") in report.loaded
    np.testing.assert_allclose(_predict(backbone, images), tiny.torch_predict(reference.backbone, images),
                               rtol=1e-4, atol=1e-5)


def test_a_normalized_segmenter_loads_into_its_inner_segmenter(reference):
    from keras_rr.models import NormalizedSegmenter

    model = NormalizedSegmenter(tiny.keras_segmenter(), scale=1 / 255, offset=0.0)
    report = load_torch_weights(model, reference.state_dict())
    assert len(report.loaded) == 26 and not report.kept


def test_the_region_rebalance_wrapper_loads_its_segmenter_and_keeps_the_region_branch(reference):
    from keras_rr.models import RegionRebalanceSegmenter

    model = RegionRebalanceSegmenter(tiny.keras_segmenter(), tiny.NUM_CLASSES, feature_layer="decode_head-up",
                                     region_frequency=[3, 2, 1])
    report = load_torch_weights(model, reference.state_dict())
    assert len(report.loaded) == 26
    assert report.kept == ["region_head/region_classifier/kernel", "region_head/region_classifier/bias"]


def test_mis_shaped_weight_is_refused_naming_key_and_both_shapes(reference):
    state = _numpy(reference.state_dict())
    state["decode_head.conv_seg.weight"] = np.zeros((5, tiny.CHANNELS, 1, 1), "float32")
    model = tiny.keras_segmenter()
    before = [to_numpy(w) for w in model.weights]
    with pytest.raises(ValueError, match=re.escape(
        "decode_head.conv_seg.weight: torch shape (5, 4, 1, 1) (after conversion (1, 1, 4, 5)) vs Keras variable "
        "decode_head-conv_seg/kernel of shape (1, 1, 4, 3)"
    )):
        load_torch_weights(model, state, strict=False)
    # Nothing was assigned.
    for value, weight in zip(before, model.weights):
        np.testing.assert_array_equal(value, to_numpy(weight))


def test_missing_key_is_an_error_unless_not_strict(reference):
    state = _numpy(reference.state_dict())
    del state["backbone.layers.0.gamma_1"]
    model = tiny.keras_segmenter()
    with pytest.raises(ValueError, match=r"lacks weights.*\n  backbone\.layers\.0\.gamma_1: layers-0/gamma_1"):
        load_torch_weights(model, state)
    report = load_torch_weights(model, state, strict=False)
    assert report.missing == [("backbone.layers.0.gamma_1", "layers-0/gamma_1")]
    np.testing.assert_array_equal(to_numpy(model.get_layer("tiny_backbone").get_layer("layers-0").gamma_1), 1.0)
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


def test_parts_takes_the_encoder_from_a_whole_segmentor(reference):
    model = tiny.keras_segmenter()
    head_before = to_numpy(model.get_layer("decode_head-conv_seg").kernel)
    report = load_torch_weights(model, reference.state_dict(), parts=("backbone",))
    assert {key.split(".")[0] for key, _ in report.loaded} == {"backbone"}
    assert report.skipped["decode_head.conv_seg.weight"] == "not in parts=('backbone',)"
    np.testing.assert_array_equal(to_numpy(model.get_layer("decode_head-conv_seg").kernel), head_before)
    with pytest.raises(ValueError, match=r"`parts` must be a non-empty tuple of .*Received: parts=\('head',\)"):
        load_torch_weights(model, reference.state_dict(), parts=("head",))


def test_output_norms_a_classification_backbone_lacks_are_kept():
    images = keras.Input((4, 4, 3))
    x = keras.layers.Conv2D(2, 1, use_bias=False, name="stem-0")(images)
    backbone = keras.Model(images, keras.layers.LayerNormalization(name="norm0")(x))
    conv = np.ones((2, 3, 1, 1), "float32")
    report = load_torch_weights(backbone, {"stem.0.weight": conv})  # e.g. Swin's ImageNet weights
    assert report.kept == ["norm0/gamma", "norm0/beta"] and not report.missing
    with pytest.raises(ValueError, match=r"lacks weights.*\n  backbone\.norm0\.weight"):
        load_torch_weights(backbone, {"backbone.stem.0.weight": conv})  # a whole segmentor must have them


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
    table = model.get_layer("tiny_backbone").get_layer("layers-0").attn.table
    np.testing.assert_array_equal(to_numpy(table), 7.0)
    assert f"resized {key}: (28, 2) -> (12, 2)" in str(report)


def test_nested_model_layers_are_backbone_relative_and_name_clashes_refused():
    images = keras.Input((4, 4, 3))
    inner = keras.Model(images, keras.layers.Conv2D(2, 1, name="decode_head-conv_seg")(images), name="inner")
    outer_images = keras.Input((4, 4, 3))
    x = inner(outer_images)  # a nested model's layers are the backbone's: backbone.decode_head.conv_seg
    x = keras.layers.Conv2D(2, 1, name="decode_head-conv_seg")(x)
    model = keras.Model(outer_images, x)
    report = load_torch_weights(model, {"decode_head.conv_seg.bias": np.ones(2, "float32"),
                                        "decode_head.conv_seg.weight": np.ones((2, 2, 1, 1), "float32")})
    assert [key for key, _ in report.loaded] == ["decode_head.conv_seg.weight", "decode_head.conv_seg.bias"]
    # The legacy `classifier` (mmseg's conv_seg) beside a contract-named conv_seg: ambiguous.
    x = keras.layers.Conv2D(2, 1, name="decode_head-conv_seg")(images)
    clash = keras.Model(images, keras.layers.Conv2D(2, 1, name="classifier")(x))
    with pytest.raises(ValueError, match=r"Two Keras variables map to the torch key 'decode_head.conv_seg.weight'"):
        load_torch_weights(clash, {"decode_head.conv_seg.bias": np.ones(2, "float32")})


@pytest.mark.skipif(keras.backend.backend() == "torch",
                    reason="Keras' torch backend cannot build a layer named with '.' (torch ParameterDict keys)")
def test_layer_names_joined_with_dots_read_as_with_dashes():
    images = keras.Input((4, 4, 3))
    model = keras.Model(images, keras.layers.Conv2D(2, 1, name="decode_head.conv_seg")(images))
    report = load_torch_weights(model, {"decode_head.conv_seg.bias": np.arange(2, dtype="float32"),
                                        "decode_head.conv_seg.weight": np.ones((2, 3, 1, 1), "float32")})
    assert [key for key, _ in report.loaded] == ["decode_head.conv_seg.weight", "decode_head.conv_seg.bias"]
    np.testing.assert_array_equal(to_numpy(model.get_layer("decode_head.conv_seg").bias), [0.0, 1.0])


def test_conv_module_with_dash_separator_is_mmcvs_conv_module():
    from keras_rr.networks.layers.conv_module import conv_module
    from tests.checkpoints import mmseg_modules

    images = keras.Input((6, 6, 3))
    model = keras.Model(images, conv_module(images, 4, 3, "decode_head-bottleneck", separator="-"))
    assert [layer.name for layer in model.layers[1:]] == [
        "decode_head-bottleneck-conv", "decode_head-bottleneck-bn", "decode_head-bottleneck-activate"]
    reference = mmseg_modules.randomize(mmseg_modules.ConvModule(3, 4, 3), seed=3)
    report = load_torch_weights(model, mmseg_modules.prefixed("decode_head.bottleneck.", reference))
    assert len(report.loaded) == 5
    x = np.random.default_rng(1).normal(size=(2, 6, 6, 3)).astype("float32")
    np.testing.assert_allclose(_predict(model, x), tiny.torch_predict(reference, x), rtol=1e-4, atol=1e-5)
