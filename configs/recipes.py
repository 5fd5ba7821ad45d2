"""The values behind every config file, as data: recipes, datasets, network families, rows.

Not a config of its own. Each file under `configs/<dataset>/` is a docstring (paper
numbers, network, weights, launch command) and a two-line `get_config` that loads this
file with the file's run name, e.g. `recipes.py:ade20k_upernet_r50_rr`, and applies the
`:variant` (`keras_rr.training.config.apply_variant`). A run name
`<dataset>_<row>_<baseline|rr>` stacks these layers on the schema
(`keras_rr.training.config.default_config`), each later one winning:

    DATASETS[dataset]    the training recipe and what the dataset changes in it
    FAMILIES[family]     the row's network family (and its own optimizer, if it has one)
    ROWS[row]            the family's depth or size and the pretrained weights
    REGION_REBALANCE     `_rr` only: the region branch, λ = 0.3

`<dataset>_base` is the `BASE_ROWS[dataset]` row as a baseline. A layer is
`{section: {field: value}}` over the schema's fields; a misspelt field raises. So the
values in force for a config are this file's layers for its name, nothing else. The
comments above each family say what the network is, where its weights come from and how
both differ from the paper's.
"""

from keras_rr import validation
from keras_rr.training import config as rr_config

# SGD with momentum and coupled L2 weight decay, poly decay without warmup (the paper's;
# the synthetic recipe keeps it so its runs behave like the paper's).
SGD_POLY = {
    "optimizer": dict(name="sgd", learning_rate=0.01, momentum=0.9, weight_decay=1e-4),
    "schedule": dict(name="poly", power=0.9, warmup_steps=0),
}

# The paper's mmsegmentation recipe (paper Sec. 4.1; docs/method.md, section 6): SGD
# above, poly down to 1e-4, batch 16 of 512x512 crops, 160K iterations; random rescale
# 0.5-2.0 + crop (cat_max_ratio 0.75) + flip + photometric jitter; sliding-window
# evaluation (512 crop, stride 341; full-resolution images differ in size, so one per
# batch), multi-scale 0.5-1.75 + flip with the `multi_scale` variant. Region Rebalance
# off (the `_rr` rows add REGION_REBALANCE).
MMSEG_160K = {
    "data": dict(ignore_class=255),  # 255 = unlabeled
    # scale="crop": mmseg's img_scale (2048, 512).
    "data.augment": dict(
        enabled=True, crop_size=512, scale="crop", ratio_range=(0.5, 2.0), cat_max_ratio=0.75,
        flip_probability=0.5, photometric=True,
    ),
    "region_rebalance": dict(enabled=False, loss_weight=0.3),
    "loss": dict(name="cross_entropy"),
    "schedule": dict(end_learning_rate=1e-4),
    # batch_size: global, over all replicas.
    "train": dict(batch_size=16, total_steps=160_000, checkpoint_every=4000, log_every=50, eval_every=16_000, seed=0),
    "eval": dict(mode="slide", crop_size=512, stride=341, batch_size=1, scales=rr_config.PAPER_SCALES, flip=True),
}

# `keras_rr.data.synthetic_long_tailed`: 600 training / 200 validation images of 64 px,
# 12 classes, region imbalance 30, generated (no download), no augmentation; SGD above
# with poly down to 0, 1200 steps of batch 16 (about 32 epochs; minutes on a CPU),
# whole-image evaluation. Ablations are fields, e.g. --config.loss.name=reweighting or
# --config.region_rebalance.loss_weight=0.1 (benchmarks/ablations.py runs them all).
SYNTHETIC = {
    "data": dict(name="synthetic", num_classes=12, ignore_class=255),
    "data.synthetic": dict(
        num_images=600, val_images=200, image_size=64, imbalance=30.0, noise=0.06, seed=0, val_seed=1, class_seed=0,
    ),
    "data.augment": dict(enabled=False),
    "region_rebalance": dict(enabled=False, loss_weight=0.3),
    "loss": dict(name="cross_entropy"),
    "schedule": dict(end_learning_rate=0.0),
    "train": dict(batch_size=16, total_steps=1200, checkpoint_every=200, log_every=20, eval_every=400, seed=0),
    "eval": dict(mode="whole", batch_size=16, scales=rr_config.PAPER_SCALES, flip=True),
}

