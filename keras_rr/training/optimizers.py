"""The one optimizer recipe: optimizer and learning-rate schedule from two config sections.

The trainer passes a config's `optimizer` and `schedule` sections
(`ml_collections.ConfigDict`); the paired experiments pass plain dicts with the same
fields. The paper's recipe is mmsegmentation's: SGD (momentum 0.9, coupled L2 weight
decay, i.e. `torch.optim.SGD(weight_decay=...)`) with the poly schedule (power 0.9), and
AdamW with a linear warmup for SegFormer (docs/method.md, section 6). The optimizer and
schedule classes live in `keras_rr.optimizers`.

Example:

```python
optimizer, schedule = build_optimizer(
    {"name": "sgd", "learning_rate": 0.01, "momentum": 0.9, "weight_decay": 1e-4},
    {"name": "poly", "power": 0.9},
    total_steps=1200,
)
```
"""

from keras_rr import validation
from keras_rr.optimizers.coupled_weight_decay_sgd import CoupledWeightDecaySGD
from keras_rr.optimizers.layer_decay_adamw import LayerDecayAdamW
from keras_rr.optimizers.layer_decay_adamw import layer_ids
from keras_rr.optimizers.warmup_polynomial_decay import WarmupPolynomialDecay

OPTIMIZER_NAMES = ("sgd", "adamw")
SCHEDULE_NAMES = ("poly", "constant")
# Section fields -> keyword arguments; a field left out (or None) keeps the default of
# `WarmupPolynomialDecay` / the Keras optimizer.
_SCHEDULE_FIELDS = ("end_learning_rate", "power", "warmup_steps", "warmup_ratio")
_OPTIMIZER_FIELDS = {
    "sgd": ("momentum", "nesterov", "weight_decay", "clipnorm"),
    "adamw": ("beta_1", "beta_2", "weight_decay", "clipnorm"),
}


def _present(section, fields):
    return {field: section.get(field) for field in fields if section.get(field) is not None}


def build_schedule(schedule_config, learning_rate, total_steps):
    """Builds the learning-rate schedule of a `schedule` section.

    Args:
        schedule_config: the config's `schedule` section, an `ml_collections.ConfigDict`
            or a dict: `name` (`"poly"` or `"constant"`) and optionally `power`,
            `end_learning_rate`, `total_steps`, `warmup_steps`, `warmup_ratio` (left
            out: the defaults of `WarmupPolynomialDecay`).
        learning_rate: float. Initial learning rate.
        total_steps: int. Training steps, used when `schedule.total_steps` is unset.

    Returns:
        A `WarmupPolynomialDecay` (`"constant"` is the same schedule with power 0).

    Example:

    >>> schedule = build_schedule(config.schedule, 0.01, 160_000)
    >>> schedule = build_schedule({"name": "poly", "power": 0.9}, 0.01, 1200)
    """
    name = validation.check_choice(schedule_config["name"], SCHEDULE_NAMES, "schedule.name")
    kwargs = _present(schedule_config, _SCHEDULE_FIELDS)
    if name == "constant":
        # lr0 (times the warmup ramp, if any).
        kwargs.update(end_learning_rate=0.0, power=0.0)
    decay_steps = schedule_config.get("total_steps") or total_steps
    return WarmupPolynomialDecay(learning_rate, decay_steps=decay_steps, **kwargs)


