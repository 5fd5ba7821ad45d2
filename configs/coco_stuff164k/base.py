"""COCO-Stuff164K base recipe (171 classes): the paper's mmsegmentation schedule, stated in full.

The paper-row files in this folder load this file and set the model, the region branch
and (SegFormer) the optimizer; everything else here is shared by them. Recipe (paper
Sec. 4.1; docs/method.md, section 6): SGD with momentum 0.9, lr 0.01, weight decay
1e-4, poly schedule (power 0.9, down to 1e-4), batch 16 of 512x512 crops, 320K
iterations; random rescale 0.5-2.0 + crop (cat_max_ratio 0.75) + flip + photometric
jitter; sliding-window evaluation (512 crop, stride 341), multi-scale with the
`multi_scale` variant. As a run of its own it is the DeepLabV3+ ResNet-50c baseline
(configs/ade20k/base.py describes the network, its weights and how they differ from
the paper's).

Launch:

    python -m keras_rr.tools.train --config=configs/coco_stuff164k/base.py \
        --workdir=runs/coco_stuff164k/base --config.data.data_dir=/data/coco_stuff164k

Variants (--config=configs/coco_stuff164k/base.py:<variant>): smoke, smoke_model, multi_scale,
authors_head, random_init (comma-separated to combine).
"""

from keras_rr.training import config as rr_config


def get_config(arg=None):
    config = rr_config.default_config()
    config.name = "coco_stuff164k_base"

    # Data: the cocostuff-164k folders (set --config.data.data_dir); 255 = unlabeled.
    config.data.name = "coco_stuff164k"
    config.data.train_split = "train2017"
    config.data.val_split = "val2017"
    config.data.num_classes = 171
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
    config.train.total_steps = 320_000
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