# Each dataset: its layers in order. ADE20K: ADEChallengeData2016 (set
# --config.data.data_dir); COCO-Stuff164K: the cocostuff-164k folders, trained 320K
# iterations as in the paper.
DATASETS = {
    "ade20k": (
        SGD_POLY, MMSEG_160K,
        {"data": dict(name="ade20k", train_split="training", val_split="validation", num_classes=150)},
    ),
    "coco_stuff164k": (
        SGD_POLY, MMSEG_160K,
        {"data": dict(name="coco_stuff164k", train_split="train2017", val_split="val2017", num_classes=171)},
        {"train": dict(total_steps=320_000)},
    ),
    "synthetic": (SGD_POLY, SYNTHETIC),
    # The LTSS benchmark (`keras_rr.data.load_ade20k_full`, `load_coco_stuff_lt`), with the
    # iterations of LTSS's DeepLabV3+ R50 runs (200K, 320K). ADE20K-Full's labels keep
    # 65535 as unlabeled (255 is a class). Region Rebalance classifies the regions of the
    # classes present in an image only (`max_regions_per_image="auto"` from the class
    # statistics), so 847 classes cost what a few dozen do.
    "ade20k_full": (
        SGD_POLY, MMSEG_160K,
        {"data": dict(name="ade20k_full", train_split="training", val_split="validation", num_classes=847,
                      ignore_class=65535)},
        {"train": dict(total_steps=200_000)},
    ),
    "coco_stuff_lt": (
        SGD_POLY, MMSEG_160K,
        {"data": dict(name="coco_stuff_lt", train_split="train2017", val_split="val2017", num_classes=171)},
        {"train": dict(total_steps=320_000)},
    ),
}
# `<dataset>_base`: the dataset's recipe with this row's network, as a baseline.
BASE_ROWS = {
    "ade20k": "deeplabv3plus_r50", "coco_stuff164k": "deeplabv3plus_r50", "synthetic": "small_fcn",
    "ade20k_full": "deeplabv3plus_r50", "coco_stuff_lt": "deeplabv3plus_r50",
}

# mmseg's auxiliary FCNHead on stage 3 (`keras_rr.models.AuxiliaryFCNHead`; 256 channels,
# loss weight 0.4): a training-only branch like the region branch, absent from the
# exported segmenter. The paper's mmseg models (DeepLabV3+, UPerNet, PSPNet) train with it.
AUXILIARY_HEAD = {"auxiliary_head": dict(enabled=True, loss_weight=0.4, channels=256)}

# AdamW with linear warmup over 1,500 iterations from 1e-6 x lr, then poly power 1.0
# down to 0 (mmseg's Swin and SegFormer schedules).
ADAMW_WARMUP = {
    "optimizer": dict(name="adamw", learning_rate=6e-5, beta_1=0.9, beta_2=0.999, weight_decay=0.01),
    "schedule": dict(name="poly", power=1.0, end_learning_rate=0.0, warmup_steps=1500, warmup_ratio=1e-6),
}

