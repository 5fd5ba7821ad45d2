"""`CoupledWeightDecaySGD` makes `torch.optim.SGD`'s updates on every backend.

The reference is `tests.references.np_torch_sgd`, `torch.optim.SGD(params, lr, momentum,
weight_decay, nesterov)` written out in NumPy, with the learning rate set before each step
as mmsegmentation's poly schedule does; under the torch backend that reference is itself
checked against `torch.optim.SGD`.
"""

import keras
import numpy as np
import pytest

from keras_rr.optimizers import CoupledWeightDecaySGD
from keras_rr.optimizers import WarmupPolynomialDecay
from tests.harness import run_serialization_test
from tests.harness import skip_on_backends
from tests.harness import to_numpy
from tests.references import np_torch_sgd

LR, MOMENTUM, WD, STEPS = 0.1, 0.9, 0.05, 6


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 2)).astype("float32")
    kernel = rng.normal(size=(3, 2)).astype("float32")
    bias = rng.normal(size=(2,)).astype("float32")
    return x, y, kernel, bias


def _poly_rates(total=STEPS, power=0.9):
    return [LR * (1.0 - step / total) ** power for step in range(total)]


def _gradient_fn(x, y):
    """d/d(kernel, bias) of mean((x @ kernel + bias - y) ** 2), in NumPy."""

    def gradients(params):
        kernel, bias = params
        residual = x @ kernel + bias - y
        scale = 2.0 / residual.size
        return [scale * x.T @ residual, scale * residual.sum(0)]

    return gradients


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("poly", [False, True])
def test_updates_match_torch_sgd(nesterov, poly):
    x, y, kernel, bias = _problem()
    learning_rate = WarmupPolynomialDecay(LR, decay_steps=STEPS, power=0.9) if poly else LR
    optimizer = CoupledWeightDecaySGD(learning_rate, momentum=MOMENTUM, nesterov=nesterov, coupled_weight_decay=WD)
    variables = [keras.Variable(kernel), keras.Variable(bias)]
    gradients = _gradient_fn(x, y)
    for _ in range(STEPS):
        optimizer.apply(gradients([to_numpy(v) for v in variables]), variables)
    rates = _poly_rates() if poly else [LR] * STEPS
    expected = np_torch_sgd([kernel, bias], gradients, rates, MOMENTUM, WD, nesterov)
    for actual, reference, initial in zip(variables, expected, (kernel, bias)):
        assert np.abs(reference - initial).max() > 0.05  # the steps moved the weights
        np.testing.assert_allclose(to_numpy(actual), reference, atol=1e-6)


def test_fit_with_a_poly_schedule_matches_torch_sgd():
    # The compiled trainer (JAX: stateless apply) with autodiff gradients.
    x, y, kernel, bias = _problem(seed=1)
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    model.set_weights([kernel, bias])
    optimizer = CoupledWeightDecaySGD(
        WarmupPolynomialDecay(LR, decay_steps=STEPS, power=0.9), momentum=MOMENTUM, coupled_weight_decay=WD
    )
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(x, y, batch_size=8, epochs=STEPS, shuffle=False, verbose=0)
    expected = np_torch_sgd([kernel, bias], _gradient_fn(x, y), _poly_rates(), MOMENTUM, WD)
    for actual, reference in zip(model.get_weights(), expected):
        np.testing.assert_allclose(actual, reference, atol=1e-6)


@skip_on_backends("tensorflow", "jax", reason="torch.optim.SGD itself is compared under the torch backend")
@pytest.mark.parametrize("nesterov", [False, True])
def test_the_numpy_reference_is_torch_sgd(nesterov):
    import torch

    x, y, kernel, bias = _problem(seed=2)
    gradients = _gradient_fn(x, y)
    rates = _poly_rates()
    params = [torch.tensor(kernel, dtype=torch.float64), torch.tensor(bias, dtype=torch.float64)]
    optimizer = torch.optim.SGD(params, lr=LR, momentum=MOMENTUM, weight_decay=WD, nesterov=nesterov)
    for lr in rates:
        for group in optimizer.param_groups:
            group["lr"] = lr
        for p, g in zip(params, gradients([p.numpy() for p in params])):
            p.grad = torch.tensor(g, dtype=torch.float64)
        optimizer.step()
    expected = np_torch_sgd([kernel, bias], gradients, rates, MOMENTUM, WD, nesterov)
    for actual, reference in zip(params, expected):
        np.testing.assert_allclose(actual.numpy(), reference, rtol=1e-12, atol=1e-12)
    # And the Keras optimizer against torch directly, in float32.
    keras_optimizer = CoupledWeightDecaySGD(
        WarmupPolynomialDecay(LR, decay_steps=STEPS, power=0.9),
        momentum=MOMENTUM,
        nesterov=nesterov,
        coupled_weight_decay=WD,
    )
    variables = [keras.Variable(kernel), keras.Variable(bias)]
    for _ in rates:
        keras_optimizer.apply(gradients([to_numpy(v) for v in variables]), variables)
    for actual, reference in zip(variables, params):
        np.testing.assert_allclose(to_numpy(actual), reference.numpy(), atol=1e-6)


