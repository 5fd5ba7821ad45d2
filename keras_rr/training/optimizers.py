"""Optimizers and learning-rate schedules from the `optimizer` and `schedule` config sections."""

from keras_rr.training.warmup_polynomial_decay import WarmupPolynomialDecay


def build_schedule(schedule_config, learning_rate, total_steps):
    """Builds the learning-rate schedule.

    Args:
        schedule_config: the config's `schedule` section (`name` `"poly"` or
            `"constant"`, `power`, `end_learning_rate`, `total_steps`, `warmup_steps`,
            `warmup_ratio`).
        learning_rate: float. Initial learning rate.
        total_steps: int. Training steps, used when `schedule.total_steps` is unset.

    Returns:
        A `keras.optimizers.schedules.LearningRateSchedule`.

    Example:

    >>> schedule = build_schedule(config.schedule, 0.01, 160_000)
    """
    name = schedule_config.name
    if name not in ("poly", "constant"):
        raise ValueError(f"`schedule.name` must be 'poly' or 'constant'. Received: schedule.name={name!r}")
    decay_steps = schedule_config.get("total_steps") or total_steps
    # "constant" is the same schedule with power 0: lr0 (times the warmup ramp, if any).
    constant = name == "constant"
    return WarmupPolynomialDecay(
        learning_rate,
        decay_steps=decay_steps,
        end_learning_rate=0.0 if constant else schedule_config.end_learning_rate,
        power=0.0 if constant else schedule_config.power,
        warmup_steps=schedule_config.warmup_steps,
        warmup_ratio=schedule_config.warmup_ratio,
    )


def build_optimizer(optimizer_config, schedule_config, total_steps):
    """Builds the optimizer of the config (SGD momentum 0.9 + poly by default).

    Keras applies weight decay decoupled from the gradient (`w -= lr * wd * w`), which
    for SGD matches the L2 term of mmsegmentation's recipe up to the momentum
    smoothing.

    Args:
        optimizer_config: the config's `optimizer` section.
        schedule_config: the config's `schedule` section.
        total_steps: int. Training steps.

    Returns:
        `(optimizer, schedule)`.

    Example:

    >>> optimizer, schedule = build_optimizer(config.optimizer, config.schedule, 1200)
    """
    import keras

    schedule = build_schedule(schedule_config, optimizer_config.learning_rate, total_steps)
    common = {}
    if optimizer_config.get("clipnorm"):
        common["clipnorm"] = optimizer_config.clipnorm
    name = optimizer_config.name
    if name == "sgd":
        optimizer = keras.optimizers.SGD(
            schedule,
            momentum=optimizer_config.momentum,
            nesterov=optimizer_config.nesterov,
            weight_decay=optimizer_config.weight_decay or None,
            **common,
        )
    elif name == "adamw":
        optimizer = keras.optimizers.AdamW(
            schedule,
            beta_1=optimizer_config.beta_1,
            beta_2=optimizer_config.beta_2,
            weight_decay=float(optimizer_config.weight_decay),
            **common,
        )
    else:
        raise ValueError(f"`optimizer.name` must be 'sgd' or 'adamw'. Received: optimizer.name={name!r}")
    return optimizer, schedule