FAMILIES = {
    # A small BatchNorm-free encoder-decoder CNN (`keras_rr.models.segmenter_builders.small_fcn`),
    # random weights.
    "small_fcn": ({"model": dict(name="small_fcn", width=32, image_size=64)},),
    # DeepLabV3+ (mmseg's; `keras_rr.models.deeplab_v3_plus_resnet_c`): ResNet-50/101 with the
    # deep 3x3 stem, dilated to output stride 8 (strides 1, 2, 1, 1; dilations 1, 1, 2, 4),
    # depthwise-separable ASPP (dilations 12, 24, 36) on the stride-8 map and the 1/4
    # low-level decoder, 512 channels, with the auxiliary head.
    # UPerNet (mmseg's `upernet_r{50,101}`; `keras_rr.models.uper_net_resnet_c`): UPerHead (PPM
    # bins 1, 2, 3, 6 on stage 4, FPN over the four stages, 512 channels) on an undilated
    # ResNet-c (output stride 32), with the auxiliary head.
    # PSPNet (mmseg's `pspnet_r{50,101}-d8`; `keras_rr.models.psp_net_resnet_c`): PSPHead (PPM
    # bins 1, 2, 3, 6, 512 channels) on the ResNet-c dilated to output stride 8, with the
    # auxiliary head.
    # Weights (ROWS): the encoder from KerasHub's ImageNet-1k presets `resnet_vd_{50,101}_imagenet`
    # (downloaded on first use; offline, pass a `save_to_preset` directory with
    # --config.model.backbone_preset=DIR, or train from random weights with `:random_init`);
    # the heads start from random weights (mmcv's initialisation).
    # The paper's encoder (the documented way to match the paper): the `:resnet_v1c` variant
    # builds mmseg's ResNetV1c itself (`keras_rr.models.resnet_v1c_backbone`; deep stem,
    # strided 1x1 shortcuts; `model.encoder = "resnet_v1c"`, no KerasHub preset) behind
    # mmseg's input normalisation, and `--config.model.encoder_checkpoint=/path/resnet50_v1c.pth`
    # (resnet101_v1c.pth for the R101 rows) loads the open-mmlab ImageNet weights
    # (`open-mmlab://resnet{50,101}_v1c`, a local torch file: nothing is downloaded).
    # Differences from the paper with the default KerasHub encoder: KerasHub's ResNet-vd is
    # mmseg's ResNetV1d (its stage shortcuts average-pool; the paper's ResNetV1c does not)
    # and its ImageNet weights are KerasHub's, not mmseg's `open-mmlab://resnet{50,101}_v1c`
    # checkpoints (both fixed by `:resnet_v1c` with the checkpoint above); BatchNorm
    # statistics are per replica (mmseg: SyncBN); the weight decay is the paper's 1e-4
    # (mmseg's own schedules use 5e-4). The optimizer is the paper's coupled-L2 SGD.
    "deeplabv3plus_resnet_c": ({"model": dict(name="deeplab_v3_plus_resnet_c", image_size=512)}, AUXILIARY_HEAD),
    "upernet_resnet_c": ({"model": dict(name="uper_net_resnet_c", image_size=512)}, AUXILIARY_HEAD),
    "pspnet_resnet_c": ({"model": dict(name="psp_net_resnet_c", image_size=512)}, AUXILIARY_HEAD),
    # UPerNet on Swin (`keras_rr.models.uper_net_swin`): UPerHead (512 channels) on the four
    # Swin stages (before patch merging, through a LayerNorm each, as mmseg's Swin returns
    # them), with the auxiliary head. Recipe: mmseg's `upernet_swin_*_512x512_160k_ade20k`
    # (also the authors' release), which the paper kept: ADAMW_WARMUP, weight decay 0.01
    # except on every variable whose path contains "norm", "relative_position_bias_table" or
    # "absolute_pos_embed" (mmseg's `paramwise_cfg` `custom_keys` with `decay_mult=0`; our
    # Swin has no absolute position embedding, like mmseg's `use_abs_pos_embed=False`: the
    # excluded variables are exactly the LayerNorms and the relative-position tables), 160K
    # iterations, batch 16; stochastic depth 0.3 in the encoder.
    # Weights (ROWS): the encoder from a KerasHub Swin preset (downloaded on first use;
    # offline, --config.model.backbone_preset=DIR takes a `save_to_preset` directory;
    # `:random_init` trains from random weights); the heads from random weights.
    # - Swin-T: `swin_tiny_patch4_window7_224` (window 7, ImageNet-1k at 224 px), the paper's
    #   pretraining (mmseg's `pretrain_224x224_1K`).
    # - Swin-B† (paper: ImageNet-22K pretraining; the authors' config: window 12,
    #   `swin_base_patch4_window12_384_22k.pth`, pretrained at 384 px): KerasHub 0.32 ships no
    #   ImageNet-22K Swin; `swin_base_patch4_window12_384` has the same size, window 12 and
    #   384-px pretraining. KerasHub's metadata says ImageNet-1k; its conversion script takes
    #   Hugging Face's `microsoft/swin-base-patch4-window12-384`, which Hugging Face converted
    #   from timm, whose default for that name was Microsoft's
    #   `swin_base_patch4_window12_384_22kto1k.pth`: ImageNet-22K pretraining followed by
    #   ImageNet-1k fine-tuning (read from the conversion code, not checked against the
    #   weights). Either way it is not the 22K-only checkpoint the paper used; mmseg reports
    #   50.76 (22K) vs 48.35 (1K) s.s. mIoU for this UPerNet on ADE20K.
    # Differences from the paper: the pretrained weights above; KerasHub's Swin pads a stage
    # map that its window does not divide after the cyclic shift, mmseg before it (512-px
    # crops: window 7 pads the 128, 64, 32, 16 maps; window 12 too), so shifted windows
    # differ at the padded borders; BatchNorm statistics in the heads are per replica (mmseg:
    # SyncBN); Keras' AdamW epsilon is 1e-7 (torch's 1e-8); the evaluation is the dataset's
    # sliding window (mmseg's Swin configs test whole images resized to 2048x512). On
    # COCO-Stuff164K the paper gives no Swin schedule (its CNN rows train 320K steps, mmseg
    # has no Swin COCO-Stuff config): these rows keep the Swin schedule's 160K steps.
    "upernet_swin": (
        {"model": dict(name="uper_net_swin", image_size=512)},
        AUXILIARY_HEAD,
        ADAMW_WARMUP,
        # mmseg's `paramwise_cfg=dict(custom_keys={key: dict(decay_mult=0.)})`: no decay on these.
        {"optimizer": dict(exclude_from_weight_decay=("absolute_pos_embed", "relative_position_bias_table", "norm"))},
        {"train": dict(total_steps=160_000)},
    ),
    # OCRNet (mmseg's `ocrnet_hr{18,48}_512x512_160k_ade20k`; `keras_rr.models.ocr_net_hrnet`):
    # HRNetV2-W18 / W48 (modules 1, 1, 4, 3; four blocks per branch), its four branches
    # resized to stride 4 and concatenated, an FCN head (one 1x1 ConvModule as wide as
    # its input, no dropout) giving the soft object regions, trained with weight 0.4
    # (`auxiliary_head`: the segmenter computes these logits itself, so the wrapper adds
    # only their loss, `keras_rr.models.InGraphAuxiliaryHead`; `channels` is unused), and
    # the OCR head (512 channels, ocr_channels 256, weight 1.0). Region Rebalance pools
    # the OCR head's object-contextual features, the input of its classifier (the
    # reason: keras_rr/networks/segmenters/ocr_net.py). Recipe: mmseg's, which the paper's
    # OCRNet baselines are (its W18 / W48 ADE20K numbers are mmseg's model zoo's): the
    # paper's SGD with weight decay 5e-4 (mmseg's `schedule_160k`; the other CNN rows keep
    # the paper's 1e-4), poly 0.9 down to 1e-4, 160K iterations of batch 16 on ADE20K,
    # 320K on COCO-Stuff164K (the paper's CNN schedule; mmseg has no OCRNet COCO-Stuff
    # config).
    # Weights (ROWS): mmseg's `open-mmlab://msra/hrnetv2_w18` / `w48`, the HRNetV2 ImageNet
    # checkpoints `hrnetv2_w18-00eb2006.pth` / `hrnetv2_w48-d2186c55.pth`
    # (download.openmmlab.com/pretrain/third_party/), loaded from a local file with
    # --config.model.encoder_checkpoint=FILE (the torch-checkpoint importer's field); KerasHub
    # has no HRNet preset, so without it the network starts from random weights (mmseg's
    # initialisation), as `:random_init` says. The heads start from random weights.
    # Differences from mmseg: BatchNorm statistics are per replica (mmseg: SyncBN); Keras'
    # coupled-L2 SGD is this package's `CoupledWeightDecaySGD` (as the other rows); the
    # cross-entropy averages over labelled pixels; the evaluation is the dataset's sliding
    # window (mmseg's OCRNet ADE20K configs test whole images resized to 2048x512).
    "ocrnet_hrnet": (
        {"model": dict(name="ocr_net_hrnet", image_size=512)},
        {"auxiliary_head": dict(enabled=True, loss_weight=0.4)},
        {"optimizer": dict(weight_decay=5e-4)},
    ),
    # UPerNet on BEiT (`keras_rr.models.uper_net_beit`; the paper's "UPerNet BEiT-L†", mmseg's
    # `upernet_beit-large_fp16_8x1_640x640_160k_ade20k`): BEiT-L (24 blocks, 1024 wide, relative
    # position bias per block, layer scale 1e-6, stochastic depth 0.2; blocks 7, 11, 15, 23) ->
    # Feature2Pyramid (strides 4, 8, 16, 32) -> UPerHead (1024 channels), with the auxiliary
    # head on the stride-16 map. Recipe (mmseg's, which the paper kept): AdamW lr 2e-5, betas
    # 0.9 / 0.999, weight decay 0.05 with layer-wise lr decay 0.95 (`optimizer.layer_decay`:
    # `keras_rr.optimizers.LayerDecayAdamW`, lr x 0.95 ** (25 - layer id), no decay on 1-D
    # variables), linear warmup 3,000 iterations from 1e-6 x lr then poly power 1.0 to 0,
    # 640x640 crops (base scale 2560x640), batch 16, 160K iterations; sliding-window
    # evaluation with 640 crops, stride 426.
    # Weights: the encoder from the BEiT authors' `beit_large_patch16_224_pt22k_ft22k.pth`
    # (ImageNet-22K, 224 px), a local torch file loaded with
    # --config.model.encoder_checkpoint=/path/beit_large_patch16_224_pt22k_ft22k.pth (the
    # importer `keras_rr.models.load_torch_weights` resizes its 27x27 relative-position tables to
    # the 640-px model's 79x79 with `keras_rr.models.resize_relative_position_table`, as mmseg
    # does); without it the encoder starts from random weights. The neck and heads start
    # from random weights.
    # Differences from the paper / mmseg: mmseg trains in fp16 with batch 8 x 1 and gradient
    # accumulation over 2 steps (effective 16; here batch 16, float32 unless a mixed policy is
    # set); BatchNorm statistics in the neck and heads are per replica (mmseg: SyncBN); Keras'
    # Adam places epsilon (1e-8, torch's) outside the bias-corrected square root; mmseg feeds
    # the network images normalised with ImageNet mean / std, this model (like the other
    # rows without a KerasHub preset) takes the pipeline's 0-255 images unless built with
    # `uper_net_beit(..., normalization=...)`: pretrained torch weights need that
    # normalisation (see docs/networks/beit.md).
    "upernet_beit": (
        {"model": dict(name="uper_net_beit", image_size=640)},
        AUXILIARY_HEAD,
        {
            "optimizer": dict(name="adamw", learning_rate=2e-5, beta_1=0.9, beta_2=0.999, weight_decay=0.05,
                              layer_decay=0.95),
            "schedule": dict(name="poly", power=1.0, end_learning_rate=0.0, warmup_steps=3000, warmup_ratio=1e-6),
        },
        {"data.augment": dict(crop_size=640), "eval": dict(crop_size=640, stride=426)},
        {"train": dict(total_steps=160_000)},
    ),
    # SegFormer (KerasHub's; `model.name = "segformer_mit"`) on a Mix Transformer encoder, with
    # SegFormer's own recipe ADAMW_WARMUP in place of the SGD; no auxiliary head (mmseg's
    # SegFormer has none). Not a paper row (its transformer rows use Swin and BEiT); a light
    # model for smaller GPUs. Weights (ROWS): the encoder from `mit_b0_ade20k_512`, the only
    # MiT weights KerasHub ships. They are not ImageNet-1k weights: they are the encoder of a
    # SegFormer already trained on ADE20K, so on ADE20K the encoder has seen the training set
    # (and on other datasets it brings ADE20K's classes); numbers are not comparable with
    # ImageNet-initialised SegFormer runs. The decoder starts from random weights.
    # `:random_init` trains from random weights, offline; --config.model.backbone_preset=DIR
    # takes a `save_to_preset` directory.
    "segformer_mit": (
        {"model": dict(name="segformer_mit", image_size=512), "auxiliary_head": dict(enabled=False)},
        ADAMW_WARMUP,
    ),
}

