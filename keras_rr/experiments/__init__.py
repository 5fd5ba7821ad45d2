"""Experiments: paired multi-seed runs, their statistics and reports, the demo.

Built on `keras_rr.training` (which never imports this package). In reading order:

- `paired_experiment.run_paired_experiment`: every `Variant` trained from the same
  initial weights, data order and schedule per seed, then evaluated (ablations, demo).
- `paired_report`: the paired statistics (`paired_difference`, a mean with a 95%
  Student-t interval) and the markdown tables of a paired experiment.
- `synthetic_demo.run_demo`: the main job (`make demo`), baseline vs Region Rebalance on the
  synthetic long-tailed data (`python -m keras_rr.tools.demo`).
- `long_tail_comparison.run_long_tail_comparison`: RR, repeat-factor sampling, copy-paste,
  BLV and their combinations with RR over paired seeds on two synthetic long tails
  (`python -m keras_rr.tools.long_tail_comparison`; `paired_experiment.EpochSampling`
  draws each recipe's epochs).
- `saved_model_evaluation.evaluate_saved_model`: the `metrics.json` / `per_class.md` of
  a saved model on a config's validation set (`python -m keras_rr.tools.evaluate`).
- `run_comparison`: per-class deltas, head/body/tail and Pearson ρ of two runs'
  `metrics.json` (`python -m keras_rr.tools.compare`).

Nothing here imports TensorFlow, ml_collections or matplotlib at import time.
"""

from keras_rr.experiments.long_tail_comparison import run_long_tail_comparison
from keras_rr.experiments.paired_experiment import run_paired_experiment
from keras_rr.experiments.paired_experiment import train_variant
from keras_rr.experiments.paired_report import paired_difference
from keras_rr.experiments.run_comparison import compare_reports
from keras_rr.experiments.run_comparison import load_report
from keras_rr.experiments.run_comparison import write_comparison
from keras_rr.experiments.saved_model_evaluation import evaluate_saved_model
from keras_rr.experiments.synthetic_demo import run_demo

__all__ = [
    "compare_reports",
    "evaluate_saved_model",
    "load_report",
    "paired_difference",
    "run_demo",
    "run_long_tail_comparison",
    "run_paired_experiment",
    "train_variant",
    "write_comparison",
]


def __dir__():
    return sorted(__all__)
