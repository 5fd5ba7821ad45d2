"""`train_and_evaluate`: trains a config into a workdir, resumably, then evaluates and exports.

The library side of `python -m keras_rr.tools.train`. One run is:

1. Create the distribution strategy (`train.strategy`, checked against the backend).
2. Load the data and class statistics (`keras_rr.training.training_data`; statistics
   are cached as `workdir/class_statistics.json`).
3. Seed everything with `train.seed`, build the segmenter and, with
   `region_rebalance.enabled`, the `RegionRebalanceSegmenter` wrapper; compile with
   the pixel loss and the optimizer/schedule of the config.
4. Restore the newest checkpoint in `workdir/checkpoints`, if any.
5. Train in chunks that end at every checkpoint and evaluation step: each chunk is
   one `fit` call on the step-indexed batches of `training_data.train_batches`, so
   an interrupted run resumed from its last checkpoint reproduces the weights of an
   uninterrupted one. TensorBoard (`workdir/tensorboard`) gets the per-step
   loss, pixel_loss, region_loss (averaged over `train.log_every` steps) and the
   learning rate; validation mIoU, mAcc and aAcc at every evaluation.
6. Write `model.keras` (the training model, optimizer included), `segmenter.keras`
   (the plain segmenter, via `keras_rr.export.export_segmenter`), and the final
   validation `metrics.json` / `per_class.md`.

Workdir layout:

```
workdir/
  config.json  class_statistics.json  checkpoints/step_XXXXXXXX/
  tensorboard/{train,eval}/  eval_history.jsonl
  model.keras  segmenter.keras  metrics.json  per_class.md
```
"""

import dataclasses
import json
import logging
import os
import shutil

import keras

from keras_rr.export.export_segmenter import export_segmenter
from keras_rr.networks.segmenters.builders import build_segmenter
from keras_rr.training import checkpointing
from keras_rr.training import metrics_report
from keras_rr.training import training_data
from keras_rr.training.config import validate_config
from keras_rr.training.distribution import check_strategy
from keras_rr.training.distribution import distribution_scope
from keras_rr.training.optimizers import build_optimizer
from keras_rr.training.variant import Variant

_LOG = logging.getLogger(__name__)
CHECKPOINT_DIR = "checkpoints"
HISTORY_FILE = "eval_history.jsonl"
_LOSS_KEYS = ("loss", "pixel_loss", "region_loss", "auxiliary_loss")


@dataclasses.dataclass
class TrainResult:
    """What `train_and_evaluate` returns.

    Args:
        step: int. Steps trained in total.
        start_step: int. Step the run started (or resumed) from.
        metrics: final validation `keras_rr.metrics.SegmentationMetrics`.
        model: the trained training model (wrapper or segmenter).
        segmenter: the plain segmenter.
        paths: dict of files written (`model`, `segmenter`, `metrics`, `table`, ...).
    """

    step: int
    start_step: int
    metrics: object
    model: object
    segmenter: object
    paths: dict


def _step_logger_class():
    class StepLogger(keras.callbacks.Callback):
        """Per-step losses from Keras' running means; TensorBoard, progress bar, hooks."""

        def __init__(self, run, first_step, schedule, progbar, hooks):
            super().__init__()
            self.run = run  # `_Run`: total steps, log interval, TensorBoard writer
            self.first_step = first_step
            self.schedule = schedule
            self.progbar = progbar
            self.hooks = list(hooks)

        def on_train_begin(self, logs=None):
            self._cumulative = {}
            self._window = {}
            self._window_steps = 0

        def on_train_batch_end(self, batch, logs=None):
            logs = logs or {}
            step = self.first_step + batch + 1
            values = {}
            # Keras logs running means over the current `fit` call; the difference of
            # consecutive running sums is this step's value.
            for key in _LOSS_KEYS:
                if key in logs:
                    cumulative = float(logs[key]) * (batch + 1)
                    values[key] = cumulative - self._cumulative.get(key, 0.0)
                    self._cumulative[key] = cumulative
            if "pixel_loss" not in values and "loss" in values:
                values["pixel_loss"] = values["loss"]  # baseline: the loss is the pixel loss
            for key, value in values.items():
                self._window[key] = self._window.get(key, 0.0) + value
            self._window_steps += 1
            train = self.run.config.train
            if step % train.log_every == 0 or step == train.total_steps:
                means = {k: v / self._window_steps for k, v in self._window.items()}
                means["learning_rate"] = _learning_rate(self.schedule, step - 1)
                if "train" in self.run.writers:
                    _write_scalars(self.run.writers["train"], means, step)
                self._window, self._window_steps = {}, 0
            if self.progbar is not None:
                self.progbar.update(step, values=list(values.items()))
            for hook in self.hooks:
                hook(step, values)

    return StepLogger


def _learning_rate(schedule, step):
    return float(keras.ops.convert_to_numpy(schedule(step)))