# The rows: name -> (family, its layer). ResNet depths take KerasHub's ResNet-vd ImageNet presets.
_R50 = {"model": dict(depth=50, backbone_preset="resnet_vd_50_imagenet")}
_R101 = {"model": dict(depth=101, backbone_preset="resnet_vd_101_imagenet")}
ROWS = {
    "small_fcn": ("small_fcn", {}),
    "deeplabv3plus_r50": ("deeplabv3plus_resnet_c", _R50),
    "deeplabv3plus_r101": ("deeplabv3plus_resnet_c", _R101),
    "upernet_r50": ("upernet_resnet_c", _R50),
    "upernet_r101": ("upernet_resnet_c", _R101),
    "pspnet_r50": ("pspnet_resnet_c", _R50),
    "pspnet_r101": ("pspnet_resnet_c", _R101),
    "upernet_swin_t": ("upernet_swin", {"model": dict(variant="tiny", backbone_preset="swin_tiny_patch4_window7_224")}),
    "upernet_swin_b": (
        "upernet_swin", {"model": dict(variant="base_window12", backbone_preset="swin_base_patch4_window12_384")}
    ),
    "ocrnet_hr18": ("ocrnet_hrnet", {"model": dict(width=18)}),
    "ocrnet_hr48": ("ocrnet_hrnet", {"model": dict(width=48)}),
    "upernet_beit_l": ("upernet_beit", {"model": dict(variant="large")}),
    "segformer_b0": ("segformer_mit", {"model": dict(variant="b0", backbone_preset="mit_b0_ade20k_512")}),
}

