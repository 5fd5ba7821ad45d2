"""Training: paired experiments and reports."""

from keras_rr.training.experiment import BASELINE
from keras_rr.training.experiment import REGION_REBALANCE
from keras_rr.training.experiment import Variant
from keras_rr.training.experiment import paired_difference
from keras_rr.training.experiment import run_paired_experiment
