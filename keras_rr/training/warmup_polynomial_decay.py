"""`WarmupPolynomialDecay`: the poly learning-rate schedule with an optional linear warmup."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_rr")
class WarmupPolynomialDecay(keras.optimizers.schedules.LearningRateSchedule):
    """mmsegmentation's "poly" policy, optionally after a linear warmup.

    `lr(t) = (lr0 - end) * (1 - min(t, T) / T) ** power + end`, multiplied during the
    first `warmup_steps` steps by a factor rising linearly from `warmup_ratio` to 1
    (mmcv's linear warmup). Without warmup it equals
    `keras.optimizers.schedules.PolynomialDecay(lr0, T, end, power)`.

    Args:
        initial_learning_rate: float. `lr0`.
        decay_steps: int. `T`, usually the total number of training steps.
        end_learning_rate: float. Floor reached at step `T`. Defaults to `0.0`.
        power: float. Defaults to `0.9` (the paper's recipe).
        warmup_steps: int. Defaults to `0` (no warmup).
        warmup_ratio: float. Factor at step 0 of the warmup. Defaults to `1e-6`.
        name: str. Defaults to `"warmup_polynomial_decay"`.

    Example:

    >>> schedule = WarmupPolynomialDecay(0.01, decay_steps=160_000)
    >>> optimizer = keras.optimizers.SGD(schedule, momentum=0.9)
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0,
        power=0.9,
        warmup_steps=0,
        warmup_ratio=1e-6,
        name="warmup_polynomial_decay",
    ):
        super().__init__()
        if not initial_learning_rate > 0:
            raise ValueError(
                f"`initial_learning_rate` must be > 0. Received: initial_learning_rate={initial_learning_rate}"
            )
        if int(decay_steps) < 1:
            raise ValueError(f"`decay_steps` must be >= 1. Received: decay_steps={decay_steps}")
        if int(warmup_steps) < 0:
            raise ValueError(f"`warmup_steps` must be >= 0. Received: warmup_steps={warmup_steps}")
        if not 0 <= warmup_ratio <= 1:
            raise ValueError(f"`warmup_ratio` must be in [0, 1]. Received: warmup_ratio={warmup_ratio}")
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = int(decay_steps)
        self.end_learning_rate = float(end_learning_rate)
        self.power = float(power)
        self.warmup_steps = int(warmup_steps)
        self.warmup_ratio = float(warmup_ratio)
        self.name = name

    def __call__(self, step):
        step = ops.cast(step, "float32")
        progress = ops.minimum(step, float(self.decay_steps)) / float(self.decay_steps)
        lr = (self.initial_learning_rate - self.end_learning_rate) * ops.power(
            1.0 - progress, self.power
        ) + self.end_learning_rate
        if self.warmup_steps > 0:
            ramp = ops.minimum(step / float(self.warmup_steps), 1.0)
            lr = lr * (self.warmup_ratio + (1.0 - self.warmup_ratio) * ramp)
        return lr

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "warmup_steps": self.warmup_steps,
            "warmup_ratio": self.warmup_ratio,
            "name": self.name,
        }
