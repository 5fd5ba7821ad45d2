"""Training: configs, the resumable trainer, evaluation reports, run comparisons.

- `config`: the config schema (`default_config`), `:variant`s (`apply_variant`),
  `load_config` and `validate_config`; the recipes are the files under `configs/`
  (one `base.py` per dataset, one file per paper row).
- `trainer.train_and_evaluate`: trains a config into a workdir with exact resume,
  TensorBoard logs, distribution strategies, export and final evaluation
  (`python -m keras_rr.tools.train`). Its parts: `training_data` (the step-indexed
  training stream), `variant` (`Variant`: config -> compiled model), `optimizers`
  (the one optimizer recipe; its classes live in `keras_rr.optimizers`), `checkpointing`,
  `distribution`.
- `evaluation`: `metrics.json` / per-class tables of a saved model
  (`python -m keras_rr.tools.evaluate`).
- `comparison`: per-class deltas, head/body/tail and Pearson ρ of two runs
  (`python -m keras_rr.tools.compare`).
- `experiment`: paired multi-seed runs of several `Variant`s (ablations, demo);
  `report`: their statistics (`paired_difference`) and the demo's tables.

Nothing here imports TensorFlow, ml_collections or matplotlib at import time.
"""

from keras_rr.training.experiment import run_paired_experiment
from keras_rr.training.report import paired_difference
from keras_rr.training.trainer import TrainResult
from keras_rr.training.trainer import train_and_evaluate
from keras_rr.training.variant import BASELINE
from keras_rr.training.variant import REGION_REBALANCE
from keras_rr.training.variant import Variant
from keras_rr.optimizers import WarmupPolynomialDecay  # its home; kept here for old imports