def _write_scalars(writer, scalars, step):
    """Writes TensorBoard scalars with core TF ops (no `tensorboard` package needed)."""
    import tensorflow as tf

    # The "scalars" plugin metadata is what `tf.summary.scalar` writes when TensorBoard
    # is installed; TensorFlow 2.21 no longer depends on it.
    metadata = tf.compat.v1.SummaryMetadata()
    metadata.plugin_data.plugin_name = "scalars"
    metadata = metadata.SerializeToString()
    with writer.as_default():
        for name, value in scalars.items():
            tf.summary.write(name, tf.constant(float(value), tf.float32), step=step, metadata=metadata)
    writer.flush()


def _write_config(config, workdir):
    path = os.path.join(workdir, "config.json")
    text = config.to_json_best_effort(indent=1, sort_keys=True)
    if os.path.isfile(path):
        with open(path) as f:
            previous = f.read()
        if previous != text:
            _LOG.warning("The config differs from the one in %s; resuming with the new one.", path)
    with open(path, "w") as f:
        f.write(text)


def _next_boundary(step, total, every):
    boundaries = [total]
    for interval in every:
        if interval:
            boundaries.append((step // interval + 1) * interval)
    return min(b for b in boundaries if b > step)


def train_and_evaluate(config, workdir, strategy=None, step_hooks=(), progress=True, resume=True, process_group=None):
    """Trains the model of `config` in `workdir`, resuming from its newest checkpoint.

    Args:
        config: `ml_collections.ConfigDict` (see `keras_rr.training.config`).
        workdir: str. Output folder (created).
        strategy: str or None. Overrides `config.train.strategy` (`"none"`,
            `"mirrored"`, `"multi_worker"`, `"data_parallel"`; see
            `keras_rr.training.distribution`). With `"multi_worker"` every process runs
            this function with the same config and workdir (a shared filesystem); only
            the chief writes to the workdir, and each process reads its share of every
            global batch.
        step_hooks: callables `hook(step, losses)` run after every training step with
            the global step and that step's losses (for tests and custom logging; an
            exception stops training like a crash would).
        progress: bool. Show a progress bar and evaluation progress. Defaults to `True`.
        resume: bool. Continue from the newest checkpoint in the workdir; `False`
            deletes the workdir's checkpoints and starts over. Defaults to `True`.
        process_group: `keras_rr.training.distribution.ProcessGroup` or None. JAX
            `"multi_worker"` only: coordinator address, process count and id (`None`:
            from the environment).

    Returns:
        `TrainResult`.

    Example:

    ```python
    from keras_rr.training import config as rr_config
    from keras_rr.training.trainer import train_and_evaluate

    config = rr_config.load_config("configs/synthetic/small_fcn_rr.py")
    result = train_and_evaluate(config, "runs/synthetic_rr")
    print(result.metrics.miou)
    ```
    """
    validate_config(config)
    strategy = strategy or config.train.strategy
    # Fail before any data is read when the strategy cannot run on this backend.
    check_strategy(strategy)
    workdir = os.fspath(workdir)
    with distribution_scope(strategy, process_group=process_group) as dist:
        if config.train.batch_size % dist.num_replicas:
            raise ValueError(
                f"`train.batch_size` ({config.train.batch_size}) must be divisible by the number of replicas "
                f"({dist.num_replicas}). Received: train.batch_size={config.train.batch_size}"
            )
        if dist.is_chief:
            os.makedirs(workdir, exist_ok=True)
            _write_config(config, workdir)
        keras.utils.set_random_seed(config.train.seed)
        run, start, metrics, count = _run(config, workdir, dist, step_hooks, progress, resume)
    # Saving outside the strategy scope: Keras' saving creates a variable (a reference
    # optimizer), which under a multi-worker strategy is a collective that the other
    # workers, which write nothing, would never join.
    paths = _finish(run, metrics, count) if dist.is_chief else {}
    return TrainResult(
        step=config.train.total_steps, start_step=start, metrics=metrics, model=run.model, segmenter=run.segmenter,
        paths=paths,
    )


@dataclasses.dataclass
class _Run:
    """What the steps of one training run share (see `_run`)."""

    config: object
    workdir: str
    dist: object  # `keras_rr.training.distribution.Distribution`
    chief: bool  # only the chief writes files
    data: object  # `TrainingData`
    model: object
    segmenter: object
    writers: dict  # TensorBoard writers by name ("train", "eval"); empty off the chief


def _run(config, workdir, dist, step_hooks, progress, resume):
    """Build, restore, train in chunks between checkpoints/evaluations, evaluate.

    Returns `(_Run, start step, final metrics, number of validation images)`.
    """
    chief = dist.is_chief
    progress = progress and chief
    data = training_data.build_training_data(config, workdir if chief else None, progress=progress)
    model, segmenter, schedule = _build(config, data)
    start = _restore(model, workdir, config.train.total_steps, resume, chief)
    # Every worker restores from the shared workdir; a worker that sees another
    # checkpoint than the chief would silently train different weights.
    dist.check_same_step(start)
    writers = _open_writers(workdir) if chief else {}
    run = _Run(config, workdir, dist, chief, data, model, segmenter, writers)
    logger = _make_logger(run, start, schedule, step_hooks, progress)
    _train(run, start, logger)
    total = config.train.total_steps
    metrics, count = _evaluate(run, total, max_batches=None, show_progress=progress)
    return run, start, metrics, count


def _build(config, data):
    """The segmenter of `config.model`, compiled (or wrapped and compiled) for its variant."""
    num_classes = config.data.num_classes
    segmenter = build_segmenter(config.model, num_classes)
    optimizer, schedule = build_optimizer(
        config.optimizer, config.schedule, config.train.total_steps, variables=segmenter.trainable_variables
    )
    model = Variant.from_config(config).compile_model(
        segmenter, num_classes, data.statistics, optimizer,
        ignore_class=config.data.ignore_class, feature_layer=config.model.get("feature_layer"),
    )
    return model, segmenter, schedule


def _restore(model, workdir, total, resume, chief):
    """The step to start from: the newest checkpoint's (loaded into `model`), else 0."""
    checkpoint_dir = os.path.join(workdir, CHECKPOINT_DIR)
    if not resume:
        if chief:
            # Starting over: stale checkpoints of a previous run must not be resumed later.
            shutil.rmtree(checkpoint_dir, ignore_errors=True)
            history = os.path.join(workdir, HISTORY_FILE)
            if os.path.isfile(history):
                os.remove(history)
        return 0
    latest = checkpointing.latest_checkpoint(checkpoint_dir)
    if latest is None:
        return 0
    start = checkpointing.restore_checkpoint(latest, model)
    _LOG.info("Resumed from %s (step %d).", latest, start)
    if start > total:
        raise ValueError(
            f"The workdir holds a checkpoint at step {start}, past train.total_steps={total}. "
            "Use a new workdir or a larger total."
        )
    return start


def _open_writers(workdir):
    import tensorflow as tf

    return {
        name: tf.summary.create_file_writer(os.path.join(workdir, "tensorboard", name)) for name in ("train", "eval")
    }


def _make_logger(run, start, schedule, step_hooks, progress):
    total = run.config.train.total_steps
    progbar = None
    if progress:
        progbar = keras.utils.Progbar(total, stateful_metrics=list(_LOSS_KEYS), unit_name="step")
        if start:
            progbar.update(start)
    return _step_logger_class()(run, start, schedule, progbar, step_hooks)


def _train(run, start, logger):
    """Trains `start .. total` in `fit` chunks ending at every checkpoint and evaluation step."""
    train = run.config.train
    checkpoint_dir = os.path.join(run.workdir, CHECKPOINT_DIR)
    step = start
    while step < train.total_steps:
        end = _next_boundary(step, train.total_steps, (train.checkpoint_every, train.eval_every))
        logger.first_step = step
        # Each worker reads and augments its own share of every global batch.
        batches = run.dist.shard_batches(
            lambda num_shards, shard_index, step=step, end=end: training_data.train_batches(
                run.data, train.batch_size, step, end, train.seed, num_shards=num_shards, shard_index=shard_index
            ),
            train.batch_size,
        )
        run.model.fit(batches, epochs=1, verbose=0, callbacks=[logger], shuffle=False)
        step = end
        if run.chief and (step % train.checkpoint_every == 0 or step == train.total_steps):
            checkpointing.save_checkpoint(
                checkpoint_dir, step, run.model, keep=train.keep_checkpoints, extra={"config": run.config.get("name")}
            )
        if train.eval_every and step % train.eval_every == 0 and step < train.total_steps:
            _evaluate(run, step, run.config.eval.get("max_batches"))


def _evaluate(run, step, max_batches, show_progress=False):
    """Validation metrics at `step`; logged, and on the chief written to TensorBoard and history."""
    config = run.config
    metrics, count = metrics_report.evaluate_dataset(
        run.segmenter, run.data.validation, config.data.num_classes, config.eval,
        ignore_class=config.data.ignore_class, max_batches=max_batches, progress=show_progress,
    )
    summary = metrics.summary()
    _LOG.info("step %d: val mIoU %.2f mAcc %.2f aAcc %.2f (%d images)", step,
              100 * summary["miou"], 100 * summary["macc"], 100 * summary["aacc"], count)
    if run.chief:
        _write_scalars(run.writers["eval"], summary, step)
        with open(os.path.join(run.workdir, HISTORY_FILE), "a") as f:
            f.write(json.dumps({"step": step, "num_images": count, **summary}) + "\n")
    return metrics, count


def _finish(run, metrics, count):
    """Chief only: writes the final report, `model.keras` and `segmenter.keras`; closes the logs."""
    config, workdir = run.config, run.workdir
    report = metrics_report.metrics_report(
        metrics, run.data.class_names, config.eval.mode, dataset=config.data.name,
        split=config.data.get("val_split") or "val", num_images=count, statistics=run.data.statistics,
        extra={"step": config.train.total_steps, "config": config.get("name"),
               "eval": metrics_report.eval_settings(config.eval, config.eval.mode)},
    )
    paths = metrics_report.write_report(report, workdir)
    paths["model"] = os.path.join(workdir, "model.keras")
    run.model.save(paths["model"])
    if config.train.export:
        paths["segmenter"] = os.path.join(workdir, "segmenter.keras")
        export_segmenter(run.model, paths["segmenter"])
    for writer in run.writers.values():
        writer.close()
    return paths
