"""The one optimizer recipe: config sections and plain dicts build the same optimizer and schedule."""

import os

import keras
import numpy as np
import pytest

from keras_rr.optimizers import CoupledWeightDecaySGD
from keras_rr.optimizers import WarmupPolynomialDecay
from keras_rr.training import config as rr_config
from keras_rr.training.optimizers import build_optimizer
from keras_rr.training.optimizers import build_schedule
from keras_rr.training.optimizers import excluded_variables
from tests.harness import REPO_ROOT
from tests.harness import randomize_weights
from tests.harness import skip_on_backends
from tests.harness import to_numpy
from tests.references import np_adamw
from tests.references import np_torch_sgd


def _config(relative):
    return rr_config.load_config(os.path.join(REPO_ROOT, relative))


def test_optimizers_from_config():
    config = _config("configs/ade20k/deeplabv3plus_r50_baseline.py")
    sgd, schedule = build_optimizer(config.optimizer, config.schedule, config.train.total_steps)
    # "sgd" is the coupled L2 SGD of torch / mmseg; Keras' own decay stays off.
    assert isinstance(sgd, CoupledWeightDecaySGD) and sgd.momentum == 0.9
    assert sgd.coupled_weight_decay == config.optimizer.weight_decay and sgd.weight_decay is None
    assert schedule.decay_steps == 160_000 and schedule.power == 0.9 and schedule.end_learning_rate == 1e-4
    config = _config("configs/ade20k/segformer_b0_baseline.py")
    adamw, schedule = build_optimizer(config.optimizer, config.schedule, 1000)
    assert isinstance(adamw, keras.optimizers.AdamW) and adamw.weight_decay == 0.01
    assert schedule.warmup_steps == 1500 and schedule.decay_steps == 1000
    config.schedule.name = "constant"
    _, constant = build_optimizer(config.optimizer, config.schedule, 1000)
    np.testing.assert_allclose(to_numpy(constant(1600)), 6e-5, rtol=1e-5)  # after warmup


@pytest.mark.parametrize("relative", ["configs/synthetic/small_fcn_rr.py", "configs/ade20k/segformer_b0_rr.py"])
def test_optimizers_from_dicts_equal_optimizers_from_config_sections(relative):
    config = _config(relative)
    config.optimizer.clipnorm = 1.0
    config.schedule.total_steps = 300
    optimizer, schedule = build_optimizer(config.optimizer, config.schedule, 1000)
    dict_optimizer, dict_schedule = build_optimizer(config.optimizer.to_dict(), config.schedule.to_dict(), 1000)

    def settings(opt):
        return {k: v for k, v in opt.get_config().items() if k != "name"}  # names are uniquified

    assert type(dict_optimizer) is type(optimizer) and settings(dict_optimizer) == settings(optimizer)
    assert dict_schedule.get_config() == schedule.get_config()
    assert optimizer.clipnorm == 1.0 and schedule.decay_steps == 300


def test_a_dict_may_leave_out_what_keeps_its_default():
    optimizer, schedule = build_optimizer(
        {"name": "sgd", "learning_rate": 0.02, "momentum": 0.9, "weight_decay": 1e-4}, {"name": "poly"}, 50
    )
    reference = WarmupPolynomialDecay(0.02, decay_steps=50)
    assert schedule.get_config() == reference.get_config()
    assert optimizer.momentum == 0.9 and not optimizer.nesterov and optimizer.clipnorm is None
    no_decay, _ = build_optimizer({"name": "sgd", "learning_rate": 0.1, "weight_decay": 0.0}, {"name": "poly"}, 5)
    assert no_decay.coupled_weight_decay == 0.0 and no_decay.weight_decay is None and no_decay.momentum == 0.0
    constant = build_schedule({"name": "constant", "power": 2.0}, 0.5, 10)
    np.testing.assert_allclose([to_numpy(constant(s)) for s in (0, 5, 10)], [0.5, 0.5, 0.5], rtol=1e-6)


