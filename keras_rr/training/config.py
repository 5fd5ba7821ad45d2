"""Experiment configs: shared defaults, the paper recipe, variants and loading by path.

Config files under `configs/` stay a few lines long: they call `paper_config(...)` or
`synthetic_config(...)` and `apply_variant(config, arg)`; everything else lives here.
A config is an `ml_collections.ConfigDict` with the sections `data`, `model`,
`region_rebalance`, `loss`, `optimizer`, `schedule`, `train` and `eval` (see
`default_config` for every field).

`ml_collections` is imported inside the functions, so `import keras_rr` never needs it.

Example:

```python
from keras_rr.training import config as rr_config

config = rr_config.load_config("configs/ade20k/deeplabv3plus_r50_rr.py:smoke",
                               overrides={"train.total_steps": 4})
```
"""

import importlib.util
import os

# Paper recipe (method.md §6): SGD momentum 0.9, lr 1e-2, wd 1e-4, poly 0.9, crop 512,
# batch 16, 160K iterations on ADE20K and 320K on COCO-Stuff164K.
PAPER_DATASETS = {
    # name: (num_classes, train split, val split, total steps)
    "ade20k": (150, "training", "validation", 160_000),
    "coco_stuff164k": (171, "train2017", "val2017", 320_000),
}
MODEL_NAMES = ("deeplab_v3_plus_resnet", "segformer_mit", "small_fcn")
OPTIMIZER_NAMES = ("sgd", "adamw")
SCHEDULE_NAMES = ("poly", "constant")
STRATEGIES = ("none", "mirrored", "multi_worker", "data_parallel")
EVAL_MODES = ("whole", "slide", "multi_scale")
VARIANTS = ("smoke", "smoke_model", "multi_scale", "authors_head")
# Our reading of the authors' released region head (not given in the paper).
AUTHORS_HEAD = {"projection_dim": 256, "label_smoothing": 0.1, "pooling_resolution": "labels"}
PAPER_SCALES = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)


def _placeholder(kind):
    from ml_collections import config_dict

    return config_dict.placeholder(kind)


