"""`CoupledWeightDecaySGD`: the SGD of torch and mmsegmentation, L2 decay inside the gradient."""

import keras
from keras import ops

from keras_rr import validation
from keras_rr.optimizers.weight_decay_exclusions import WeightDecayExclusions


@keras.saving.register_keras_serializable(package="keras_rr")
class CoupledWeightDecaySGD(WeightDecayExclusions, keras.optimizers.Optimizer):
    """SGD with momentum and *coupled* weight decay: `torch.optim.SGD`'s update, step for step.

    For each variable `w` with gradient `g`, learning rate `lr` (of this step),
    momentum `mu` and decay `wd`:

    ```python
    g = g + wd * w                  # coupled: the decay enters the gradient...
    buf = mu * buf + g              # ...so momentum amplifies it (by up to 1 / (1 - mu))
    w = w - lr * (g + mu * buf if nesterov else buf)
    ```

    with `buf` starting at zero, which is `torch.optim.SGD(params, lr, momentum,
    weight_decay=wd, nesterov)` with `dampening=0`, the optimizer of mmsegmentation's
    recipes and of the RR paper (docs/method.md, section 6). Adding `wd * w` to the
    gradient is the gradient of an L2 penalty `wd / 2 * ||w||^2` on every variable.

    Two ways this differs from `keras.optimizers.SGD(momentum=mu, weight_decay=wd)`:
    Keras' `weight_decay` is *decoupled* (`w -= lr * wd * w` outside the momentum, ten
    times weaker than torch's in steady state at `mu = 0.9`), and Keras keeps the
    learning rate inside its velocity (`v = mu * v - lr * g`), which equals torch's
    update only while the learning rate is constant: under a poly schedule torch scales
    the whole buffer by the current rate. This class follows torch in both.

    Decay applies to every trainable variable, normalisation scales and biases
    included, as in the paper's recipe (docs/method.md, section 6: SGD, momentum 0.9,
    lr 1e-2, weight decay 1e-4, poly 0.9) and mmsegmentation's SGD configs, which set no
    `paramwise_cfg`. `exclude_from_weight_decay(var_list=..., var_names=...)` exempts
    chosen variables, with Keras' semantics (`keras.optimizers.Optimizer`): the variables
    of `var_list`, and those whose `name` contains one of `var_names`, get `g = g` (no
    `wd * w` term; momentum as usual). Call it before the optimizer is built.
    `keras_rr.training.optimizers.build_optimizer` passes the variables whose *path*
    contains a config's strings (mmseg's `custom_keys` with `decay_mult=0`).

    Args:
        learning_rate: float, a `keras.optimizers.schedules.LearningRateSchedule` (e.g.
            `keras_rr.optimizers.WarmupPolynomialDecay`) or a callable. Defaults to
            `0.01`.
        momentum: float in [0, 1]. Defaults to `0.0` (as torch and Keras' SGD).
        nesterov: bool. Nesterov momentum (torch's formula). Defaults to `False`.
        coupled_weight_decay: float >= 0. `wd` above (torch's `weight_decay`;
            the paper's recipe: 1e-4; mmsegmentation's `schedule_{20,40,80,160}k.py`:
            5e-4). Defaults to `0.0`.
        weight_decay: must be None or 0: Keras' decoupled decay is not applied here (use
            `keras.optimizers.SGD(weight_decay=...)` for it).
        name: str. Defaults to `"coupled_weight_decay_sgd"`.
        **kwargs: the other `keras.optimizers.Optimizer` arguments (`clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `loss_scale_factor`,
            `gradient_accumulation_steps`, ...). Clipping applies to the gradient
            before the decay is added, as `torch.nn.utils.clip_grad_norm_` does before
            `optimizer.step()`.

    Example:

    >>> schedule = keras_rr.optimizers.WarmupPolynomialDecay(0.01, decay_steps=160_000)
    >>> optimizer = keras_rr.optimizers.CoupledWeightDecaySGD(
    ...     schedule, momentum=0.9, coupled_weight_decay=1e-4)
    >>> model.compile(optimizer=optimizer)
    """

    def __init__(
        self,
        learning_rate=0.01,
        momentum=0.0,
        nesterov=False,
        coupled_weight_decay=0.0,
        weight_decay=None,
        name="coupled_weight_decay_sgd",
        **kwargs,
    ):
        if weight_decay:
            raise ValueError(
                "`weight_decay` (Keras' decoupled decay) is not used by CoupledWeightDecaySGD: pass "
                "`coupled_weight_decay` (torch's `weight_decay`), or use "
                f"`keras.optimizers.SGD(weight_decay=...)` for decoupled decay. Received: weight_decay={weight_decay}"
            )
        super().__init__(learning_rate=learning_rate, weight_decay=None, name=name, **kwargs)
        self.momentum = float(validation.check_number(momentum, "momentum", minimum=0.0, maximum=1.0))
        self.nesterov = bool(nesterov)
        self.coupled_weight_decay = float(
            validation.check_number(coupled_weight_decay, "coupled_weight_decay", minimum=0.0)
        )

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = self.add_optimizer_variables(variables, "momentum") if self.momentum else []
        # Per variable index (Python bools, fixed at build): whether the coupled decay applies.
        self._decays = tuple(not self.excluded_from_weight_decay(v) for v in variables)

    def update_step(self, gradient, variable, learning_rate):
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        if self.coupled_weight_decay and self._decays[self._get_variable_index(variable)]:
            gradient = gradient + ops.cast(self.coupled_weight_decay, variable.dtype) * variable
        if self.momentum:
            buffer = self.momentums[self._get_variable_index(variable)]
            momentum = ops.cast(self.momentum, variable.dtype)
            self.assign(buffer, momentum * buffer + gradient)
            gradient = gradient + momentum * buffer if self.nesterov else buffer
        self.assign_sub(variable, learning_rate * gradient)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "momentum": self.momentum,
                "nesterov": self.nesterov,
                "coupled_weight_decay": self.coupled_weight_decay,
            }
        )
        return config