# The `_rr` rows: the region branch with the region prior, weight λ = 0.3 (the paper's).
REGION_REBALANCE = {"region_rebalance": dict(enabled=True, loss_weight=0.3, rebalance=True)}


def layers(name):
    """The layers of the run `name` (`<dataset>_<row>_<baseline|rr>` or `<dataset>_base`), in order."""
    # The longest matching name: "ade20k_full_..." is not an "ade20k" run.
    dataset = max((d for d in DATASETS if name.startswith(d + "_")), key=len, default=None)
    if dataset is None:
        raise ValueError(f"A run name starts with one of {tuple(DATASETS)} and '_'. Received: name={name!r}")
    row, _, kind = name[len(dataset) + 1 :].rpartition("_")
    if (row, kind) == ("", "base"):
        row, kind = BASE_ROWS[dataset], "baseline"
    validation.check_choice(kind, ("baseline", "rr"), "the run name's last part")
    family, row_layer = ROWS[validation.check_choice(row, tuple(ROWS), "row")]
    return (*DATASETS[dataset], *FAMILIES[family], row_layer, *((REGION_REBALANCE,) if kind == "rr" else ()))


def apply_layer(config, layer):
    """Sets `{section: {field: value}}` on `config`; a field the schema lacks raises."""
    for section, fields in layer.items():
        node = config
        for key in section.split("."):
            node = node[key]
        for field, value in fields.items():
            if field not in node:
                raise ValueError(f"The config schema has no field `{section}.{field}`. Received: {layer}")
            node[field] = value
    return config


def get_config(name):
    """The config of the run `name`, e.g. "ade20k_upernet_r50_rr" (no variant applied)."""
    config = rr_config.default_config()
    config.name = name
    for layer in layers(name):
        apply_layer(config, layer)
    return config
