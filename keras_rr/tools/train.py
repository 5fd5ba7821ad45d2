r"""Trains a segmenter (baseline or Region Rebalance) from a config file, resumably.

Usage:

```
python -m keras_rr.tools.train --config=configs/<file>.py[:variant] --workdir=DIR \
    [--config.section.field=value ...] [--strategy=none|mirrored|multi_worker|data_parallel]
```

Examples:

```
# The synthetic default (CPU, minutes): baseline and Region Rebalance.
python -m keras_rr.tools.train --config=configs/synthetic/small_fcn_baseline.py \
    --workdir=runs/synthetic/baseline
python -m keras_rr.tools.train --config=configs/synthetic/small_fcn_rr.py \
    --workdir=runs/synthetic/rr

# A paper row, on all local GPUs with TensorFlow.
KERAS_BACKEND=tensorflow python -m keras_rr.tools.train \
    --config=configs/ade20k/deeplabv3plus_r50_rr.py --workdir=runs/ade20k/r50_rr \
    --config.data.data_dir=/data/ADEChallengeData2016 --strategy=mirrored

# Same with JAX.
KERAS_BACKEND=jax python -m keras_rr.tools.train \
    --config=configs/ade20k/deeplabv3plus_r50_rr.py --workdir=runs/ade20k/r50_rr_jax \
    --config.data.data_dir=/data/ADEChallengeData2016 --strategy=data_parallel

# Ablations are config fields, e.g. pixel re-weighting or λ = 0.1:
python -m keras_rr.tools.train --config=configs/synthetic/small_fcn_baseline.py \
    --workdir=runs/synthetic/reweighting --config.loss.name=reweighting
python -m keras_rr.tools.train --config=configs/synthetic/small_fcn_rr.py \
    --workdir=runs/synthetic/rr_l01 --config.region_rebalance.loss_weight=0.1

# Two-step smoke test of any config (synthetic data, tiny model):
python -m keras_rr.tools.train --config=configs/ade20k/deeplabv3plus_r101_rr.py:smoke \
    --workdir=/tmp/smoke
```

Running the same command again resumes from the newest checkpoint in `--workdir`
(`--noresume` starts over, overwriting it). A resume whose config changes what training
computes (model, data, loss, optimizer, schedule) is refused with the changed fields
listed; evaluation, logging and checkpoint settings may change, and
`--allow_config_change` accepts any change (recorded in `config_history.jsonl`; the list
is in `keras_rr.training.run_config`).

Ctrl-C (SIGINT) or a cluster's SIGTERM stops after the running step, saves a checkpoint
and exits with one line and code 130 (SIGINT) or 143 (SIGTERM); the same command resumes.

The run opens with a short summary; the whole config is in `workdir/config.json`. With
`--noprogress` the losses are logged every `train.log_every` steps instead of a progress
bar. The workdir receives `config.json`,
`class_statistics.json`, `checkpoints/`, `tensorboard/` (`tensorboard --logdir DIR`),
`model.keras` (training model), `segmenter.keras` (exported inference model),
`metrics.json` and `per_class.md`. All logic is in
`keras_rr.training.trainer.train_and_evaluate`.
"""

import sys

from absl import app
from absl import flags
from ml_collections import config_flags

from keras_rr.tools.quiet import define_verbose_flag
from keras_rr.training.distribution import ProcessGroup
from keras_rr.training.interruption import TrainingInterrupted
from keras_rr.training.config import validate_config
from keras_rr.training.run_config import ConfigChangedError
from keras_rr.training.run_config import config_summary
from keras_rr.training.trainer import train_and_evaluate

define_verbose_flag()  # quiet by default; see keras_rr/tools/quiet.py
_CONFIG = config_flags.DEFINE_config_file(
    "config", None, "Config file, `path.py[:variant]` (see configs/).", lock_config=True
)
_WORKDIR = flags.DEFINE_string("workdir", None, "Output folder (checkpoints, logs, models).")
_STRATEGY = flags.DEFINE_enum(
    "strategy", None, ["none", "mirrored", "multi_worker", "data_parallel"],
    "Distribution strategy; overrides config.train.strategy. multi_worker: TensorFlow reads the "
    "cluster from TF_CONFIG; JAX uses the three flags below.",
)
_COORDINATOR = flags.DEFINE_string(
    "coordinator_address", None,
    "JAX multi_worker: host:port of process 0 (default: KERAS_DISTRIBUTION_JOB_ADDRESSES, "
    "JAX_COORDINATOR_ADDRESS, or JAX's cluster auto-detection).",
)
_NUM_PROCESSES = flags.DEFINE_integer(
    "num_processes", None, "JAX multi_worker: number of processes (default: KERAS_DISTRIBUTION_NUM_PROCESSES).",
    lower_bound=1,
)
_PROCESS_ID = flags.DEFINE_integer(
    "process_id", None, "JAX multi_worker: this process, 0 = chief (default: KERAS_DISTRIBUTION_PROCESS_ID).",
    lower_bound=0,
)
_RESUME = flags.DEFINE_bool("resume", True, "Resume from the newest checkpoint in --workdir.")
_PROGRESS = flags.DEFINE_bool(
    "progress", True, "Show a progress bar (off: the losses are logged every train.log_every steps)."
)
_ALLOW_CONFIG_CHANGE = flags.DEFINE_bool(
    "allow_config_change", False,
    "Resume even when the config changes what training computes (recorded in config_history.jsonl).",
)
flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    config = _CONFIG.value
    try:
        validate_config(config)
    except ValueError as error:  # a bad field: its name and the fix, without a traceback
        print(f"Invalid config: {error}", file=sys.stderr, flush=True)
        return 2
    print(config_summary(config), flush=True)
    group = ProcessGroup(_COORDINATOR.value, _NUM_PROCESSES.value, _PROCESS_ID.value)
    try:
        result = train_and_evaluate(
            config, _WORKDIR.value, strategy=_STRATEGY.value, progress=_PROGRESS.value, resume=_RESUME.value,
            process_group=group, allow_config_change=_ALLOW_CONFIG_CHANGE.value,
        )
    except TrainingInterrupted as stop:
        print(f"\n{stop}", file=sys.stderr, flush=True)
        return stop.exit_code
    except KeyboardInterrupt:
        print("\nInterrupted (nothing new saved).", file=sys.stderr, flush=True)
        return 130
    except ConfigChangedError as error:
        print(error, file=sys.stderr, flush=True)
        return 2
    summary = result.metrics.summary()
    print(
        f"step {result.step}: mIoU {100 * summary['miou']:.2f}  mAcc {100 * summary['macc']:.2f}  "
        f"aAcc {100 * summary['aacc']:.2f}"
    )
    for name, path in sorted(result.paths.items()):
        print(f"wrote {name}: {path}")
    return 0


if __name__ == "__main__":
    app.run(main)