def default_config():
    """The full config with every field at its default (the synthetic small-FCN baseline).

    Returns:
        `ml_collections.ConfigDict` with sections:
        - `data`: `name` (`keras_rr.data.load_dataset` name), `data_dir`, `train_split`,
          `val_split`, `num_classes`, `ignore_class`, `statistics_path` (a
          `ClassStatistics` JSON; computed from the training labels and cached in the
          workdir when unset), `loader_kwargs` / `val_loader_kwargs` (extra loader
          arguments), `max_val_images`, `augment` (`enabled` plus
          `keras_rr.data.TrainAugmentation` arguments) and `synthetic` (generator
          arguments when `name="synthetic"`).
        - `model`: `name` in `MODEL_NAMES`, `image_size`, `depth` (ResNet), `variant`
          (MiT), `width` (small FCN), `feature_layer`, `encoder_weights` (a
          `.weights.h5` of the KerasHub encoder, e.g. ImageNet-pretrained, as the paper
          uses) and `init_weights` (a `.weights.h5` of the whole segmenter).
        - `region_rebalance`: `enabled`, `loss_weight` (λ), `rebalance` (region prior),
          `projection_dim`, `label_smoothing`, `pooling_resolution` (the last three give
          the authors' released head variant).
        - `loss`: `name` in `keras_rr.losses.PIXEL_LOSSES`.
        - `optimizer`: `name` (`sgd`/`adamw`), `learning_rate`, `momentum`,
          `weight_decay`, `nesterov`, `beta_1`, `beta_2`, `clipnorm`.
        - `schedule`: `name` (`poly`/`constant`), `power`, `end_learning_rate`,
          `total_steps` (defaults to `train.total_steps`), `warmup_steps`,
          `warmup_ratio`.
        - `train`: `batch_size` (global), `total_steps`, `checkpoint_every`,
          `keep_checkpoints`, `log_every`, `eval_every` (0: only at the end), `seed`,
          `strategy` in `STRATEGIES`, `export`.
        - `eval`: `mode` in `EVAL_MODES`, `crop_size`/`stride` (sliding window),
          `scales`, `flip`, `batch_size`, `max_batches` (intermediate evaluations only).

    Example:

    >>> config = default_config()
    >>> config.train.total_steps
    1200
    """
    import ml_collections

    config = ml_collections.ConfigDict()
    config.name = "synthetic_small_fcn_baseline"

    config.data = ml_collections.ConfigDict()
    config.data.name = "synthetic"
    config.data.data_dir = _placeholder(str)
    config.data.train_split = _placeholder(str)
    config.data.val_split = _placeholder(str)
    config.data.num_classes = 12
    config.data.ignore_class = 255
    config.data.statistics_path = _placeholder(str)
    config.data.loader_kwargs = ml_collections.ConfigDict()
    config.data.val_loader_kwargs = ml_collections.ConfigDict()
    config.data.max_val_images = _placeholder(int)
    config.data.augment = ml_collections.ConfigDict()
    config.data.augment.enabled = False
    config.data.augment.crop_size = 64
    config.data.augment.scale = "crop"  # "crop", "none" (relative to the input size)
    config.data.augment.ratio_range = (0.5, 2.0)
    config.data.augment.cat_max_ratio = 0.75
    config.data.augment.flip_probability = 0.5
    config.data.augment.photometric = True
    config.data.synthetic = ml_collections.ConfigDict()
    config.data.synthetic.num_images = 600
    config.data.synthetic.val_images = 200
    config.data.synthetic.image_size = 64
    config.data.synthetic.imbalance = 30.0
    config.data.synthetic.noise = 0.06
    config.data.synthetic.seed = 0
    config.data.synthetic.val_seed = 1
    config.data.synthetic.class_seed = 0

    config.model = ml_collections.ConfigDict()
    config.model.name = "small_fcn"
    config.model.image_size = 64
    config.model.depth = 50
    config.model.variant = "b0"
    config.model.width = 32
    config.model.feature_layer = _placeholder(str)
    config.model.encoder_weights = _placeholder(str)
    config.model.init_weights = _placeholder(str)

    config.region_rebalance = ml_collections.ConfigDict()
    config.region_rebalance.enabled = False
    config.region_rebalance.loss_weight = 0.3
    config.region_rebalance.rebalance = True
    config.region_rebalance.projection_dim = _placeholder(int)
    config.region_rebalance.label_smoothing = 0.0
    config.region_rebalance.pooling_resolution = "features"

    config.loss = ml_collections.ConfigDict()
    config.loss.name = "cross_entropy"

    config.optimizer = ml_collections.ConfigDict()
    config.optimizer.name = "sgd"
    config.optimizer.learning_rate = 0.01
    config.optimizer.momentum = 0.9
    config.optimizer.nesterov = False
    config.optimizer.weight_decay = 1e-4
    config.optimizer.beta_1 = 0.9
    config.optimizer.beta_2 = 0.999
    config.optimizer.clipnorm = _placeholder(float)

    config.schedule = ml_collections.ConfigDict()
    config.schedule.name = "poly"
    config.schedule.power = 0.9
    config.schedule.end_learning_rate = 0.0
    config.schedule.total_steps = _placeholder(int)
    config.schedule.warmup_steps = 0
    config.schedule.warmup_ratio = 1e-6

    config.train = ml_collections.ConfigDict()
    config.train.batch_size = 16
    config.train.total_steps = 1200
    config.train.checkpoint_every = 200
    config.train.keep_checkpoints = 2
    config.train.log_every = 20
    config.train.eval_every = 400
    config.train.seed = 0
    config.train.strategy = "none"
    config.train.export = True

    config.eval = ml_collections.ConfigDict()
    config.eval.mode = "whole"
    config.eval.crop_size = _placeholder(int)
    config.eval.stride = _placeholder(int)
    config.eval.scales = PAPER_SCALES
    config.eval.flip = True
    config.eval.batch_size = 16
    config.eval.max_batches = _placeholder(int)
    return config


def synthetic_config(region_rebalance=False):
    """The synthetic long-tailed default (small FCN, 64 px, 12 classes), baseline or RR.

    Args:
        region_rebalance: bool. Enable the region branch (λ = 0.3). Defaults to `False`.

    Returns:
        `ml_collections.ConfigDict`.

    Example:

    >>> config = synthetic_config(region_rebalance=True)
    """
    config = default_config()
    config.region_rebalance.enabled = bool(region_rebalance)
    config.name = "synthetic_small_fcn_" + ("rr" if region_rebalance else "baseline")
    return config


