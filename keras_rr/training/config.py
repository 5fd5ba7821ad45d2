"""Experiment configs: the schema, variants, loading by path and validation.

A config is an `ml_collections.ConfigDict` with the sections `data`, `model`,
`region_rebalance`, `loss`, `optimizer`, `schedule`, `train` and `eval`;
`default_config` holds every field with its meaning. The recipes live under
`configs/` (big_vision style): `configs/recipes.py` holds every value as data (the
shared recipe, what each dataset changes, the network families and the paper rows), and
each config file (`configs/<dataset>/<row>_{baseline,rr}.py`, `base.py`) names its run
there. This module adds the `:variant` suffixes
(`apply_variant`), `load_config` and `validate_config`.

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

from keras_rr import validation
from keras_rr.data.datasets import DATASETS
from keras_rr.data.copy_paste import COPY_PASTE_MODES
from keras_rr.data.repeat_factors import FREQUENCIES
from keras_rr.data.repeat_factors import REDUCTIONS
from keras_rr.networks.backbones.resnet_v1c import RESNET_V1C_DEPTHS
from keras_rr.networks.segmenters.builders import SEGMENTER_BUILDERS
from keras_rr.networks.segmenters.builders import check_model_config
from keras_rr.pixel_losses.by_name import PIXEL_LOSSES
from keras_rr.region_rebalance.region_pooling import POOLING_METHODS
from keras_rr.region_rebalance.region_pooling import POOLING_RESOLUTIONS
from keras_rr.region_rebalance.region_pooling import REGION_SCOPES
from keras_rr.region_rebalance.region_rebalance_head import REGION_HEAD_PRESETS
from keras_rr.region_rebalance.region_rebalance_head import REGION_LOSS_WEIGHTS
from keras_rr.region_rebalance.region_rebalance_head import region_head_config_fields
from keras_rr.training.distribution import STRATEGY_BACKENDS
from keras_rr.training.optimizers import OPTIMIZER_NAMES
from keras_rr.training.optimizers import SCHEDULE_NAMES

STRATEGIES = tuple(STRATEGY_BACKENDS)
EVAL_MODES = ("whole", "slide", "multi_scale")
VARIANTS = ("smoke", "smoke_model", "multi_scale", "authors_head", "random_init", "resnet_v1c")
# The paper's multi-scale evaluation (m.s. columns), with horizontal flip.
PAPER_SCALES = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)


def default_config():
    """The schema: every config field at its default (the synthetic small-FCN baseline).

    Config files start from it and set their recipe (see `configs/recipes.py`).
    `None` fields are typed placeholders (settable from the command line).

    Returns:
        `ml_collections.ConfigDict`; the comments in the code below say what each
        field means.

    Example:

    >>> config = default_config()
    >>> config.train.total_steps
    1200
    """
    import ml_collections
    from ml_collections import config_dict

    def placeholder(kind):
        return config_dict.placeholder(kind)

    config = ml_collections.ConfigDict()
    config.name = "synthetic_small_fcn_baseline"  # run name, stored with checkpoints and reports

    data = config.data = ml_collections.ConfigDict()
    data.name = "synthetic"  # a `keras_rr.data.load_dataset` name, or "synthetic"
    data.data_dir = placeholder(str)  # dataset root (ADE20K / COCO-Stuff folders)
    data.train_split = placeholder(str)  # e.g. "training" (ADE20K), "train2017" (COCO-Stuff)
    data.val_split = placeholder(str)
    data.num_classes = 12  # K
    data.ignore_class = 255  # label of unlabeled pixels
    # A `ClassStatistics` JSON (`python -m keras_rr.tools.dataset_stats`); unset: computed
    # from the training labels and cached as `workdir/class_statistics.json`.
    data.statistics_path = placeholder(str)
    # `name="directory"`: your own data, two folders per split with images and label PNGs
    # paired by file name (`keras_rr.data.load_segmentation_directory`; docs/getting-started.md,
    # "A first RR fit on your own folder").
    data.image_dir = placeholder(str)  # training images
    data.label_dir = placeholder(str)  # training label PNGs (class ids, `ignore_class` unlabeled)
    data.val_image_dir = placeholder(str)  # validation images
    data.val_label_dir = placeholder(str)  # validation label PNGs
    data.class_names_file = placeholder(str)  # optional: one class name per line (reports)
    data.loader_kwargs = ml_collections.ConfigDict()  # extra arguments of the training loader
    data.val_loader_kwargs = ml_collections.ConfigDict()  # ... and of the validation loader
    data.max_val_images = placeholder(int)  # evaluate on the first N validation images only
    # Repeat-factor sampling (LTSS; `keras_rr.data.repeat_factors`): unset: off; else the
    # threshold t (LTSS: 0.0003 ADE20K-Full, 0.0012 COCO-Stuff-LT, 0.001 pixel ADE20K-150).
    data.repeat_factor_threshold = placeholder(float)
    data.repeat_factor_reduce = "max"  # per image over its classes: "max", "mean" or "sum"
    data.repeat_factor_frequency = "image"  # f(c): "image" (images with c / N) or "pixel"
    # Training augmentation: `keras_rr.data.TrainAugmentation` arguments (+ `enabled`).
    augment = data.augment = ml_collections.ConfigDict()
    augment.enabled = False
    augment.crop_size = 64  # output size of every training example
    augment.scale = "crop"  # random-resize base scale: "crop" (4x crop long side), "none" (input size)
    augment.ratio_range = (0.5, 2.0)  # random-resize ratio range
    augment.cat_max_ratio = 0.75  # largest share of one class in a crop (re-drawn up to 10 times)
    augment.flip_probability = 0.5  # horizontal flip
    augment.photometric = True  # brightness / contrast / saturation / hue jitter
    # LTSS copy-paste (`keras_rr.data.CopyPaste`): classes of a uniformly drawn training
    # example (augmented like the destination) overwrite image and label.
    copy_paste = data.copy_paste = ml_collections.ConfigDict()
    copy_paste.mode = "none"  # "none", "random" (k < min(max_classes, n) classes) or "rare" (image-frequency rare)
    copy_paste.max_classes = 100  # most classes "random" pastes (LTSS: 100)
    # `keras_rr.data.synthetic_long_tailed` arguments when `name="synthetic"`.
    synthetic = data.synthetic = ml_collections.ConfigDict()
    synthetic.num_images = 600  # training images
    synthetic.val_images = 200  # validation images
    synthetic.image_size = 64
    synthetic.imbalance = 30.0  # region imbalance of the classes
    synthetic.noise = 0.06
    synthetic.seed = 0  # training images
    synthetic.val_seed = 1  # validation images
    synthetic.class_seed = 0  # class appearance, shared by both splits

    model = config.model = ml_collections.ConfigDict()
    model.name = "small_fcn"  # one of `MODEL_NAMES` (`keras_rr.models.MODEL_NAMES`)
    model.image_size = 64  # square input size
    model.depth = 50  # ResNet depth (deeplab_v3_plus_resnet*, uper_net_resnet_c, psp_net_resnet_c): 18 ... 101
    # The *_resnet_c models' ResNet: "resnet_vd" (KerasHub's ResNet-vd, from `backbone_preset`
    # or random; the default when unset) or "resnet_v1c" (mmseg's ResNetV1c, the paper's,
    # `keras_rr.models.resnet_v1c_backbone`: depth 50 or 101, no backbone_preset).
    model.encoder = placeholder(str)
    # Encoder size: MiT (segformer_mit, uper_net_mit) b0, b1, b2; Swin (uper_net_swin)
    # tiny, small, base, base_window12 (`keras_rr.networks.backbones.swin.SWIN_VARIANTS`); BEiT
    # (uper_net_beit) base, large, tiny (`keras_rr.networks.backbones.beit.BEIT_VARIANTS`).
    model.variant = "b0"
    model.width = 32  # decoder channels (small_fcn); HRNetV2 width (ocr_net_hrnet: 18 or 48)
    model.channels = placeholder(int)  # head width of the mmseg heads (UPerNet, PSPNet, DeepLabV3+); unset: 512
    model.feature_layer = placeholder(str)  # decoder feature layer of the region branch (found when unset)
    # Pretrained KerasHub weights, by preset handle (a KerasHub name such as
    # "resnet_50_imagenet", kaggle://..., hf://...) or a local directory written by
    # `save_to_preset` (offline use). At most one of the two; `small_fcn` takes neither.
    # The preset's image converter normalisation becomes the model's first layer (the
    # models take 0-255 RGB); offline, a remote handle fails within seconds
    # (`keras_rr.networks.segmenters.presets.resolve_preset`; `KERAS_RR_OFFLINE=1` skips the probe).
    # A whole segmenter of the named family (e.g. "deeplab_v3_plus_resnet50_pascalvoc",
    # "segformer_b0_ade20k_512"), re-headed to `data.num_classes` if its count differs;
    # `depth` / `variant` are then unused.
    model.preset = placeholder(str)
    # An encoder (e.g. "resnet_50_imagenet", "resnet_vd_50_imagenet", "mit_b0_ade20k_512")
    # under the named model's head; `depth` / `variant` are then unused.
    model.backbone_preset = placeholder(str)
    model.encoder_weights = placeholder(str)  # `.weights.h5` of the encoder (a KerasHub ResNetBackbone's for resnet_c)
    model.init_weights = placeholder(str)  # `.weights.h5` of the whole segmenter (after the above)
    # Torch checkpoints (`keras_rr.models.load_torch_weights`, after the above; needs torch for
    # .pth / .pt / .bin, safetensors for .safetensors): the encoder's (timm, mmcv or mmseg
    # backbone weights: only `backbone.` keys are loaded, e.g. open-mmlab's resnet50_v1c) and
    # a whole trained mmseg segmentor (backbone, neck, decode and auxiliary heads).
    model.encoder_checkpoint = placeholder(str)
    model.checkpoint = placeholder(str)

    rr = config.region_rebalance = ml_collections.ConfigDict()
    rr.enabled = False  # train with the region branch (`RegionRebalanceSegmenter`)
    rr.loss_weight = 0.3  # λ of the region loss
    # One field per option of the region head, at its default (the paper's head): the
    # meaning of each is in `keras_rr.layers.RegionRebalanceHead`'s Args (rebalance,
    # label_smoothing, pooling_resolution, pooling_method, projection_dim, region_scope,
    # align_corners, reduction_dim, classifier_dropout, frozen_head,
    # true_class_probability, prior_epsilon); `:authors_head` sets the authors' branch.
    for name, (default, kind) in region_head_config_fields().items():
        rr[name] = placeholder(kind) if default is None else default

    # mmseg's auxiliary FCN head on the backbone's stage-3 map (`keras_rr.models.AuxiliaryFCNHead`),
    # a training-only branch beside the region branch: models with an "auxiliary_features"
    # layer (uper_net_*, psp_net_resnet_c, deeplab_v3_plus_resnet_c); for a model with an
    # "auxiliary_logits" layer (ocr_net_hrnet) the loss of those logits, at `loss_weight`.
    aux = config.auxiliary_head = ml_collections.ConfigDict()
    aux.enabled = False
    aux.loss_weight = 0.4  # mmseg's
    aux.channels = 256  # mmseg's FCNHead width

    config.loss = ml_collections.ConfigDict()
    config.loss.name = "cross_entropy"  # pixel loss, one of `keras_rr.losses.PIXEL_LOSSES`

    optimizer = config.optimizer = ml_collections.ConfigDict()
    optimizer.name = "sgd"  # "sgd" or "adamw" (`keras_rr.training.optimizers`)
    optimizer.learning_rate = 0.01  # initial learning rate
    optimizer.momentum = 0.9  # SGD
    optimizer.nesterov = False  # SGD
    optimizer.weight_decay = 1e-4  # SGD: coupled L2 (torch's); AdamW: decoupled (0: none)
    optimizer.decoupled_weight_decay = False  # SGD: Keras' decoupled decay instead
    optimizer.beta_1 = 0.9  # AdamW
    optimizer.beta_2 = 0.999  # AdamW
    optimizer.clipnorm = placeholder(float)  # gradient norm clipping
    # AdamW: mmseg's layer-wise learning-rate decay (`keras_rr.optimizers.LayerDecayAdamW`;
    # BEiT-L 0.95, BEiT-B 0.9): lr * decay ** (L + 1 - layer id); unset: off.
    optimizer.layer_decay = placeholder(float)
    # Variables whose path contains one of these strings get no weight decay
    # (`keras.optimizers.Optimizer.exclude_from_weight_decay(var_names=...)`), e.g. mmseg's
    # Swin recipe: ("norm", "relative_position_bias_table", "absolute_pos_embed").
    optimizer.exclude_from_weight_decay = ()

    schedule = config.schedule = ml_collections.ConfigDict()
    schedule.name = "poly"  # "poly" or "constant" (`WarmupPolynomialDecay`)
    schedule.power = 0.9
    schedule.end_learning_rate = 0.0  # reached at `total_steps`
    schedule.total_steps = placeholder(int)  # decay length; unset: `train.total_steps`
    schedule.warmup_steps = 0  # linear warmup steps
    schedule.warmup_ratio = 1e-6  # warmup factor at step 0

    train = config.train = ml_collections.ConfigDict()
    train.batch_size = 16  # global batch, split over the replicas
    train.total_steps = 1200
    train.checkpoint_every = 200  # steps between checkpoints (exact resume)
    train.keep_checkpoints = 2  # newest checkpoints kept
    train.log_every = 20  # TensorBoard losses averaged over this many steps
    train.eval_every = 400  # steps between validation runs (0: only at the end)
    train.seed = 0  # initial weights, data order and augmentation
    train.strategy = "none"  # one of `STRATEGIES` (`keras_rr.training.distribution`)
    train.export = True  # write `segmenter.keras` (the segmenter without the region branch)

    evaluation = config.eval = ml_collections.ConfigDict()
    evaluation.mode = "whole"  # one of `EVAL_MODES` (`keras_rr.inference`)
    evaluation.crop_size = placeholder(int)  # sliding-window crop ("slide", "multi_scale")
    evaluation.stride = placeholder(int)  # sliding-window stride
    evaluation.scales = PAPER_SCALES  # "multi_scale" views
    evaluation.flip = True  # "multi_scale": add horizontally flipped views
    evaluation.batch_size = 16
    evaluation.max_batches = placeholder(int)  # intermediate evaluations stop after N batches
    return config


def _clear_pretrained_weights(config):
    """Random initialisation: no preset, no weight file (nothing to download)."""
    config.model.preset = None
    config.model.backbone_preset = None
    config.model.encoder_weights = None
    config.model.init_weights = None
    config.model.encoder_checkpoint = None
    config.model.checkpoint = None


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
        # ResNetV1c exists at depths 50 / 101 only (mmseg's Bottleneck networks).
        config.model.depth = 50 if config.model.get("encoder") == "resnet_v1c" else 18
        config.model.variant = {"uper_net_swin": "micro", "uper_net_beit": "tiny"}.get(config.model.name, "b0")
        config.model.channels = 16  # the mmseg heads' 3x3 convs at 512 would dominate the step
        if config.model.name == "ocr_net_hrnet":
            config.model.width = 4  # HRNetV2's full depth, branches 4 / 8 / 16 / 32 wide
        config.auxiliary_head.channels = 16
    else:
        config.model.name = "small_fcn"
        config.model.width = 8
        config.model.encoder = None  # the small FCN has no ResNet
        config.auxiliary_head.enabled = False  # the small FCN has no stage-3 map
        config.optimizer.layer_decay = None  # the FCN has no numbered blocks
        # Unused by the FCN; fixed so smoke configs differing only in depth coincide.
        config.model.depth = 18
        config.model.variant = "b0"
    config.model.image_size = size
    _clear_pretrained_weights(config)  # smoke runs stay offline
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
      MiT-B0 / the "micro" Swin / HRNetV2-W4 at 64 px, heads 16 channels wide) and
      its auxiliary head.
    - `multi_scale`: evaluate multi-scale + flip (the paper's m.s. column).
    - `authors_head`: the region branch of the authors' released code
      (`keras_rr.layers.REGION_HEAD_PRESETS["authors"]`, docs/method.md section 3):
      frozen random 1x1 conv + BN to 128
      channels, align-corners upsampling to the labels, one region per class of the
      batch, frozen MLP 128 -> 512 -> K with dropout 0.1, true-class target 0.5, prior
      `log(F / sum F + 1e-12)`, region loss weight 1.0.
    - `random_init`: no pretrained weights (presets and weight files cleared): the
      config's network from random initialisation, offline.
    - `resnet_v1c`: the `*_resnet_c` models on mmseg's ResNetV1c (the paper's encoder,
      `model.encoder="resnet_v1c"`) in place of KerasHub's ResNet-vd preset
      (`model.backbone_preset` cleared); its open-mmlab ImageNet weights load from a
      local torch file with `--config.model.encoder_checkpoint=/path/resnet50_v1c.pth`.
      ResNetV1c has depths 50 and 101 only: a smaller depth (`smoke_model`'s 18)
      becomes 50. Other networks (Swin, MiT, the small FCN) are left as they are.

    Args:
        config: `ml_collections.ConfigDict`.
        arg: str or None. Variant names, e.g. `"smoke"` or `"smoke,multi_scale"`.

    Returns:
        The same config, modified.

    Example:

    >>> config = apply_variant(load_config("configs/ade20k/base.py"), "smoke")
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
            config.region_rebalance.update(REGION_HEAD_PRESETS["authors"])
            config.region_rebalance.loss_weight = REGION_LOSS_WEIGHTS["authors"]
        elif name == "random_init":
            _clear_pretrained_weights(config)
        elif name == "resnet_v1c":
            if "encoder" in SEGMENTER_BUILDERS[config.model.name][1]:  # other networks: no ResNet
                config.model.encoder = "resnet_v1c"
                config.model.backbone_preset = None
                if config.model.depth not in RESNET_V1C_DEPTHS:  # after `smoke_model`'s 18
                    config.model.depth = 50
        elif name:
            raise ValueError(f"Unknown config variant. Expected names from {VARIANTS}. Received: variant={name!r}")
    return config


def load_config(path, overrides=None):
    """Loads `get_config(arg)` from a config file, as `--config=path[:arg]` does.

    The file runs as a module with `__file__` set, so a config file can derive from a
    sibling: `load_config(os.path.join(os.path.dirname(__file__), "base.py"))`.

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


