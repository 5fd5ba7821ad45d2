"""`LayerDecayAdamW` / `optimizer.layer_decay` against a NumPy transcription of mmseg's rule.

mmseg's `LearningRateDecayOptimizerConstructor` (`decay_type="layer_wise_vit"`) numbers the
parameters of its BEiT segmentor by their torch names; the variables of our tiny UPerNet
BEiT carry those names by the naming contract, so the rule applied to the torch names
must give our scales and weight-decay flags. A real step then applies them: one AdamW
step with constant gradients, checked against NumPy, variable by variable.
"""

import keras
import numpy as np
import pytest

from keras_rr.models import beit_backbone
from keras_rr.models import uper_net_beit
from keras_rr.optimizers import LayerDecayAdamW
from keras_rr.optimizers.layer_decay_adamw import decays_weight
from keras_rr.optimizers.layer_decay_adamw import layer_decay_scales
from keras_rr.training.optimizers import build_optimizer
from tests.harness import to_numpy
from tests.harness import run_serialization_test
from tests.models.test_beit import torch_key

DEPTH = 4


def mmseg_param_groups(named_shapes, num_layers, decay_rate, weight_decay):
    """mmseg's `LearningRateDecayOptimizerConstructor.add_params` for BEiT, literally:
    `{name: (lr_scale, weight_decay)}`."""

    def get_layer_id_for_vit(var_name, max_layer_id):
        if var_name in ("backbone.cls_token", "backbone.mask_token", "backbone.pos_embed"):
            return 0
        elif var_name.startswith("backbone.patch_embed"):
            return 0
        elif var_name.startswith("backbone.layers"):
            return int(var_name.split(".")[2]) + 1
        else:
            return max_layer_id - 1

    num_layers = num_layers + 2
    groups = {}
    for name, shape in named_shapes:
        if len(shape) == 1 or name.endswith(".bias") or name in ("pos_embed", "cls_token"):
            this_weight_decay = 0.0
        else:
            this_weight_decay = weight_decay
        layer_id = get_layer_id_for_vit(name, num_layers)
        groups[name] = (decay_rate ** (num_layers - layer_id - 1), this_weight_decay)
    return groups


@pytest.fixture(scope="module")
def segmenter():
    keras.utils.set_random_seed(0)
    return uper_net_beit(4, variant="tiny", image_size=32, channels=8)


def _mmseg_name(variable, backbone_paths):
    # The backbone's variables are mmseg's `backbone.*`; the rest (neck, heads) are not
    # numbered, whatever their names.
    prefix = "backbone." if variable.path in backbone_paths else "decode_head."
    return prefix + torch_key(variable)


def test_scales_and_decay_flags_equal_mmsegs_rule(segmenter):
    variables = segmenter.trainable_variables
    backbone_paths = {v.path for v in segmenter.get_layer("backbone").weights}
    names = [_mmseg_name(v, backbone_paths) for v in variables]
    assert "backbone.cls_token" in names and "backbone.layers.3.attn.relative_position_bias_table" in names
    expected = mmseg_param_groups(zip(names, [v.shape for v in variables]), DEPTH, 0.95, 0.05)
    scales = layer_decay_scales([v.path for v in variables], 0.95)
    for variable, name, scale in zip(variables, names, scales):
        want_scale, want_decay = expected[name]
        assert scale == pytest.approx(want_scale, rel=1e-12), name
        assert decays_weight(variable) == (want_decay > 0), name
    # Five groups of rates: embeddings, four blocks, everything after the backbone.
    assert sorted(set(np.round(scales, 12))) == sorted(set(np.round([0.95 ** k for k in range(6)], 12)))


def test_a_step_applies_the_scales_and_the_decay():
    # A 1-block BEiT and a head layer after it: the three kinds of layer id, few variables.
    backbone = beit_backbone(image_size=16, embed_dim=8, depth=1, num_heads=2, out_indices=(0,))
    head = keras.layers.Dense(3, name="decode_head")
    head.build((None, 8))
    variables = backbone.trainable_variables + head.trainable_variables
    lr, wd, eps = 0.1, 0.05, 1e-8
    optimizer = LayerDecayAdamW(lr, layer_decay=0.5, weight_decay=wd, epsilon=eps)
    rng = np.random.default_rng(0)
    gradients = [rng.normal(size=v.shape).astype("float32") for v in variables]
    before = [to_numpy(v).astype("float64") for v in variables]
    optimizer.apply([keras.ops.convert_to_tensor(g) for g in gradients], variables)
    scales = layer_decay_scales([v.path for v in variables], 0.5)
    assert sorted(set(scales)) == [0.25, 0.5, 1.0]
    for variable, w, g, scale in zip(variables, before, gradients, scales):
        rate = lr * scale
        g = g.astype("float64")
        # Keras' Adam, first step: m = (1 - b1) g, v = (1 - b2) g^2, alpha = rate sqrt(1 - b2) / (1 - b1).
        m, v = 0.1 * g, 0.001 * g * g
        alpha = rate * np.sqrt(1 - 0.999) / (1 - 0.9)
        expected = w - (rate * wd * w if decays_weight(variable) else 0.0) - alpha * m / (np.sqrt(v) + eps)
        np.testing.assert_allclose(to_numpy(variable), expected, rtol=1e-5, atol=1e-6, err_msg=variable.path)


def test_config_builds_it_and_refuses_what_it_cannot_number(segmenter):
    config = {"name": "adamw", "learning_rate": 2e-5, "weight_decay": 0.05, "layer_decay": 0.95}
    optimizer, _ = build_optimizer(config, {"name": "poly", "power": 1.0}, 100,
                                   variables=segmenter.trainable_variables)
    assert isinstance(optimizer, LayerDecayAdamW) and optimizer.layer_decay == 0.95
    copy = run_serialization_test(LayerDecayAdamW(2e-5, layer_decay=0.95, weight_decay=0.05))
    assert (copy.layer_decay, copy.decoupled_weight_decay, copy.epsilon) == (0.95, 0.05, 1e-8)
    with pytest.raises(ValueError, match="optimizer.name='adamw'"):
        build_optimizer({**config, "name": "sgd"}, {"name": "poly"}, 100)
    dense = keras.layers.Dense(2)
    dense.build((None, 3))
    with pytest.raises(ValueError, match="layers-"):
        build_optimizer(config, {"name": "poly"}, 100, variables=dense.trainable_variables)
    with pytest.raises(ValueError, match="layers-"):
        LayerDecayAdamW(0.1, layer_decay=0.9).build(dense.trainable_variables)
    with pytest.raises(ValueError, match="layer_decay"):
        LayerDecayAdamW(0.1, layer_decay=1.5)