def paper_config(dataset, model="deeplab_v3_plus_resnet", depth=50, variant="b0", region_rebalance=False):
    """The paper's training recipe (method.md §6) for a dataset and model.

    CNNs: SGD (momentum 0.9, lr 1e-2, weight decay 1e-4), poly schedule (power 0.9,
    down to 1e-4 as in mmsegmentation), crop 512, batch 16, 160K (ADE20K) / 320K
    (COCO-Stuff164K) iterations, random rescale 0.5-2.0 + crop + flip + photometric
    jitter, sliding-window evaluation (512 crop, stride 341). SegFormer: AdamW (lr 6e-5,
    weight decay 0.01), poly power 1.0 with a 1500-step linear warmup, as in its paper.
    Region Rebalance: λ = 0.3.

    Args:
        dataset: `"ade20k"` or `"coco_stuff164k"`.
        model: a name in `MODEL_NAMES`. Defaults to `"deeplab_v3_plus_resnet"`.
        depth: int. ResNet depth. Defaults to `50`.
        variant: str. MiT variant for SegFormer. Defaults to `"b0"`.
        region_rebalance: bool. Defaults to `False`.

    Returns:
        `ml_collections.ConfigDict`. Set `data.data_dir` before training.

    Example:

    >>> config = paper_config("ade20k", depth=101, region_rebalance=True)
    """
    if dataset not in PAPER_DATASETS:
        raise ValueError(f"`dataset` must be one of {sorted(PAPER_DATASETS)}. Received: dataset={dataset!r}")
    if model not in MODEL_NAMES:
        raise ValueError(f"`model` must be one of {MODEL_NAMES}. Received: model={model!r}")
    num_classes, train_split, val_split, total_steps = PAPER_DATASETS[dataset]
    config = default_config()
    config.data.name = dataset
    config.data.train_split = train_split
    config.data.val_split = val_split
    config.data.num_classes = num_classes
    config.data.augment.enabled = True
    config.data.augment.crop_size = 512
    config.model.name = model
    config.model.image_size = 512
    config.model.depth = depth
    config.model.variant = variant
    config.region_rebalance.enabled = bool(region_rebalance)
    config.schedule.end_learning_rate = 1e-4
    config.train.batch_size = 16
    config.train.total_steps = total_steps
    config.train.checkpoint_every = 4000
    config.train.log_every = 50
    config.train.eval_every = 16_000
    # Full-resolution validation images differ in size: one per batch, sliding window.
    config.eval.mode = "slide"
    config.eval.crop_size = 512
    config.eval.stride = 341
    config.eval.batch_size = 1
    if model == "segformer_mit":
        config.optimizer.name = "adamw"
        config.optimizer.learning_rate = 6e-5
        config.optimizer.weight_decay = 0.01
        config.schedule.power = 1.0
        config.schedule.end_learning_rate = 0.0
        config.schedule.warmup_steps = 1500
    tag = {"deeplab_v3_plus_resnet": f"deeplabv3plus_r{depth}", "segformer_mit": f"segformer_{variant}"}.get(
        model, model
    )
    config.name = f"{dataset}_{tag}_" + ("rr" if region_rebalance else "baseline")
    return config


def _smoke(config, keep_model):
    """Tiny everything: synthetic data at 32 px, 2 steps, a small model."""
    size = 32
    config.data.name = "synthetic"
    config.data.data_dir = None
    config.data.train_split = None
    config.data.val_split = None
    config.data.statistics_path = None
    config.data.max_val_images = None
    config.data.synthetic.num_images = 8
    config.data.synthetic.val_images = 4
    config.data.synthetic.image_size = size
    config.data.augment.crop_size = size
    if keep_model:
        # The config's own model family at its smallest (64 px: ResNet/MiT strides).
        size = 64
        config.data.synthetic.image_size = size
        config.data.augment.crop_size = size
        config.model.depth = 18
        config.model.variant = "b0"
    else:
        config.model.name = "small_fcn"
        config.model.width = 8
        # Unused by the FCN; fixed so smoke configs differing only in depth coincide.
        config.model.depth = 18
        config.model.variant = "b0"
    config.model.image_size = size
    config.model.encoder_weights = None
    config.model.init_weights = None
    config.train.batch_size = 2
    config.train.total_steps = 2
    config.train.checkpoint_every = 2
    config.train.log_every = 1
    config.train.eval_every = 0
    config.schedule.warmup_steps = min(config.schedule.warmup_steps, 1)
    config.eval.batch_size = 2
    config.eval.max_batches = None
    # Whole-image evaluation compiles fastest; crop/stride still fit `slide` runs.
    config.eval.mode = "whole"
    config.eval.crop_size = size
    config.eval.stride = size // 2
    config.eval.scales = (0.75, 1.0)
    return config


def apply_variant(config, arg=None):
    """Applies the `:variant` part of `--config=file.py:variant` (comma-separated).

    Variants:
    - `smoke`: synthetic data (8 images, 32 px, the config's class count), a width-8
      small FCN, batch 2, 2 steps, whole-image evaluation. Every config has it, so
      tests run every config in seconds.
    - `smoke_model`: like `smoke` but keeps the config's model family (ResNet-18 /
      MiT-B0 at 64 px).
    - `multi_scale`: evaluate multi-scale + flip (the paper's m.s. column).
    - `authors_head`: the region head of the authors' released code as we read it:
      a 256-unit projection MLP, region label smoothing 0.1, pooling at label
      resolution (`AUTHORS_HEAD`).

    Args:
        config: `ml_collections.ConfigDict`.
        arg: str or None. Variant names, e.g. `"smoke"` or `"smoke,multi_scale"`.

    Returns:
        The same config, modified.

    Example:

    >>> config = apply_variant(paper_config("ade20k"), "smoke")
    """
    if not arg:
        return config
    for name in str(arg).split(","):
        name = name.strip()
        if name == "smoke":
            _smoke(config, keep_model=False)
        elif name == "smoke_model":
            _smoke(config, keep_model=True)
        elif name == "multi_scale":
            config.eval.mode = "multi_scale"
            config.eval.flip = True
            config.eval.scales = PAPER_SCALES
        elif name == "authors_head":
            config.region_rebalance.update(AUTHORS_HEAD)
        elif name:
            raise ValueError(f"Unknown config variant. Expected names from {VARIANTS}. Received: variant={name!r}")
    return config


