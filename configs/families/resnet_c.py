"""UPerNet and PSPNet on ResNet-50c / 101c: what their rows of the paper's Tables 3 and 4 share.

Not a config of its own: a row (configs/<dataset>/{upernet,pspnet}_r{50,101}_baseline.py)
loads its dataset's base.py, which states the paper's CNN recipe (SGD lr 0.01, momentum
0.9, coupled L2 weight decay 1e-4, poly 0.9, batch 16 of 512 crops, 160K steps on
ADE20K, 320K on COCO-Stuff164K, sliding-window evaluation), updates it with
`get_config("<row>")` below (its network, depth and preset) and enables the auxiliary
head; its `_rr` twin adds the region branch.

Networks (mmsegmentation's configs, heads checked against mmseg's definitions):
- `upernet_r{50,101}`: `model.name = "uper_net_resnet_c"` (`keras_rr.models.uper_net_resnet_c`),
  UPerHead (PPM bins 1, 2, 3, 6 on stage 4, FPN over the four stages, 512 channels) on
  an undilated ResNet-c (output stride 32);
- `pspnet_r{50,101}-d8`: `model.name = "psp_net_resnet_c"` (`keras_rr.models.psp_net_resnet_c`),
  PSPHead (PPM bins 1, 2, 3, 6, 512 channels) on the ResNet-c dilated to output
  stride 8;
- both with mmseg's auxiliary FCN head on stage 3 (256 channels, loss weight 0.4), a
  training-only branch like the region branch: absent from the exported segmenter.
Weights: the encoder from KerasHub's ImageNet-1k presets `resnet_vd_50_imagenet` /
`resnet_vd_101_imagenet` (downloaded on first use; offline, pass a `save_to_preset`
directory with --config.model.backbone_preset=DIR, or train from random weights with
`:random_init`); the heads start from random weights (mmcv's initialisation).

Differences from the paper's setup: KerasHub's ResNet-vd is mmseg's ResNetV1d (its
stage shortcuts average-pool; the paper's ResNetV1c does not) and its ImageNet weights
are KerasHub's, not mmseg's `open-mmlab://resnet{50,101}_v1c` checkpoints; BatchNorm
statistics are per replica (mmseg: SyncBN); the weight decay is the paper's 1e-4
(mmseg's own schedules use 5e-4).
"""


# The rows: `arg` -> (model.name, model.depth, model.backbone_preset).
ROWS = {
    "upernet_r50": ("uper_net_resnet_c", 50, "resnet_vd_50_imagenet"),
    "upernet_r101": ("uper_net_resnet_c", 101, "resnet_vd_101_imagenet"),
    "pspnet_r50": ("psp_net_resnet_c", 50, "resnet_vd_50_imagenet"),
    "pspnet_r101": ("psp_net_resnet_c", 101, "resnet_vd_101_imagenet"),
}


def get_config(arg):
    import ml_collections

    from keras_rr import validation

    name, depth, preset = ROWS[validation.check_choice(arg, tuple(ROWS), "row")]
    config = ml_collections.ConfigDict()
    config.model = ml_collections.ConfigDict()
    config.model.name = name
    config.model.depth = depth
    config.model.backbone_preset = preset
    config.model.image_size = 512
    # mmseg's auxiliary FCNHead on stage 3 (`keras_rr.models.AuxiliaryFCNHead`); the rows enable it.
    config.auxiliary_head = ml_collections.ConfigDict({"loss_weight": 0.4, "channels": 256})
    return config
