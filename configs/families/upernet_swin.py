"""UPerNet on Swin-T / Swin-B†: mmsegmentation's Swin recipe, the paper's "default" for Swin.

Not a config of its own: a row (configs/<dataset>/upernet_swin_{t,b}_baseline.py) loads
its dataset's base.py (data, augmentation, batch 16 of 512 crops, sliding-window
evaluation), updates it with `get_config("<row>")` below, which replaces the base's
SGD schedule and names the Swin size and preset, and enables the auxiliary head; its
`_rr` twin adds the region branch.

Recipe (mmseg's `upernet_swin_*_512x512_160k_ade20k` configs, also those of the
authors' release): AdamW, lr 6e-5, betas 0.9 / 0.999, weight decay 0.01 except on
every variable whose path contains "norm", "relative_position_bias_table" or
"absolute_pos_embed" (mmseg's `paramwise_cfg` `custom_keys` with `decay_mult=0`; our
Swin has no absolute position embedding, like mmseg's `use_abs_pos_embed=False`:
the excluded variables are exactly the LayerNorms and the relative-position tables);
linear warmup over 1,500 iterations from 1e-6 x lr, then poly power 1.0 down to 0;
160K iterations, batch 16; stochastic depth 0.3 in the encoder.

Network: `model.name = "uper_net_swin"` (`keras_rr.models.uper_net_swin`): UPerHead
(512 channels) on the four Swin stages (before patch merging, through a LayerNorm each,
as mmseg's Swin returns them) and mmseg's auxiliary FCN head on stage 3 (256
channels, loss weight 0.4, training only, absent from the exported segmenter).
Weights: the encoder from a KerasHub Swin preset (downloaded on first use; offline,
--config.model.backbone_preset=DIR takes a `save_to_preset` directory; `:random_init`
trains from random weights); the heads from random weights. The presets:
- Swin-T: `swin_tiny_patch4_window7_224` (window 7, ImageNet-1k at 224 px), the
  paper's pretraining (mmseg's `pretrain_224x224_1K`).
- Swin-B† (paper: ImageNet-22K pretraining; the authors' config: window 12,
  `swin_base_patch4_window12_384_22k.pth`, pretrained at 384 px): KerasHub 0.32 ships
  no ImageNet-22K Swin; `swin_base_patch4_window12_384` has the same size, window 12
  and 384-px pretraining. KerasHub's metadata says ImageNet-1k; its conversion script
  takes Hugging Face's `microsoft/swin-base-patch4-window12-384`, which Hugging Face
  converted from timm, whose default for that name was Microsoft's
  `swin_base_patch4_window12_384_22kto1k.pth`: ImageNet-22K pretraining followed by
  ImageNet-1k fine-tuning (read from the conversion code, not checked against the
  weights). Either way it is not the 22K-only checkpoint the paper used; mmseg reports
  50.76 (22K) vs 48.35 (1K) s.s. mIoU for this UPerNet on ADE20K.

Differences from the paper's setup: the pretrained weights above; KerasHub's Swin pads
a stage map that its window does not divide after the cyclic shift, mmseg before it
(512-px crops: window 7 pads the 128, 64, 32, 16 maps; window 12 too), so shifted
windows differ at the padded borders; BatchNorm statistics in the heads are per
replica (mmseg: SyncBN); Keras' AdamW epsilon is 1e-7 (torch's 1e-8); the evaluation
is the dataset base's (mmseg's Swin configs test whole images resized to 2048x512). On
COCO-Stuff164K the paper gives no Swin schedule (its CNN rows train 320K steps, mmseg
has no Swin COCO-Stuff config): these rows keep the Swin schedule's 160K steps.
"""


# The rows: `arg` -> (model.variant, model.backbone_preset).
ROWS = {
    "swin_t": ("tiny", "swin_tiny_patch4_window7_224"),
    "swin_b": ("base_window12", "swin_base_patch4_window12_384"),
}


def get_config(arg):
    import ml_collections

    from keras_rr import validation

    variant, preset = ROWS[validation.check_choice(arg, tuple(ROWS), "row")]
    config = ml_collections.ConfigDict()
    config.model = ml_collections.ConfigDict()
    config.model.name = "uper_net_swin"
    config.model.variant = variant
    config.model.backbone_preset = preset
    config.model.image_size = 512
    # mmseg's auxiliary FCNHead on stage 3 (`keras_rr.models.AuxiliaryFCNHead`); the rows enable it.
    config.auxiliary_head = ml_collections.ConfigDict({"loss_weight": 0.4, "channels": 256})

    optimizer = config.optimizer = ml_collections.ConfigDict()
    optimizer.name = "adamw"
    optimizer.learning_rate = 6e-5
    optimizer.beta_1 = 0.9
    optimizer.beta_2 = 0.999
    optimizer.weight_decay = 0.01
    # mmseg's `paramwise_cfg=dict(custom_keys={key: dict(decay_mult=0.)})`: no decay on these.
    optimizer.exclude_from_weight_decay = ("absolute_pos_embed", "relative_position_bias_table", "norm")

    schedule = config.schedule = ml_collections.ConfigDict()
    schedule.name = "poly"
    schedule.power = 1.0
    schedule.end_learning_rate = 0.0
    schedule.warmup_steps = 1500
    schedule.warmup_ratio = 1e-6

    config.train = ml_collections.ConfigDict()
    config.train.total_steps = 160_000
    return config
