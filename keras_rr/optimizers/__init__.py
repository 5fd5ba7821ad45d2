"""Optimizers and learning-rate schedules of the paper's recipe, registered for saving.

- `CoupledWeightDecaySGD`: SGD with momentum and coupled L2 weight decay, the update of
  `torch.optim.SGD` that mmsegmentation (and the RR paper) train with.
- `LayerDecayAdamW`: AdamW with mmseg's layer-wise learning-rate decay (BEiT fine-tuning).
- `WarmupPolynomialDecay`: mmsegmentation's "poly" schedule with an optional linear warmup.

`keras_rr.training.optimizers.build_optimizer` builds both from a config's `optimizer`
and `schedule` sections. `import keras_rr` imports this package, so a `model.keras`
compiled with them loads with `keras.saving.load_model` alone.

Example:

```python
schedule = keras_rr.optimizers.WarmupPolynomialDecay(0.01, decay_steps=160_000, power=0.9)
optimizer = keras_rr.optimizers.CoupledWeightDecaySGD(schedule, momentum=0.9, coupled_weight_decay=1e-4)
```
"""

from keras_rr.optimizers.coupled_weight_decay_sgd import CoupledWeightDecaySGD
from keras_rr.optimizers.layer_decay_adamw import LayerDecayAdamW
from keras_rr.optimizers.warmup_polynomial_decay import WarmupPolynomialDecay

__all__ = [
    "CoupledWeightDecaySGD",
    "LayerDecayAdamW",
    "WarmupPolynomialDecay",
]


def __dir__():
    return sorted(__all__)
