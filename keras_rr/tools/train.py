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
(`--noresume` starts over, overwriting it). The workdir receives `config.json`,
`class_statistics.json`, `checkpoints/`, `tensorboard/` (`tensorboard --logdir DIR`),
`model.keras` (training model), `segmenter.keras` (exported inference model),
`metrics.json` and `per_class.md`. All logic is in
`keras_rr.training.trainer.train_and_evaluate`.
"""

from absl import app
from absl import flags
from absl import logging
from ml_collections import config_flags

from keras_rr.tools.quiet import define_verbose_flag
from keras_rr.training.distribution import ProcessGroup
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
_PROGRESS = flags.DEFINE_bool("progress", True, "Show a progress bar.")
flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    config = _CONFIG.value
    logging.info("Config:\n%s", config)
    group = ProcessGroup(_COORDINATOR.value, _NUM_PROCESSES.value, _PROCESS_ID.value)
    result = train_and_evaluate(
        config, _WORKDIR.value, strategy=_STRATEGY.value, progress=_PROGRESS.value, resume=_RESUME.value,
        process_group=group,
    )
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
