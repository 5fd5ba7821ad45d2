"""Training: configs, the resumable trainer, evaluation reports, run comparisons.

- `config`: experiment configs (`default_config`, `paper_config`, `synthetic_config`,
  `apply_variant`, `load_config`); the files under `configs/` call these.
- `trainer.train_and_evaluate`: trains a config into a workdir with exact resume,
  TensorBoard logs, distribution strategies, export and final evaluation
  (`python -m keras_rr.tools.train`).
- `evaluation`: `metrics.json` / per-class tables of a saved model
  (`python -m keras_rr.tools.evaluate`).
- `comparison`: per-class deltas, head/body/tail and Pearson ρ of two runs
  (`python -m keras_rr.tools.compare`).
- `experiment`: paired multi-seed runs of several `Variant`s (ablations, demo);
  `report`: the demo's report.
- `checkpointing`, `data_pipeline`, `distribution`, `optimizers`,
  `segmenter_factory`, `WarmupPolynomialDecay`: the trainer's parts.

Nothing here imports TensorFlow, ml_collections or matplotlib at import time.
"""

from keras_rr.training.experiment import BASELINE
from keras_rr.training.experiment import REGION_REBALANCE
from keras_rr.training.experiment import Variant
from keras_rr.training.experiment import paired_difference
from keras_rr.training.experiment import run_paired_experiment
from keras_rr.training.trainer import TrainResult
from keras_rr.training.trainer import train_and_evaluate
from keras_rr.training.warmup_polynomial_decay import WarmupPolynomialDecay