def build_optimizer(optimizer_config, schedule_config, total_steps, variables=None):
    """Builds the optimizer of an `optimizer` section with the schedule of a `schedule` one.

    `"sgd"` is `keras_rr.optimizers.CoupledWeightDecaySGD`: `weight_decay` is the coupled
    L2 decay of torch / mmsegmentation (`g += wd * w` before the momentum; the update
    equals `torch.optim.SGD`'s, schedule included). `decoupled_weight_decay=True` asks
    for Keras' `keras.optimizers.SGD` with its decoupled decay (`w -= lr * wd * w`, about
    `1 - momentum` times as strong) instead. `"adamw"` is `keras.optimizers.AdamW`, whose
    decay is decoupled as torch's AdamW is. A weight decay or `clipnorm` of 0 turns it
    off. `"adamw"` with `layer_decay` set is `keras_rr.optimizers.LayerDecayAdamW`:
    mmseg's layer-wise learning-rate decay (`LayerDecayOptimizerConstructor`, BEiT:
    `lr * layer_decay ** (L + 1 - layer id)`, no decay on 1-D variables), numbering the
    layers from the variables' paths (`layers-{i}`); with `variables` given, a network it
    cannot number is refused here.

    `exclude_from_weight_decay` (mmseg's `paramwise_cfg=dict(custom_keys={key:
    dict(decay_mult=0.)})`): the variables among `variables` whose `path` contains one
    of these strings (plain substrings; the path ends with the variable's `name`) get no
    weight decay, with any of the three optimizers: they are passed to the optimizer's
    `exclude_from_weight_decay(var_list=...)` before it is built. Paths, not Keras'
    `var_names` (matched against the bare `name`, e.g. `"gamma"`), because the layer
    names are what tells a LayerNorm scale or a Swin relative-position table apart.

    Args:
        optimizer_config: the config's `optimizer` section, an `ml_collections.ConfigDict`
            or a dict: `name` (`"sgd"` or `"adamw"`), `learning_rate` and optionally
            `momentum`, `nesterov`, `weight_decay`, `decoupled_weight_decay` (SGD) or
            `beta_1`, `beta_2`, `weight_decay`, `layer_decay` (AdamW), `clipnorm` and
            `exclude_from_weight_decay` (a list or tuple of strings); fields left out
            keep the optimizer's default (momentum 0, no decay, no clipping, no
            exclusion).
        schedule_config: the config's `schedule` section (see `build_schedule`).
        total_steps: int. Training steps.
        variables: list of variables or None: the model's trainable variables (the
            trainer passes the segmenter's; the training-only branches are not matched).
            Needed when `exclude_from_weight_decay` is set. Defaults to `None`.

    Returns:
        `(optimizer, schedule)`.

    Example:

    >>> optimizer, schedule = build_optimizer(config.optimizer, config.schedule, 1200)
    >>> optimizer, schedule = build_optimizer(
    ...     {"name": "adamw", "learning_rate": 6e-5, "weight_decay": 0.01,
    ...      "exclude_from_weight_decay": ("norm", "relative_position_bias_table")},
    ...     {"name": "poly", "power": 1.0, "warmup_steps": 1500}, 160_000,
    ...     variables=segmenter.trainable_variables)
    """
    import keras

    name = validation.check_choice(optimizer_config["name"], OPTIMIZER_NAMES, "optimizer.name")
    learning_rate = validation.check_number(
        optimizer_config["learning_rate"], "optimizer.learning_rate", minimum=0.0, min_inclusive=False
    )
    excluded = validation.check_strings(
        optimizer_config.get("exclude_from_weight_decay") or (), "optimizer.exclude_from_weight_decay"
    )
    if excluded and variables is None:
        raise ValueError(
            "`variables` (the model's trainable variables) must be given when "
            f"`optimizer.exclude_from_weight_decay` is set (={excluded!r}). Received: variables=None"
        )
    layer_decay = optimizer_config.get("layer_decay")
    if layer_decay is not None:
        if name != "adamw":
            raise ValueError(
                "`optimizer.layer_decay` (mmseg's layer-wise learning-rate decay) is implemented for AdamW "
                f"(`optimizer.name='adamw'`). Received: optimizer.name={name!r}, optimizer.layer_decay={layer_decay}"
            )
        layer_decay = validation.check_number(
            layer_decay, "optimizer.layer_decay", minimum=0.0, maximum=1.0, min_inclusive=False
        )
        if variables is not None:
            layer_ids([v.path for v in variables])  # refuses a network it cannot number, now
    schedule = build_schedule(schedule_config, learning_rate, total_steps)
    kwargs = _present(optimizer_config, _OPTIMIZER_FIELDS[name])
    if not kwargs.get("clipnorm"):
        kwargs.pop("clipnorm", None)  # 0 or unset: no clipping
    if name == "sgd":
        weight_decay = kwargs.pop("weight_decay", None) or 0.0
        if optimizer_config.get("decoupled_weight_decay"):
            optimizer = keras.optimizers.SGD(schedule, weight_decay=weight_decay or None, **kwargs)
        else:
            optimizer = CoupledWeightDecaySGD(schedule, coupled_weight_decay=weight_decay, **kwargs)
    elif layer_decay is not None:
        optimizer = LayerDecayAdamW(schedule, layer_decay=layer_decay, **kwargs)
    else:
        optimizer = keras.optimizers.AdamW(schedule, **kwargs)
    if excluded:
        optimizer.exclude_from_weight_decay(var_list=excluded_variables(variables, excluded))
    return optimizer, schedule


def excluded_variables(variables, substrings):
    """The variables whose `path` contains one of `substrings` (no weight decay for them).

    Args:
        variables: list of variables.
        substrings: list or tuple of str, e.g. mmseg's Swin recipe `("absolute_pos_embed",
            "relative_position_bias_table", "norm")`.

    Returns:
        list of the matching variables, in order.

    Example:

    >>> excluded_variables(segmenter.trainable_variables, ("norm",))
    """
    substrings = validation.check_strings(substrings, "substrings")
    return [v for v in variables if any(s in v.path for s in substrings)]