def test_zero_gradients_shrink_weights_as_torch_does_not_as_keras_decoupled_decay():
    # environment.md's case: only the decay acts. Torch's (coupled) decay goes through the
    # momentum, so its shrink approaches 1 / (1 - momentum) = 10x Keras' decoupled one.
    lr, wd, steps = 0.01, 1e-2, 100
    weight = np.ones((2,), "float32")
    coupled = keras.Variable(weight)
    optimizer = CoupledWeightDecaySGD(lr, momentum=MOMENTUM, coupled_weight_decay=wd)
    decoupled = keras.Variable(weight)
    keras_sgd = keras.optimizers.SGD(lr, momentum=MOMENTUM, weight_decay=wd)
    zeros = [keras.ops.zeros((2,))]
    for _ in range(steps):
        optimizer.apply(zeros, [coupled])
        keras_sgd.apply(zeros, [decoupled])
    expected = np_torch_sgd([weight], lambda params: [np.zeros(2)], [lr] * steps, MOMENTUM, wd)[0]
    torch_shrink = 1.0 - expected
    np.testing.assert_allclose(1.0 - to_numpy(coupled), torch_shrink, atol=1e-6)
    # By hand: decoupled decay shrinks by (1 - lr * wd) per step (float32 rounding of 100
    # products: 1e-4 relative).
    np.testing.assert_allclose(1.0 - to_numpy(decoupled), 1.0 - (1.0 - lr * wd) ** steps, rtol=1e-3)
    assert torch_shrink[0] > 8 * (1.0 - to_numpy(decoupled)[0])


def test_config_round_trip_and_clear_errors():
    optimizer = CoupledWeightDecaySGD(
        WarmupPolynomialDecay(0.01, decay_steps=100), momentum=0.9, nesterov=True, coupled_weight_decay=5e-4, clipnorm=1.0
    )
    # (Keras' `Optimizer.from_config` deserialises the schedule inside the config it is
    # given, so the configs are compared field by field.)
    restored = run_serialization_test(optimizer, check_config_equal=False)
    assert restored.coupled_weight_decay == 5e-4 and restored.nesterov and restored.clipnorm == 1.0
    assert restored.momentum == 0.9
    assert restored.get_config()["learning_rate"] == optimizer.get_config()["learning_rate"]  # the schedule
    assert restored.weight_decay is None  # Keras' decoupled decay stays off
    with pytest.raises(ValueError, match="coupled_weight_decay"):
        CoupledWeightDecaySGD(0.01, weight_decay=1e-4)
    with pytest.raises(ValueError, match="momentum"):
        CoupledWeightDecaySGD(0.01, momentum=1.5)
    with pytest.raises(ValueError, match="coupled_weight_decay"):
        CoupledWeightDecaySGD(0.01, coupled_weight_decay=-1.0)
    with pytest.raises(ValueError, match="var_names` must be a list or tuple of non-empty strings"):
        optimizer.exclude_from_weight_decay(var_names=[""])


@pytest.mark.parametrize("exclude", ["var_names", "var_list"])
def test_excluded_variables_get_no_coupled_decay(exclude):
    # Keras' `exclude_from_weight_decay` semantics: names contained in `variable.name`, or
    # the variables themselves; torch's equivalent is a parameter group with weight_decay=0.
    x, y, kernel, bias = _problem(seed=3)
    variables = [keras.Variable(kernel, name="kernel"), keras.Variable(bias, name="bias")]
    optimizer = CoupledWeightDecaySGD(LR, momentum=MOMENTUM, coupled_weight_decay=WD)
    if exclude == "var_names":
        optimizer.exclude_from_weight_decay(var_names=["bia"])
    else:
        optimizer.exclude_from_weight_decay(var_list=variables[1:])
    gradients = _gradient_fn(x, y)
    for _ in range(STEPS):
        optimizer.apply(gradients([to_numpy(v) for v in variables]), variables)
    expected = np_torch_sgd([kernel, bias], gradients, [LR] * STEPS, MOMENTUM, [WD, 0.0])
    decayed = np_torch_sgd([kernel, bias], gradients, [LR] * STEPS, MOMENTUM, WD)
    for actual, reference in zip(variables, expected):
        np.testing.assert_allclose(to_numpy(actual), reference, atol=1e-6)
    assert np.abs(expected[1] - decayed[1]).max() > 1e-3  # the exclusion is visible
