"""`train_and_evaluate`: trains a config into a workdir, resumably, then exports and evaluates.

The library side of `python -m keras_rr.tools.train`. One run is:

1. Check the config, and on resume that it trains what the workdir's `config.json`
   trained (`keras_rr.training.run_config`: a changed model, data, loss or optimizer is
   refused unless `allow_config_change`).
2. Create the distribution strategy (`train.strategy`, checked against the backend),
   seed everything with `train.seed` and build the segmenter, so a bad model setting
   or preset fails before any file is written; then write `config.json`.
3. Load the data and class statistics (`keras_rr.training.training_data`; statistics
   are cached as `workdir/class_statistics.json`); with `region_rebalance.enabled`
   wrap the segmenter in `RegionRebalanceSegmenter`; compile with the pixel loss and
   the optimizer/schedule of the config.
4. Restore the newest checkpoint in `workdir/checkpoints`, if any.
5. Train in chunks that end at every checkpoint and evaluation step: each chunk is
   one `fit` call on the step-indexed batches of `training_data.train_batches`, so
   an interrupted run resumed from its last checkpoint reproduces the weights of an
   uninterrupted one. TensorBoard (`workdir/tensorboard`) gets the per-step
   loss, pixel_loss, region_loss (averaged over `train.log_every` steps) and the
   learning_rate; validation mIoU, mAcc and aAcc at every evaluation. SIGINT and
   SIGTERM stop after the running step, which is checkpointed
   (`keras_rr.training.interruption`).
6. Write `model.keras` (the training model, optimizer included) and `segmenter.keras`
   (the plain segmenter, via `keras_rr.export.export_segmenter`), then run the final
   validation: `metrics.json` / `per_class.md`. A failing evaluation keeps the model
   files and names the `eval` settings to change.

Workdir layout:

```
workdir/
  config.json  config_history.jsonl  class_statistics.json  checkpoints/step_XXXXXXXX/
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

from keras_rr.checkpoints.loading import load_torch_weights
from keras_rr.export.export_segmenter import export_segmenter
from keras_rr.networks.segmenters.builders import build_segmenter
from keras_rr.training import checkpointing
from keras_rr.training import metrics_report
from keras_rr.training import run_config
from keras_rr.training import training_data
from keras_rr.training.config import validate_config
from keras_rr.training.distribution import check_strategy
from keras_rr.training.distribution import distribution_scope
from keras_rr.training.interruption import StopSignals
from keras_rr.training.interruption import TrainingInterrupted
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


class StepLogger(keras.callbacks.Callback):
    """Per-step losses from Keras' running means; TensorBoard, progress bar, hooks."""

    def __init__(self, run, first_step, schedule, progbar, hooks):
        super().__init__()
        self.run = run  # `_Run`: total steps, log interval, TensorBoard writer, stop signals
        self.first_step = first_step
        self.last_step = first_step  # the last step trained
        self.schedule = schedule
        self.progbar = progbar
        self.hooks = list(hooks)

    def on_train_begin(self, logs=None):
        self._cumulative = {}
        self._window = {}
        self._window_steps = 0

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        step = self.last_step = self.first_step + batch + 1
        if self.run.stop.received is not None:
            self.model.stop_training = True  # SIGINT / SIGTERM: stop after this step
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
            if self.progbar is None and self.run.chief:
                # Without a progress bar the losses still show, every `log_every` steps.
                _LOG.info("step %d/%d: %s", step, train.total_steps,
                          "  ".join(f"{k} {v:.4g}" for k, v in means.items()))
            self._window, self._window_steps = {}, 0
        if self.progbar is not None:
            self.progbar.update(step, values=list(values.items()))
        for hook in self.hooks:
            hook(step, values)


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


