"""`evaluate_saved_model`: a saved `.keras` model on a config's validation set -> `metrics.json`.

The library side of `python -m keras_rr.tools.evaluate`. The report is the one the
trainer writes at the end of a run (`keras_rr.training.metrics_report`): the model is
loaded, evaluated with the config's `eval` settings (or another inference mode) and the
report gets the training class statistics found beside it.
"""

import os

import keras

from keras_rr import validation
from keras_rr.data.class_statistics import ClassStatistics
from keras_rr.training.config import EVAL_MODES
from keras_rr.training.metrics_report import eval_settings
from keras_rr.training.metrics_report import evaluate_dataset
from keras_rr.training.metrics_report import metrics_report
from keras_rr.training.metrics_report import write_report
from keras_rr.training.training_data import build_validation_data
from keras_rr.training.training_data import resolve_class_names


def _find_statistics(config, model_path, statistics_path):
    k = config.data.num_classes
    candidates = [statistics_path, config.data.get("statistics_path")]
    if model_path is not None:
        candidates.append(os.path.join(os.path.dirname(os.path.abspath(model_path)), "class_statistics.json"))
    for path in candidates:
        if path and os.path.isfile(path):
            return ClassStatistics.load(path, num_classes=k)
    return None


def evaluate_saved_model(
    model_path, config, output_dir, mode=None, statistics_path=None, max_batches=None, progress=True
):
    """Loads a `.keras` segmenter (or wrapper), evaluates it on the config's validation set.

    Training statistics (for sorting and frequency columns) come from
    `statistics_path`, else `config.data.statistics_path`, else a
    `class_statistics.json` beside the model (the trainer's workdir).

    Args:
        model_path: str. `segmenter.keras` or `model.keras` written by the trainer.
        config: `ml_collections.ConfigDict` (its `data` and `eval` sections are used).
        output_dir: str. Where `metrics.json` and `per_class.md` are written.
        mode: str or None. `"whole"`, `"slide"` or `"multi_scale"`; defaults to
            `config.eval.mode`.
        statistics_path: str or None.
        max_batches: int or None. Evaluate only the first batches.
        progress: bool. Defaults to `True`.

    Returns:
        The report dict (also written to `output_dir/metrics.json`).

    Example:

    >>> evaluate_saved_model("runs/x/segmenter.keras", config, "runs/x/eval_ms", mode="multi_scale")
    """
    if mode is not None:
        validation.check_choice(mode, EVAL_MODES, "mode")
    mode = mode or config.eval.mode
    model = keras.saving.load_model(model_path, compile=False)
    dataset, _, spec_names = build_validation_data(config.data, config.eval)
    statistics = _find_statistics(config, model_path, statistics_path)
    metrics, num_images = evaluate_dataset(
        model, dataset, config.data.num_classes, config.eval, mode=mode,
        ignore_class=config.data.ignore_class, max_batches=max_batches, progress=progress,
    )
    names = resolve_class_names(config.data, statistics, fallback=spec_names)
    report = metrics_report(
        metrics, names, mode, dataset=config.data.name, split=config.data.get("val_split") or "val",
        num_images=num_images, statistics=statistics,
        extra={"model": os.path.abspath(model_path), "eval": eval_settings(config.eval, mode, model)},
    )
    write_report(report, output_dir)
    return report
