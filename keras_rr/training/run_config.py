"""A workdir's config: the short summary a run opens with, and what a resume may change.

A workdir records the config it trains (`config.json`). Running the same command again
resumes from the newest checkpoint; resuming with a config that changes what training
computes (the model, the data, the losses, the optimizer, the schedule) would silently
continue another experiment from this one's weights, so `check_resume` refuses it and
prints every changed field as `field: old -> new`.

Fields that only change how a run is watched, saved or evaluated may change on resume
(`RESUME_SAFE_FIELDS`): `name`, every `eval.*` field, the validation-only data fields
(`data.val_split`, `data.val_loader_kwargs`, `data.val_image_dir`, `data.val_label_dir`,
`data.max_val_images`), and `train.log_every`, `train.checkpoint_every`,
`train.keep_checkpoints`, `train.eval_every`, `train.export`, `train.strategy` (the
global batch is split over the replicas, so a strategy computes the same steps).
`train.total_steps` may change when `schedule.total_steps` is set (and unchanged): then
the learning-rate schedule does not depend on it, and a longer total only adds steps.

`allow_config_change=True` (`--allow_config_change` on the command line) accepts any
change. Every change of `config.json` is appended to `config_history.jsonl` (time, the
checkpoint step it applies from, the changes, and whether it was forced).
"""

import datetime
import json
import os

CONFIG_FILE = "config.json"
CONFIG_HISTORY_FILE = "config_history.jsonl"
# Dotted field names, or prefixes ending in ".", that a resume may change.
RESUME_SAFE_FIELDS = (
    "name",
    "eval.",
    "data.val_split",
    "data.val_loader_kwargs.",
    "data.val_image_dir",
    "data.val_label_dir",
    "data.max_val_images",
    "train.log_every",
    "train.checkpoint_every",
    "train.keep_checkpoints",
    "train.eval_every",
    "train.export",
    "train.strategy",
)


class ConfigChangedError(ValueError):
    """Resuming a workdir with a config that changes what training computes.

    Attributes:
        changes: list of `(field, old, new)` that a resume may not change.
    """

    def __init__(self, message, changes):
        super().__init__(message)
        self.changes = changes


def config_as_json(config):
    """The config as the JSON-ready dict written to `config.json` (tuples become lists)."""
    return json.loads(config.to_json_best_effort(sort_keys=True))


def _flatten(tree, prefix=""):
    leaves = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            leaves.update(_flatten(value, f"{prefix}{key}."))
        else:
            leaves[prefix + key] = value
    return leaves


_MISSING = "<unset>"


def config_changes(old, new):
    """Fields that differ between two `config.json` dicts, as sorted `(field, old, new)`.

    A field present in one only shows `"<unset>"` on the other side.
    """
    old, new = _flatten(old), _flatten(new)
    changes = []
    for field in sorted(set(old) | set(new)):
        a, b = old.get(field, _MISSING), new.get(field, _MISSING)
        if a != b:
            changes.append((field, a, b))
    return changes


def _is_resume_safe(field, old_leaves, new_leaves):
    if field == "train.total_steps":
        # Only when the schedule's length is pinned: otherwise every later learning rate moves.
        pinned = old_leaves.get("schedule.total_steps")
        return pinned is not None and pinned == new_leaves.get("schedule.total_steps")
    return any(field == safe or (safe.endswith(".") and field.startswith(safe)) for safe in RESUME_SAFE_FIELDS)


def format_changes(changes):
    """One line per change: `  field: old -> new`."""
    return "\n".join(f"  {field}: {json.dumps(a)} -> {json.dumps(b)}" for field, a, b in changes)


def read_workdir_config(workdir):
    """The `config.json` dict of a workdir, or None when there is none."""
    path = os.path.join(os.fspath(workdir), CONFIG_FILE)
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"{path} is not valid JSON ({error}). Delete it, or start over with --noresume."
            ) from None


