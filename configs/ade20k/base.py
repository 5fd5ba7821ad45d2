"""ADE20K base recipe (150 classes): the paper's mmsegmentation schedule, stated in full.

The paper-row files in this folder load this file and set the model, the region branch
and (SegFormer) the optimizer; everything else here is shared by them. Recipe (paper
Sec. 4.1; docs/method.md, section 6): SGD with momentum 0.9, lr 0.01, weight decay
1e-4, poly schedule (power 0.9, down to 1e-4), batch 16 of 512x512 crops, 160K
iterations; random rescale 0.5-2.0 + crop (cat_max_ratio 0.75) + flip + photometric
jitter; sliding-window evaluation (512 crop, stride 341), multi-scale with the
`multi_scale` variant. As a run of its own it is the DeepLabV3+ ResNet-50c baseline.

Network and weights of the DeepLabV3+ rows (here and in configs/coco_stuff164k/):
mmsegmentation's DeepLabV3+ (`model.name = "deeplab_v3_plus_resnet_c"`,
`keras_rr.models.deeplab_v3_plus_resnet_c`): ResNet-50/101 with the deep 3x3 stem,
dilated to output stride 8 (strides 1, 2, 1, 1; dilations 1, 1, 2, 4),
depthwise-separable ASPP (dilations 12, 24, 36) on the stride-8 map and the 1/4
low-level decoder, 512 channels, trained with mmseg's auxiliary FCN head on stage 3
(weight 0.4; training only, not exported). The encoder starts from KerasHub's
ImageNet-1k preset `resnet_vd_{50,101}_imagenet` (downloaded on first use; offline, pass
a `save_to_preset` directory with --config.model.backbone_preset=DIR, or train from
random weights with `:random_init`). Differences from the paper's model: KerasHub's
ResNet-vd is mmseg's ResNetV1d (its stage shortcuts average-pool; the paper's ResNetV1c
does not) and its ImageNet weights are KerasHub's, not mmseg's
`open-mmlab://resnet{50,101}_v1c` checkpoints; BatchNorm statistics are per replica
(mmseg: SyncBN). The optimizer is the paper's coupled-L2 SGD.

Launch:

    python -m keras_rr.tools.train --config=configs/ade20k/base.py \
        --workdir=runs/ade20k/base --config.data.data_dir=/data/ADEChallengeData2016

Variants (--config=configs/ade20k/base.py:<variant>): smoke, smoke_model, multi_scale,
authors_head, random_init (comma-separated to combine).
"""

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.default_config()
    config.name = "ade20k_base"

    # Data: ADEChallengeData2016 (set --config.data.data_dir); 255 = unlabeled ("other").
    config.data.name = "ade20k"
    config.data.train_split = "training"
    config.data.val_split = "validation"
    config.data.num_classes = 150
    config.data.ignore_class = 255
    config.data.augment.enabled = True
    config.data.augment.crop_size = 512
    config.data.augment.scale = "crop"  # mmseg img_scale (2048, 512)
    config.data.augment.ratio_range = (0.5, 2.0)
    config.data.augment.cat_max_ratio = 0.75
    config.data.augment.flip_probability = 0.5
    config.data.augment.photometric = True

    # Model (the paper-row files set their own).
    config.model.name = "deeplab_v3_plus_resnet_c"  # the paper's (dilated ResNet-50c, OS 8)
    config.model.depth = 50
    config.model.image_size = 512
    config.model.backbone_preset = "resnet_vd_50_imagenet"  # KerasHub ImageNet-1k weights

    # mmseg's auxiliary FCN head (stage 3, weight 0.4), as the paper's mmseg models train.
    config.auxiliary_head.enabled = True

    # Region Rebalance off; the "_rr" files enable it.
    config.region_rebalance.enabled = False
    config.region_rebalance.loss_weight = 0.3
    config.loss.name = "cross_entropy"

    # Optimizer and schedule.
    config.optimizer.name = "sgd"
    config.optimizer.learning_rate = 0.01
    config.optimizer.momentum = 0.9
    config.optimizer.weight_decay = 1e-4
    config.schedule.name = "poly"
    config.schedule.power = 0.9
    config.schedule.end_learning_rate = 1e-4
    config.schedule.warmup_steps = 0

    # Training.
    config.train.batch_size = 16  # global, over all replicas
    config.train.total_steps = 160_000
    config.train.checkpoint_every = 4000
    config.train.log_every = 50
    config.train.eval_every = 16_000
    config.train.seed = 0

    # Evaluation: full-resolution images differ in size, so one per batch, sliding window.
    config.eval.mode = "slide"
    config.eval.crop_size = 512
    config.eval.stride = 341
    config.eval.batch_size = 1
    config.eval.scales = rr_config.PAPER_SCALES  # multi_scale variant: 0.5-1.75 + flip
    config.eval.flip = True
    return rr_config.apply_variant(config, arg)
