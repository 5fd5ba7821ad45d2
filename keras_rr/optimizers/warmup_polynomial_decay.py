"""`WarmupPolynomialDecay`: the poly learning-rate schedule with an optional linear warmup.

Registered for saving (`keras_rr>WarmupPolynomialDecay`); `import keras_rr` imports it, so a
saved `model.keras` compiled with it loads without `custom_objects`.
"""

import keras
from keras import ops

from keras_rr import validation


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
    >>> optimizer = keras_rr.optimizers.CoupledWeightDecaySGD(schedule, momentum=0.9)
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
        self.initial_learning_rate = validation.check_number(
            initial_learning_rate, "initial_learning_rate", minimum=0.0, min_inclusive=False
        )
        self.decay_steps = int(validation.check_number(decay_steps, "decay_steps", minimum=1))
        self.warmup_steps = int(validation.check_number(warmup_steps, "warmup_steps", minimum=0))
        self.warmup_ratio = validation.check_number(warmup_ratio, "warmup_ratio", minimum=0.0, maximum=1.0)
        self.end_learning_rate = float(end_learning_rate)
        self.power = float(power)
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