def _next_boundary(step, total, every):
    boundaries = [total]
    for interval in every:
        if interval:
            boundaries.append((step // interval + 1) * interval)
    return min(b for b in boundaries if b > step)


def train_and_evaluate(
    config, workdir, strategy=None, step_hooks=(), progress=True, resume=True, process_group=None,
    allow_config_change=False, handle_signals=True,
):
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
        progress: bool. Show a progress bar and evaluation progress; `False` logs the
            losses every `train.log_every` steps instead. Defaults to `True`.
        resume: bool. Continue from the newest checkpoint in the workdir; `False`
            deletes the workdir's checkpoints and starts over. Defaults to `True`.
        process_group: `keras_rr.training.distribution.ProcessGroup` or None. JAX
            `"multi_worker"` only: coordinator address, process count and id (`None`:
            from the environment).
        allow_config_change: bool. Resume even when the config changes what training
            computes (`keras_rr.training.run_config`); the change is recorded in
            `workdir/config_history.jsonl`. Defaults to `False`: such a resume raises
            `run_config.ConfigChangedError` listing the changed fields.
        handle_signals: bool. While training (single process, main thread), SIGINT and
            SIGTERM save a checkpoint at the next step and raise
            `keras_rr.training.interruption.TrainingInterrupted`. Defaults to `True`.

    Returns:
        `TrainResult`.

    Raises:
        TrainingInterrupted: SIGINT / SIGTERM during training (the step is saved).
        ConfigChangedError: see `allow_config_change`.
        RuntimeError: an evaluation failed; the message names the `eval` settings to
            change (the final evaluation runs after `model.keras` / `segmenter.keras`
            are written).

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
    found = checkpointing.list_checkpoints(os.path.join(workdir, CHECKPOINT_DIR)) if resume else []
    resumed_step = found[-1][0] if found else None
    if resumed_step is not None and resumed_step > config.train.total_steps:
        raise ValueError(
            f"The workdir holds a checkpoint at step {resumed_step}, past train.total_steps="
            f"{config.train.total_steps}. Use a new workdir or a larger total."
        )
    # Before anything is built: a resume may not silently train another experiment.
    changes = run_config.check_resume(config, workdir, resumed_step, allow_config_change)
    with distribution_scope(strategy, process_group=process_group) as dist:
        if config.train.batch_size % dist.num_replicas:
            raise ValueError(
                f"`train.batch_size` ({config.train.batch_size}) must be divisible by the number of replicas "
                f"({dist.num_replicas}). Received: train.batch_size={config.train.batch_size}"
            )
        keras.utils.set_random_seed(config.train.seed)
        # The segmenter first: a bad preset or model setting fails before any file is written.
        segmenter = build_segmenter(config.model, config.data.num_classes)
        metrics_report.resolve_eval_settings(segmenter, config.eval)  # e.g. "slide" needs a crop
        if dist.is_chief:
            os.makedirs(workdir, exist_ok=True)
            run_config.write_workdir_config(
                config, workdir, changes, step=resumed_step, forced=allow_config_change and resumed_step is not None
            )
        run, start = _run(config, workdir, dist, segmenter, step_hooks, progress, resume, handle_signals)
    # Saving outside the strategy scope: Keras' saving creates a variable (a reference
    # optimizer), which under a multi-worker strategy is a collective that the other
    # workers, which write nothing, would never join. The models are written before the
    # final evaluation, so an evaluation that fails (or is killed) loses no training.
    paths = _save_models(run) if dist.is_chief else {}
    try:
        metrics, count = _evaluate(run, config.train.total_steps, None, show_progress=run.progress, saved=paths)
        if dist.is_chief:
            paths.update(_write_report(run, metrics, count))
    finally:
        for writer in run.writers.values():
            writer.close()
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
    progress: bool = False  # a progress bar is shown
    stop: object = None  # `StopSignals` while training


def _run(config, workdir, dist, segmenter, step_hooks, progress, resume, handle_signals):
    """Load data, compile, restore, train in chunks between checkpoints/evaluations.

    Returns `(_Run, start step)`.
    """
    chief = dist.is_chief
    progress = progress and chief
    data = training_data.build_training_data(config, workdir if chief else None, progress=progress)
    model, schedule = _compile(config, segmenter, data)
    _load_torch_checkpoints(config.model, model, chief)
    start = _restore(model, workdir, config.train.total_steps, resume, chief)
    # Every worker restores from the shared workdir; a worker that sees another
    # checkpoint than the chief would silently train different weights.
    dist.check_same_step(start)
    writers = _open_writers(workdir) if chief else {}
    run = _Run(config, workdir, dist, chief, data, model, segmenter, writers, progress, StopSignals(False))
    logger = _make_logger(run, start, schedule, step_hooks, progress)
    # One process only: a signal reaching one of several workers would stop it alone.
    with StopSignals(handle_signals and dist.num_workers == 1) as stop:
        run.stop = stop
        try:
            _train(run, start, logger)
        finally:
            run.stop = StopSignals(False)
    return run, start


def _compile(config, segmenter, data):
    """The segmenter compiled (or wrapped and compiled) for the config's variant."""
    num_classes = config.data.num_classes
    optimizer, schedule = build_optimizer(
        config.optimizer, config.schedule, config.train.total_steps, variables=segmenter.trainable_variables
    )
    model = Variant.from_config(config).compile_model(
        segmenter, num_classes, data.statistics, optimizer,
        ignore_class=config.data.ignore_class, feature_layer=config.model.get("feature_layer"),
    )
    return model, schedule


def _load_torch_checkpoints(model_config, model, chief):
    """`model.encoder_checkpoint` (its `backbone.` weights) then `model.checkpoint` (a whole
    mmseg segmentor, auxiliary head included when the model has one) into `model`.

    Loaded after compiling, so that the training wrapper's auxiliary head exists; a resumed
    run's checkpoint (`_restore`) then overrides them.
    """
    for field, parts in (("encoder_checkpoint", ("backbone",)), ("checkpoint", None)):
        path = model_config.get(field)
        if not path:
            continue
        try:
            report = load_torch_weights(model, path, parts=parts)
        except (ImportError, OSError, TypeError, ValueError) as error:
            raise ValueError(f"model.{field}={path!r} does not load into model.name={model_config.name!r}: "
                             f"{error}") from error
        if chief:
            _LOG.info("model.%s: %s", field, report)


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
    return StepLogger(run, start, schedule, progbar, step_hooks)


def _save(run, step):
    """Chief only: a checkpoint of `step`; returns its folder (None off the chief)."""
    if not run.chief:
        return None
    return checkpointing.save_checkpoint(
        os.path.join(run.workdir, CHECKPOINT_DIR), step, run.model, keep=run.config.train.keep_checkpoints,
        extra={"config": run.config.get("name")},
    )


def _train(run, start, logger):
    """Trains `start .. total` in `fit` chunks ending at every checkpoint and evaluation step.

    A SIGINT / SIGTERM (`run.stop`) ends the chunk after the running step, which is
    then checkpointed, and raises `TrainingInterrupted`.
    """
    train = run.config.train
    step = start
    saved = None  # the checkpoint holding `step`, once written
    while True:
        if run.stop.received is not None:
            raise TrainingInterrupted(run.stop.received, step, saved or _save(run, step))
        if step >= train.total_steps:
            return
        end = _next_boundary(step, train.total_steps, (train.checkpoint_every, train.eval_every))
        logger.first_step = logger.last_step = step
        # Each worker reads and augments its own share of every global batch.
        batches = run.dist.shard_batches(
            lambda num_shards, shard_index, step=step, end=end: training_data.train_batches(
                run.data, train.batch_size, step, end, train.seed, num_shards=num_shards, shard_index=shard_index
            ),
            train.batch_size,
        )
        run.model.fit(batches, epochs=1, verbose=0, callbacks=[logger], shuffle=False)
        step = logger.last_step  # `end`, or earlier when a signal stopped the chunk
        saved = None
        if step % train.checkpoint_every == 0 or step == train.total_steps or run.stop.received is not None:
            saved = _save(run, step)
        if train.eval_every and step % train.eval_every == 0 and step < train.total_steps and run.stop.received is None:
            _evaluate(run, step, run.config.eval.get("max_batches"))


def _evaluate(run, step, max_batches, show_progress=False, saved=None):
    """Validation metrics at `step`; logged, and on the chief written to TensorBoard and history.

    `saved`: the model files written before the final evaluation (named if it fails).
    """
    config = run.config
    if run.progress and step < config.train.total_steps:
        print(flush=True)  # end the progress bar's line: the evaluation's output starts on its own
    try:
        metrics, count = metrics_report.evaluate_dataset(
            run.segmenter, run.data.validation, config.data.num_classes, config.eval,
            ignore_class=config.data.ignore_class, max_batches=max_batches, progress=show_progress,
        )
    except Exception as error:
        raise RuntimeError(_evaluation_failed(config, step, error, saved)) from error
    summary = metrics.summary()
    line = "step %d: val mIoU %.2f mAcc %.2f aAcc %.2f (%d images)" % (
        step, 100 * summary["miou"], 100 * summary["macc"], 100 * summary["aacc"], count)
    if run.progress and step < config.train.total_steps:  # the final result is the caller's to show
        print(line, flush=True)
    else:
        _LOG.info(line)
    if run.chief:
        _write_scalars(run.writers["eval"], summary, step)
        with open(os.path.join(run.workdir, HISTORY_FILE), "a") as f:
            f.write(json.dumps({"step": step, "num_images": count, **summary}) + "\n")
    return metrics, count


def _evaluation_failed(config, step, error, saved):
    """The message of a failed evaluation: the settings used and which to change."""
    e = config.eval
    settings = (
        f"eval.mode={e.mode!r}, eval.batch_size={e.batch_size}, eval.crop_size={e.get('crop_size')}, "
        f"eval.stride={e.get('stride')}"
    )
    message = f"The evaluation at step {step} failed ({settings}): {type(error).__name__}: {error}\n"
    if saved:
        message += (
            f"Training is done and saved: {', '.join(saved[k] for k in sorted(saved))}. Evaluate the model with "
            "`python -m keras_rr.tools.evaluate --model=<segmenter.keras> --config=<the same config>` and other "
            "settings, or re-run the train command with them (it resumes at the last step and only evaluates).\n"
        )
    else:
        message += "The last checkpoint is kept; re-run the train command with other settings to resume.\n"
    message += (
        "Settings to try: --config.eval.batch_size=1 (validation images of different sizes), "
        "--config.eval.mode=slide (window = the model's input size), --config.data.max_val_images=N."
    )
    return message


def _save_models(run):
    """Chief only: writes `model.keras` and (with `train.export`) `segmenter.keras`."""
    paths = {"model": os.path.join(run.workdir, "model.keras")}
    run.model.save(paths["model"])
    if run.config.train.export:
        paths["segmenter"] = os.path.join(run.workdir, "segmenter.keras")
        export_segmenter(run.model, paths["segmenter"])
    return paths


def _write_report(run, metrics, count):
    """Chief only: the final `metrics.json` and `per_class.md`."""
    config, workdir = run.config, run.workdir
    report = metrics_report.metrics_report(
        metrics, run.data.class_names, config.eval.mode, dataset=config.data.name,
        split=config.data.get("val_split") or "val", num_images=count, statistics=run.data.statistics,
        extra={"step": config.train.total_steps, "config": config.get("name"),
               "eval": metrics_report.eval_settings(config.eval, config.eval.mode, run.segmenter)},
    )
    return metrics_report.write_report(report, workdir)
