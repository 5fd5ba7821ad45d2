"""Training: configs, the resumable trainer and what it needs.

In reading order:

- `config`: the config schema (`default_config`), `:variant`s (`apply_variant`),
  `load_config` and `validate_config`; the recipes are the files under `configs/`
  (one `base.py` per dataset, one file per paper row).
- `variant`: `Variant`, a training variant (pixel loss, region branch): config ->
  compiled model (`BASELINE`, `REGION_REBALANCE`).
- `optimizers`: the one optimizer recipe (its classes live in `keras_rr.optimizers`).
- `training_data`: the step-indexed training stream, validation data, class statistics.
- `checkpointing`, `distribution`: checkpoints of a workdir; distribution strategies.
- `metrics_report`: a segmenter evaluated with a config's `eval` settings, and the
  `metrics.json` / `per_class.md` report a run ends with.
- `run_config`: the workdir's `config.json`: what a resume may change
  (`ConfigChangedError`), the run summary; `interruption`: SIGINT / SIGTERM save the
  running step (`TrainingInterrupted`).
- `trainer.train_and_evaluate`: trains a config into a workdir with exact resume,
  TensorBoard logs, distribution strategies, export and final evaluation
  (`python -m keras_rr.tools.train`).

Paired multi-seed runs, run comparisons, saved-model evaluation and the demo build on
this package in `keras_rr.experiments`. Nothing here imports TensorFlow, ml_collections
or matplotlib at import time.
"""

from keras_rr.training.interruption import TrainingInterrupted
from keras_rr.training.run_config import ConfigChangedError
from keras_rr.training.trainer import TrainResult
from keras_rr.training.trainer import train_and_evaluate
from keras_rr.training.variant import BASELINE
from keras_rr.training.variant import REGION_REBALANCE
from keras_rr.training.variant import Variant

# Its home is `keras_rr.optimizers`; kept here for old imports, not part of this API.
from keras_rr.optimizers.warmup_polynomial_decay import WarmupPolynomialDecay  # noqa: F401

__all__ = [
    "BASELINE",
    "ConfigChangedError",
    "REGION_REBALANCE",
    "TrainResult",
    "TrainingInterrupted",
    "Variant",
    "train_and_evaluate",
]


def __dir__():
    return sorted(__all__)