def validate_config(config):
    """Checks the fields the trainer relies on; raises `ValueError` with the field name.

    Args:
        config: `ml_collections.ConfigDict`.

    Returns:
        `config`, unchanged.

    Example:

    >>> validate_config(load_config("configs/synthetic/small_fcn_rr.py"))
    """

    for section in ("data", "model", "region_rebalance", "loss", "optimizer", "schedule", "train", "eval"):
        if section not in config:
            raise ValueError(f"The config has no `{section}` section. Received sections: {sorted(config.keys())}")
    for value, choices, field in (
        (config.data.name, tuple(sorted(DATASETS)), "data.name"),
        (config.loss.name, PIXEL_LOSSES, "loss.name"),
        (config.region_rebalance.pooling_resolution, POOLING_RESOLUTIONS, "region_rebalance.pooling_resolution"),
        (config.region_rebalance.get("region_scope", "image"), REGION_SCOPES, "region_rebalance.region_scope"),
        (config.region_rebalance.get("pooling_method", "auto"), POOLING_METHODS, "region_rebalance.pooling_method"),
        (config.optimizer.name, OPTIMIZER_NAMES, "optimizer.name"),
        (config.schedule.name, SCHEDULE_NAMES, "schedule.name"),
        (config.train.strategy, STRATEGIES, "train.strategy"),
        (config.eval.mode, EVAL_MODES, "eval.mode"),
        (config.data.get("repeat_factor_reduce", "max"), REDUCTIONS, "data.repeat_factor_reduce"),
        (config.data.get("repeat_factor_frequency", "image"), FREQUENCIES, "data.repeat_factor_frequency"),
        (config.data.get("copy_paste", {}).get("mode", "none"), COPY_PASTE_MODES, "data.copy_paste.mode"),
    ):
        validation.check_choice(value, choices, field)
    check_model_config(config.model)
    validation.check_num_classes(config.data.num_classes, name="data.num_classes")
    for field in ("batch_size", "total_steps", "checkpoint_every", "log_every", "keep_checkpoints"):
        validation.check_int(config.train[field], f"train.{field}", minimum=1)
    validation.check_int(config.train.eval_every, "train.eval_every", minimum=0)
    validation.check_int(config.eval.batch_size, "eval.batch_size", minimum=1)
    if "copy_paste" in config.data:
        validation.check_int(config.data.copy_paste.max_classes, "data.copy_paste.max_classes", minimum=1)
    if config.data.get("repeat_factor_threshold") is not None:
        validation.check_number(
            config.data.repeat_factor_threshold, "data.repeat_factor_threshold", minimum=0.0, min_inclusive=False
        )
    validation.check_number(
        config.optimizer.learning_rate, "optimizer.learning_rate", minimum=0.0, min_inclusive=False
    )
    validation.check_number(config.region_rebalance.loss_weight, "region_rebalance.loss_weight", minimum=0.0)
    validation.check_strings(
        config.optimizer.get("exclude_from_weight_decay") or (), "optimizer.exclude_from_weight_decay"
    )
    if config.optimizer.get("layer_decay") is not None:
        validation.check_number(
            config.optimizer.layer_decay, "optimizer.layer_decay", minimum=0.0, maximum=1.0, min_inclusive=False
        )
        if config.optimizer.name != "adamw":
            raise ValueError(
                "`optimizer.layer_decay` needs `optimizer.name='adamw'` (`keras_rr.optimizers.LayerDecayAdamW`). "
                f"Received: optimizer.name={config.optimizer.name!r}, "
                f"optimizer.layer_decay={config.optimizer.layer_decay}"
            )
    if "auxiliary_head" in config:
        validation.check_number(config.auxiliary_head.loss_weight, "auxiliary_head.loss_weight", minimum=0.0)
        validation.check_int(config.auxiliary_head.channels, "auxiliary_head.channels", minimum=1)
    if config.data.name == "directory":
        _check_directory_fields(config.data)
    if config.data.name in ("ade20k", "ade20k_full", "coco_stuff164k", "coco_stuff_lt") and not config.data.data_dir:
        raise ValueError(
            f"Dataset {config.data.name!r} needs `data.data_dir` (e.g. --config.data.data_dir=/data/...). "
            "Received: data.data_dir=None"
        )
    return config


def _check_directory_fields(data):
    """`data.name="directory"`: the four folders are set and exist, the names file too."""
    for field, kwargs_name, key in (
        ("image_dir", "loader_kwargs", "image_dir"), ("label_dir", "loader_kwargs", "label_dir"),
        ("val_image_dir", "val_loader_kwargs", "image_dir"), ("val_label_dir", "val_loader_kwargs", "label_dir"),
    ):
        path = data.get(field) or data[kwargs_name].get(key)
        if not path:
            raise ValueError(
                f"`data.name='directory'` trains on your own folders and needs `data.{field}`, e.g. "
                f"--config.data.{field}=/path/to/folder (see docs/getting-started.md, \"A first RR fit on your own folder\"). "
                f"Received: data.{field}=None"
            )
        if not os.path.isdir(os.path.expanduser(path)):
            raise ValueError(f"`data.{field}` is not a folder. Received: data.{field}={path!r}")
    names = data.get("class_names_file")
    if names and not os.path.isfile(os.path.expanduser(names)):
        raise ValueError(f"`data.class_names_file` is not a file. Received: data.class_names_file={names!r}")