def test_decoupled_weight_decay_asks_for_keras_sgd():
    section = {"name": "sgd", "learning_rate": 0.01, "momentum": 0.9, "weight_decay": 1e-4}
    coupled, _ = build_optimizer(section, {"name": "poly"}, 10)
    decoupled, _ = build_optimizer(dict(section, decoupled_weight_decay=True), {"name": "poly"}, 10)
    assert type(coupled) is CoupledWeightDecaySGD and coupled.coupled_weight_decay == 1e-4
    # (On torch, `keras.optimizers.SGD` builds a backend subclass of itself.)
    assert isinstance(decoupled, keras.optimizers.SGD) and not isinstance(decoupled, CoupledWeightDecaySGD)
    assert decoupled.weight_decay == 1e-4 and decoupled.momentum == 0.9


def test_unknown_names_and_bad_learning_rates_are_clear_errors():
    with pytest.raises(ValueError, match="optimizer.name` must be one of"):
        build_optimizer({"name": "lamb", "learning_rate": 0.1}, {"name": "poly"}, 10)
    with pytest.raises(ValueError, match="schedule.name` must be one of"):
        build_optimizer({"name": "sgd", "learning_rate": 0.1}, {"name": "cosine"}, 10)
    with pytest.raises(ValueError, match="optimizer.learning_rate"):
        build_optimizer({"name": "sgd", "learning_rate": 0.0}, {"name": "poly"}, 10)


# Exclusion from weight decay: two Dense branches summed, `y = x @ (K1 + K2) + b1 + b2`, so
# both get the same NumPy gradient; the config's strings exclude the second by its path.
_STEPS = 6


def _two_branch_model(seed=0):
    rng = np.random.default_rng(seed)
    inputs = keras.Input((3,))
    outputs = keras.layers.Add()(
        [keras.layers.Dense(2, name="fc")(inputs), keras.layers.Dense(2, name="block_norm1")(inputs)]
    )
    model = keras.Model(inputs, outputs)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.weights])
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 2)).astype("float32")
    return model, x, y


def _two_branch_gradients(x, y):
    def gradients(params):
        k1, b1, k2, b2 = params
        residual = x @ (k1 + k2) + b1 + b2 - y
        scale = 2.0 / residual.size
        dk, db = scale * x.T @ residual, scale * residual.sum(0)
        return [dk, db, dk, db]

    return gradients


_SECTIONS = {
    "sgd": {"name": "sgd", "learning_rate": 0.1, "momentum": 0.9, "weight_decay": 0.05},
    "adamw": {"name": "adamw", "learning_rate": 0.05, "weight_decay": 0.5, "beta_1": 0.9, "beta_2": 0.999},
}


@pytest.mark.parametrize("name", ["sgd", "adamw"])
def test_excluded_variables_get_no_weight_decay_under_fit(name):
    model, x, y = _two_branch_model()
    initial = model.get_weights()
    section = dict(_SECTIONS[name], exclude_from_weight_decay=("norm",))
    schedule_section = {"name": "poly", "power": 1.0, "end_learning_rate": 0.0, "warmup_steps": 2}
    optimizer, schedule = build_optimizer(section, schedule_section, 2 * _STEPS, variables=model.trainable_variables)
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(x, y, batch_size=8, epochs=_STEPS, shuffle=False, verbose=0)
    rates = [float(to_numpy(schedule(step))) for step in range(_STEPS)]
    wd = section["weight_decay"]
    decays = [wd, wd, 0.0, 0.0]  # fc/kernel, fc/bias decayed; block_norm1/* excluded
    if name == "sgd":
        def reference(weight_decay):
            return np_torch_sgd(initial, _two_branch_gradients(x, y), rates, 0.9, weight_decay)
    else:
        def reference(weight_decay):
            return np_adamw(initial, _two_branch_gradients(x, y), rates, weight_decay)
    expected, all_decayed = reference(decays), reference(wd)
    for actual, ref in zip(model.get_weights(), expected):
        # (float32 Adam steps divide by sqrt(v): a few 1e-6 of rounding.)
        np.testing.assert_allclose(actual, ref, atol=1e-6 if name == "sgd" else 1e-5)
    # Decaying the excluded weights too would move them well beyond the tolerance.
    assert all(np.abs(a - b).max() > 1e-3 for a, b in zip(expected[2:], all_decayed[2:]))