def check_resume(config, workdir, checkpoint_step, allow_config_change=False):
    """Changes from the workdir's `config.json`; raises when a resume may not make them.

    Args:
        config: `ml_collections.ConfigDict` of this run.
        workdir: str.
        checkpoint_step: int or None. The step the run resumes from (None: no checkpoint,
            nothing is resumed, so any change is allowed).
        allow_config_change: bool. Accept changes that alter training. Defaults to `False`.

    Returns:
        list of `(field, old, new)`, every change (empty when nothing changed or the
        workdir has no config yet).

    Raises:
        ConfigChangedError: a resumed field changed without `allow_config_change`.
    """
    old = read_workdir_config(workdir)
    if old is None:
        return []
    new = config_as_json(config)
    changes = config_changes(old, new)
    if checkpoint_step is None or allow_config_change:
        return changes
    old_leaves, new_leaves = _flatten(old), _flatten(new)
    refused = [c for c in changes if not _is_resume_safe(c[0], old_leaves, new_leaves)]
    if refused:
        hint = ""
        if any(field == "train.total_steps" for field, _, _ in refused):
            hint = (
                "\nTo extend a run on the schedule it started with, also set "
                f"--config.schedule.total_steps={old_leaves.get('train.total_steps')}."
            )
        raise ConfigChangedError(
            f"{os.path.join(os.fspath(workdir), CONFIG_FILE)} holds the config this workdir trained to "
            f"step {checkpoint_step}; resuming with this config would change what training computes:\n"
            f"{format_changes(refused)}\n"
            "Use a new --workdir for a new experiment, --noresume to start this one over, or "
            "--allow_config_change (train_and_evaluate(..., allow_config_change=True)) to continue "
            f"from step {checkpoint_step} with the new values (recorded in {CONFIG_HISTORY_FILE}).{hint}",
            refused,
        )
    return changes


def write_workdir_config(config, workdir, changes=(), step=None, forced=False):
    """Writes `config.json`; appends the changes (if any) to `config_history.jsonl`."""
    workdir = os.fspath(workdir)
    with open(os.path.join(workdir, CONFIG_FILE), "w") as f:
        f.write(config.to_json_best_effort(indent=1, sort_keys=True))
    if changes:
        record = {
            "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "from_step": step,
            "forced": bool(forced),
            "changes": {field: [a, b] for field, a, b in changes},
        }
        with open(os.path.join(workdir, CONFIG_HISTORY_FILE), "a") as f:
            f.write(json.dumps(record) + "\n")


def config_summary(config):
    """A few lines on what a run trains (the full config is in `workdir/config.json`)."""
    data, model, rr, train = config.data, config.model, config.region_rebalance, config.train
    weights = model.get("preset") or model.get("backbone_preset") or "random init"
    if data.name == "directory":
        source = f"directory {data.get('image_dir')}"
    elif data.name == "synthetic":
        source = f"synthetic ({data.synthetic.num_images} images, {data.synthetic.image_size} px)"
    else:
        source = f"{data.name} {data.get('data_dir') or ''}".rstrip()
    if data.get("repeat_factor_threshold") is not None:
        source += (
            f", repeat-factor sampling (t={data.repeat_factor_threshold}, "
            f"{data.get('repeat_factor_reduce', 'max')} over {data.get('repeat_factor_frequency', 'image')} "
            "frequencies)"
        )
    region = f"Region Rebalance (loss_weight {rr.loss_weight})" if rr.enabled else "baseline (no region branch)"
    optimizer = config.optimizer
    evaluation = config.eval
    return "\n".join([
        f"{config.get('name') or 'run'}: {model.name} ({model.image_size} px, {weights}), {region}",
        f"  data: {source}, {data.num_classes} classes, loss {config.loss.name}",
        f"  train: {train.total_steps} steps of batch {train.batch_size}, {optimizer.name} "
        f"learning_rate {optimizer.learning_rate} ({config.schedule.name}), seed {train.seed}",
        f"  eval: {evaluation.mode}, batch {evaluation.batch_size}, "
        + (f"every {train.eval_every} steps and at the end" if train.eval_every else "at the end"),
    ])