def load_config(path, overrides=None):
    """Loads `get_config(arg)` from a config file, as `--config=path[:arg]` does.

    Args:
        path: str. `"configs/x.py"` or `"configs/x.py:variant"`.
        overrides: optional dict of dotted field names to values, like the command
            line's `--config.train.total_steps=4`.

    Returns:
        `ml_collections.ConfigDict`.

    Example:

    >>> config = load_config("configs/synthetic/small_fcn_rr.py:smoke")
    """
    path = os.fspath(path)
    arg = None
    if ":" in os.path.basename(path):
        path, arg = path.rsplit(":", 1)
    if not os.path.isfile(path):
        raise ValueError(f"Config file not found. Received: path={path!r}")
    name = "keras_rr_config_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "get_config"):
        raise ValueError(f"A config file must define `get_config(arg=None)`. Received: path={path!r}")
    config = module.get_config(arg) if arg is not None else module.get_config()
    if overrides:
        config.update_from_flattened_dict(dict(overrides))
    return config


def _check_choice(value, choices, field):
    if value not in choices:
        raise ValueError(f"`{field}` must be one of {choices}. Received: {field}={value!r}")


def _check_positive_int(value, field, allow_zero=False):
    ok = isinstance(value, int) and not isinstance(value, bool) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"`{field}` must be a {kind} int. Received: {field}={value!r}")


def validate_config(config):
    """Checks the fields the trainer relies on; raises `ValueError` with the field name.

    Args:
        config: `ml_collections.ConfigDict`.

    Returns:
        `config`, unchanged.
    """
    from keras_rr.data.datasets import DATASETS
    from keras_rr.losses.pixel_losses import PIXEL_LOSSES
    from keras_rr.region_rebalance.region_pooling import POOLING_RESOLUTIONS

    for section in ("data", "model", "region_rebalance", "loss", "optimizer", "schedule", "train", "eval"):
        if section not in config:
            raise ValueError(f"The config has no `{section}` section. Received sections: {sorted(config.keys())}")
    _check_choice(config.data.name, tuple(sorted(DATASETS)), "data.name")
    _check_positive_int(config.data.num_classes, "data.num_classes")
    _check_choice(config.model.name, MODEL_NAMES, "model.name")
    _check_choice(config.loss.name, PIXEL_LOSSES, "loss.name")
    _check_choice(
        config.region_rebalance.pooling_resolution, POOLING_RESOLUTIONS, "region_rebalance.pooling_resolution"
    )
    _check_choice(config.optimizer.name, OPTIMIZER_NAMES, "optimizer.name")
    _check_choice(config.schedule.name, SCHEDULE_NAMES, "schedule.name")
    _check_choice(config.train.strategy, STRATEGIES, "train.strategy")
    _check_choice(config.eval.mode, EVAL_MODES, "eval.mode")
    for field in ("batch_size", "total_steps", "checkpoint_every", "log_every"):
        _check_positive_int(config.train[field], f"train.{field}")
    _check_positive_int(config.train.eval_every, "train.eval_every", allow_zero=True)
    _check_positive_int(config.train.keep_checkpoints, "train.keep_checkpoints")
    _check_positive_int(config.eval.batch_size, "eval.batch_size")
    if not config.optimizer.learning_rate > 0:
        raise ValueError(
            f"`optimizer.learning_rate` must be > 0. Received: optimizer.learning_rate={config.optimizer.learning_rate}"
        )
    if not config.region_rebalance.loss_weight >= 0:
        raise ValueError(
            "`region_rebalance.loss_weight` must be >= 0. "
            f"Received: region_rebalance.loss_weight={config.region_rebalance.loss_weight}"
        )
    if config.data.name in ("ade20k", "coco_stuff164k") and not config.data.data_dir:
        raise ValueError(
            f"Dataset {config.data.name!r} needs `data.data_dir` (e.g. --config.data.data_dir=/data/...). "
            "Received: data.data_dir=None"
        )
    return config