def test_decoupled_keras_sgd_honours_the_exclusion_too():
    model, _, _ = _two_branch_model()
    initial = model.get_weights()
    section = dict(_SECTIONS["sgd"], decoupled_weight_decay=True, momentum=0.0, exclude_from_weight_decay=("norm1",))
    optimizer, _ = build_optimizer(section, {"name": "constant"}, 10, variables=model.trainable_variables)
    optimizer.apply([keras.ops.zeros(w.shape) for w in model.trainable_variables], model.trainable_variables)
    # Zero gradients: only Keras' decoupled decay acts, w -= lr * wd * w.
    factors = [1.0 - 0.1 * 0.05] * 2 + [1.0] * 2
    for actual, start, factor in zip(model.get_weights(), initial, factors):
        np.testing.assert_allclose(actual, start * factor, rtol=1e-6)


def test_exclusion_needs_the_variables_and_strings():
    section = dict(_SECTIONS["adamw"], exclude_from_weight_decay=("norm",))
    with pytest.raises(ValueError, match="`variables`"):
        build_optimizer(section, {"name": "poly"}, 10)
    with pytest.raises(ValueError, match="optimizer.exclude_from_weight_decay` must be a list or tuple"):
        build_optimizer(dict(section, exclude_from_weight_decay="norm"), {"name": "poly"}, 10, variables=[])
    model, _, _ = _two_branch_model()
    optimizer, _ = build_optimizer(_SECTIONS["sgd"], {"name": "poly"}, 10)
    optimizer.build(model.trainable_variables)
    with pytest.raises(ValueError, match="before the optimizer is built"):
        optimizer.exclude_from_weight_decay(var_names=["norm"])


@skip_on_backends(
    "tensorflow", "jax",
    reason="CI time: building a Swin eagerly takes 20-50 s there; the paths are Keras' (passed on all three when "
    "written) and the exclusion itself is NumPy-checked on every backend by the two-branch tests",
)
def test_the_swin_recipe_exempts_exactly_the_layer_norms_and_relative_position_tables(tmp_path):
    # A tiny KerasHub Swin through the preset path the configs take (NormalizedSegmenter).
    import keras_hub

    from keras_rr.models import uper_net_swin

    encoder = keras_hub.models.SwinTransformerBackbone(
        image_shape=(64, 64, 3), embed_dim=8, depths=(2, 1, 1, 1), num_heads=(1, 1, 2, 2), window_size=2
    )
    encoder.save_to_preset(str(tmp_path / "swin"))
    segmenter = uper_net_swin(4, image_size=64, backbone_preset=str(tmp_path / "swin"), channels=8)
    pyramid = segmenter.inner.get_layer("image_encoder").get_layer("swin_pyramid")
    backbone = pyramid.backbone
    # Expected from the layers themselves: every LayerNorm (patch embedding, blocks, patch
    # merging, the classifier's final norm, the pyramid's out-norms) and every table.
    norms = [backbone.patch_embedding.norm, backbone.norm, *pyramid.norms]
    tables = []
    for stage in backbone.stages:
        for block in stage.blocks:
            norms += [block.norm1, block.norm2]
            tables.append(block.attn.relative_position_bias_table)
        if stage.downsample is not None:
            norms.append(stage.downsample.norm)
    assert all(isinstance(layer, keras.layers.LayerNormalization) for layer in norms)
    expected = {id(v) for layer in norms for v in layer.trainable_weights} | {id(t) for t in tables}
    assert len(expected) == 2 * len(norms) + len(tables) == 2 * 19 + 5
    variables = segmenter.trainable_variables
    strings = _config("configs/ade20k/upernet_swin_t_baseline.py").optimizer.exclude_from_weight_decay
    # Nothing else: the heads' BatchNorms are "*_bn", no other path holds "norm".
    assert {id(v) for v in excluded_variables(variables, strings)} == expected
    # And the optimizer of the recipe honours it: one step of zero gradients is pure decay.
    recipe = _config("configs/ade20k/upernet_swin_t_baseline.py").optimizer
    section = dict(recipe.to_dict(), learning_rate=0.1, weight_decay=0.5)
    optimizer, _ = build_optimizer(section, {"name": "constant"}, 10, variables=variables)
    randomize_weights(segmenter)
    before = [to_numpy(v) for v in variables]
    optimizer.apply([keras.ops.zeros(v.shape) for v in variables], variables)
    for variable, start in zip(variables, before):
        factor = 1.0 if id(variable) in expected else 1.0 - 0.1 * 0.5
        np.testing.assert_allclose(to_numpy(variable), start * factor, rtol=1e-6, err_msg=variable.path)
