"""UPerNet (mmsegmentation's `UPerHead`) on KerasHub ResNet-c, Swin Transformer and MiT encoders.

The RR paper's UPerNet rows (ResNet-50/101, Swin-T, Swin-B) are mmsegmentation's
`upernet_r{50,101}` (ResNetV1c, undilated: output stride 32) and `upernet_swin_*`
configs. The head (`keras_rr.networks.decode_heads.uper_head`) follows mmseg's `UPerHead`
layer for layer:

- PPM on the last stage (adaptive average pooling to 1, 2, 3, 6 bins, 1x1
  `ConvModule`s, bilinear resizing back), concatenated with that stage and fused by a
  3x3 `ConvModule` (`psp_bottleneck`, mmseg's `bottleneck`);
- FPN: 1x1 lateral `ConvModule`s on the first three stages, a top-down path adding each
  level, bilinearly resized, to the one below (cumulatively, as mmseg updates
  `laterals` in place), 3x3 `fpn` `ConvModule`s on those three levels;
- the four levels resized to stride 4, concatenated and fused by a 3x3 `ConvModule`
  (`fpn_bottleneck`): the decoder features;
- `SpatialDropout2D(0.1)` (torch's `Dropout2d`), a 1x1 classifier with bias (layer
  `"classifier"`), a 4x bilinear upsampling to the input (layer `"logits_upsampling"`).

Every `ConvModule` is conv without bias -> BatchNorm (momentum 0.9, epsilon 1e-5) ->
ReLU with mmcv's Kaiming fan_out initialisation (`keras_rr.networks.layers.conv_module`); all
resizing is half-pixel bilinear (mmseg's `align_corners=False`); width 512.
The stage-3 map is named by the layer `"auxiliary_features"` (stride 16) for the
auxiliary FCN head of mmseg's configs (`keras_rr.models.AuxiliaryFCNHead`), which is a
training-wrapper branch, not part of this model.

Encoders (`keras_rr.models.pyramid_encoder`): a KerasHub `ResNetBackbone` (the ResNet-c
of `keras_rr.networks.backbones.resnet_c`, through `dilated_resnet(..., output_stride=32)`: P2..P5),
a `MiTBackbone` (P1..P4, `keras_rr.models.BackbonePyramid`) or a `SwinTransformerBackbone` (its four stages before patch
merging, `keras_rr.models.SwinTransformerPyramid`, as mmseg's Swin returns them).

Differences from mmsegmentation: BatchNorm is per replica unless synchronised (mmseg:
SyncBN); KerasHub's ResNet-vd is mmseg's ResNetV1d (average-pooling shortcuts, see
`keras_rr.networks.backbones.resnet_c`); KerasHub's Swin pads a stage map that the window does not
divide *after* its cyclic shift where mmseg pads before (512-px crops with window 7:
128, 64, 32, 16 are padded), so shifted windows differ at the padded borders; the
output is 4 x (H / 4) pixels (the input size for the sizes divisible by 32 that the
encoders need).

KerasHub is imported inside the functions, so `import keras_rr` never needs it.

Reference:
    Xiao et al., "Unified Perceptual Parsing for Scene Understanding", ECCV 2018,
    https://arxiv.org/abs/1807.10221. Liu et al., "Swin Transformer: Hierarchical Vision
    Transformer using Shifted Windows", ICCV 2021, https://arxiv.org/abs/2103.14030.
"""
import keras

from keras_rr import validation
from keras_rr.networks.backbones.beit import BEIT_VARIANTS
from keras_rr.networks.backbones.beit import beit_backbone
from keras_rr.networks.backbones.mit import mit_config
from keras_rr.networks.backbones.pyramid_encoder import pyramid_encoder
from keras_rr.networks.backbones.pyramid_encoder import rebuilt_backbone
from keras_rr.networks.backbones.pyramid_encoder import square_image_shape
from keras_rr.networks.backbones.resnet_c import RESNET_C_DEPTHS
from keras_rr.networks.backbones.resnet_c import resnet_c_config
from keras_rr.networks.backbones.resnet_v1c import resnet_v1c_encoder
from keras_rr.networks.backbones.swin import SWIN_VARIANTS
from keras_rr.networks.backbones.swin import swin_config
from keras_rr.networks.decode_heads.auxiliary_fcn_head import mark_auxiliary_features
from keras_rr.networks.decode_heads.feature2pyramid import RESCALES
from keras_rr.networks.decode_heads.feature2pyramid import feature2pyramid
from keras_rr.networks.decode_heads.pyramid_pooling_module import POOL_SCALES
from keras_rr.networks.decode_heads.segmentation_classifier import segmentation_classifier
from keras_rr.networks.decode_heads.uper_head import uper_head
from keras_rr.networks.segmenters import presets

# mmseg's UPerNet Swin configs train with stochastic depth 0.3.
SWIN_DROP_PATH_RATE = 0.3
# mmseg's UPerNet BEiT configs: UPerHead width per BEiT variant.
BEIT_HEAD_CHANNELS = {"base": 768, "large": 1024, "tiny": 32}


def uper_net_segmenter(num_classes, encoder, image_size=512, channels=512, pool_scales=POOL_SCALES, dropout=0.1,
             normalization=None, name="uper_net"):
    """UPerNet (mmseg's `UPerHead`, see the module docstring) on a KerasHub encoder.

    Args:
        num_classes: int. Number of classes.
        encoder: a KerasHub `ResNetBackbone`, `MiTBackbone` or `SwinTransformerBackbone`
            (random or from a preset; see `pyramid_encoder`), or a
            `keras_rr.models.resnet_v1c_backbone(..., output_stride=32)` model.
        image_size: int. Square input size, a multiple of 32. Defaults to `512`.
        channels: int. Head width (mmseg: 512). Defaults to `512`.
        pool_scales: tuple of ints. PPM bins (mmseg: 1, 2, 3, 6).
        dropout: float. Channel dropout before the classifier (mmseg: 0.1).
        normalization: dict or None. `{"scale", "offset"}` of a preset's image
            converter: the model then comes back as a `keras_rr.models.NormalizedSegmenter`
            taking 0-255 RGB images. Defaults to `None`.
        name: str. Model name. Defaults to `"uper_net"`.

    Returns:
        A functional `keras.Model` from images `(B, H, W, 3)` to logits
        `(B, H, W, num_classes)`; the encoder is its layer `"image_encoder"`, the
        stage-3 map its layer `"auxiliary_features"` (stride 16).

    Example:

    >>> encoder = keras_hub.models.Backbone.from_preset("swin_tiny_patch4_window7_224")
    >>> segmenter = uper_net_segmenter(150, encoder, image_size=512)
    """
    num_classes = validation.check_num_classes(num_classes)
    image_size = validation.check_int(image_size, "image_size", minimum=32)
    if image_size % 32:
        raise ValueError(f"`image_size` must be a multiple of 32. Received: image_size={image_size}")
    channels = validation.check_int(channels, "channels", minimum=1)
    pool_scales = tuple(validation.check_int(s, "pool_scales", minimum=1) for s in pool_scales)
    dropout = validation.check_number(dropout, "dropout", minimum=0.0, maximum=1.0, max_inclusive=False)
    image_encoder = pyramid_encoder(encoder, image_size)
    data_format = keras.config.image_data_format()
    images = keras.Input(square_image_shape(image_size, data_format), name="images")
    features = list(image_encoder(images))
    return _uper_net_model(images, features, num_classes, channels, pool_scales, dropout, normalization, name,
                           data_format)


def uper_net_resnet_c(num_classes, depth=50, image_size=512, encoder=None, backbone_preset=None, channels=512,
                      pool_scales=POOL_SCALES, dropout=0.1, name="uper_net_resnet_c"):
    """UPerNet on an undilated ResNet-c: mmsegmentation's `upernet_r{50,101}` (RR paper Table 3/4).

    Args:
        num_classes: int. Number of classes.
        depth: int. Depth of the random ResNet-c built when neither `encoder` nor
            `backbone_preset` is given: 18, 34, 50 or 101 (ResNetV1c: 50 or 101).
            Defaults to `50`.
        image_size: int. Square input size, a multiple of 32. Defaults to `512`.
        encoder: the ResNet: None or `"resnet_vd"` (KerasHub's ResNet-vd of `depth`,
            random), a `keras_hub.models.ResNetBackbone`, `"resnet_v1c"` (mmseg's
            ResNetV1c of `depth`, random, undilated: `keras_rr.models.resnet_v1c_backbone`)
            or a `resnet_v1c_backbone(..., output_stride=32)` model. With a ResNetV1c
            the model takes 0-255 RGB images and normalises them as mmseg does
            (ImageNet mean / std; a `keras_rr.models.NormalizedSegmenter`). Defaults to
            `None`.
        backbone_preset: str, path-like or None. A KerasHub ResNet backbone preset (e.g.
            `"resnet_vd_50_imagenet"` or a `save_to_preset` directory); the model then
            takes 0-255 RGB images (`keras_rr.models.NormalizedSegmenter`). Defaults to
            `None`.
        channels: see `uper_net_segmenter`.
        pool_scales: see `uper_net_segmenter`.
        dropout: see `uper_net_segmenter`.
        name: see `uper_net_segmenter`.

    Returns:
        See `uper_net_segmenter`.

    Example:

    >>> segmenter = uper_net_resnet_c(150, backbone_preset="resnet_vd_50_imagenet")
    >>> segmenter = uper_net_resnet_c(150, encoder="resnet_v1c")  # mmseg's upernet_r50
    """
    import keras_hub

    depth = validation.check_choice(depth, tuple(RESNET_C_DEPTHS), "depth")
    image_size = validation.check_int(image_size, "image_size", minimum=32)
    v1c = resnet_v1c_encoder(encoder, depth, 32, image_size)
    if v1c is not None:
        presets.check_v1c_without_preset(backbone_preset)
        return uper_net_segmenter(num_classes, v1c, image_size, channels, pool_scales, dropout,
                                  presets.IMAGENET_NORMALIZATION, name)
    if isinstance(encoder, str):
        encoder = None  # "resnet_vd": KerasHub's
    encoder, normalization = presets.resolve_encoder(
        encoder, backbone_preset, lambda: keras_hub.models.ResNetBackbone(**resnet_c_config(depth)),
        pyramid_levels=("P2", "P3", "P4", "P5"),
    )
    return uper_net_segmenter(num_classes, encoder, image_size, channels, pool_scales, dropout, normalization, name)


def uper_net_swin(num_classes, variant="tiny", image_size=512, encoder=None, backbone_preset=None,
                  drop_path_rate=SWIN_DROP_PATH_RATE, channels=512, pool_scales=POOL_SCALES, dropout=0.1,
                  name="uper_net_swin"):
    """UPerNet on a Swin Transformer: mmsegmentation's `upernet_swin_{tiny,small,base}` (RR paper).

    Args:
        num_classes: int. Number of classes.
        variant: str. `"tiny"`, `"small"`, `"base"` (window 7), `"base_window12"` or
            `"micro"` (`keras_rr.networks.backbones.swin.SWIN_VARIANTS`) for the random encoder built when neither
            `encoder` nor `backbone_preset` is given. Defaults to `"tiny"`.
        image_size: int. Square input size, a multiple of 32. Defaults to `512`.
        encoder: a `keras_hub.models.SwinTransformerBackbone` or None.
        backbone_preset: str, path-like or None. A KerasHub Swin backbone preset (e.g.
            `"swin_tiny_patch4_window7_224"`, rebuilt for `image_size`); the model then
            takes 0-255 RGB images. Defaults to `None`.
        drop_path_rate: float or None. Stochastic depth of the encoder (mmseg's Swin
            UPerNet configs: 0.3; None keeps the encoder's). Defaults to `0.3`.
        channels: see `uper_net_segmenter`.
        pool_scales: see `uper_net_segmenter`.
        dropout: see `uper_net_segmenter`.
        name: see `uper_net_segmenter`.

    Returns:
        See `uper_net_segmenter`.

    Example:

    >>> segmenter = uper_net_swin(150, backbone_preset="swin_tiny_patch4_window7_224")
    """
    import keras_hub

    variant = validation.check_choice(variant, tuple(SWIN_VARIANTS), "variant")
    encoder, normalization = presets.resolve_encoder(
        encoder, backbone_preset, lambda: keras_hub.models.SwinTransformerBackbone(**swin_config(variant, image_size)),
        image_size,
    )
    if not isinstance(encoder, keras_hub.models.SwinTransformerBackbone):
        raise ValueError(
            "`encoder` / `backbone_preset` must hold a SwinTransformerBackbone. "
            f"Received: {type(encoder).__name__}"
        )
    if drop_path_rate is not None:
        rate = validation.check_number(drop_path_rate, "drop_path_rate", minimum=0.0, maximum=1.0, max_inclusive=False)
        encoder = rebuilt_backbone(encoder, drop_path=rate)
    return uper_net_segmenter(num_classes, encoder, image_size, channels, pool_scales, dropout, normalization, name)


def uper_net_mit(num_classes, variant="b0", image_size=512, encoder=None, backbone_preset=None, channels=512,
                 pool_scales=POOL_SCALES, dropout=0.1, name="uper_net_mit"):
    """UPerNet on a Mix Transformer (MiT, SegFormer's encoder). Not a configuration of the RR paper.

    Args:
        num_classes: int. Number of classes.
        variant: str. MiT size of the random encoder (`keras_rr.networks.backbones.mit.mit_config`):
            `"b0"`, `"b1"` or `"b2"`. Defaults to `"b0"`.
        image_size: int. Square input size, a multiple of 32. Defaults to `512`.
        encoder: a `keras_hub.models.MiTBackbone` or None.
        backbone_preset: str, path-like or None. A KerasHub MiT backbone preset (e.g.
            `"mit_b0_ade20k_512"`). Defaults to `None`.
        channels: see `uper_net_segmenter`.
        pool_scales: see `uper_net_segmenter`.
        dropout: see `uper_net_segmenter`.
        name: see `uper_net_segmenter`.

    Returns:
        See `uper_net_segmenter`.

    Example:

    >>> segmenter = uper_net_mit(150, backbone_preset="mit_b0_ade20k_512")
    """
    import keras_hub

    encoder, normalization = presets.resolve_encoder(
        encoder, backbone_preset, lambda: keras_hub.models.MiTBackbone(**mit_config(variant, image_size)),
        image_size, ("P1", "P2", "P3", "P4"),
    )
    return uper_net_segmenter(num_classes, encoder, image_size, channels, pool_scales, dropout, normalization, name)


def uper_net_beit(num_classes, variant="base", image_size=640, out_indices=None, drop_path_rate=None,
                  init_values=None, embed_dim=None, depth=None, num_heads=None, channels=None,
                  pool_scales=POOL_SCALES, dropout=0.1, normalization=None, name="uper_net_beit"):
    """UPerNet on BEiT: mmsegmentation's `upernet_beit-{base,large}` (RR paper's UPerNet BEiT-L†).

    mmseg's `EncoderDecoder` with `backbone` = BEiT (`keras_rr.models.beit_backbone`: the
    raw outputs of blocks `out_indices` at stride 16), `neck` = `Feature2Pyramid`
    (rescales 4, 2, 1, 0.5: strides 4, 8, 16, 32;
    `keras_rr.networks.decode_heads.feature2pyramid`) and `decode_head` = `UPerHead`
    (width 768 for base, 1024 for large, as mmseg's configs). The neck's stride-16 map
    (mmseg's `auxiliary_head` `in_index=2`) is the layer `"auxiliary_features"`, where
    `keras_rr.models.RegionRebalanceSegmenter(..., auxiliary_head=AuxiliaryFCNHead(K))`
    attaches mmseg's auxiliary FCN head (256 channels, weight 0.4) in training only.

    Layer names: the backbone is the nested model `"backbone"` (mmseg's `backbone.`
    prefix) with mmseg's module paths; the neck's layers carry the full path
    (`neck-upsample_4x-0`, `-` for `.`); the UPerHead has this package's names
    (`lateral_0_conv`, ...; see `keras_rr.networks.decode_heads.uper_head`).

    Args:
        num_classes: int. Number of classes.
        variant: str. `"base"`, `"large"` or `"tiny"` (4 blocks, 32 wide: smoke runs)
            (`keras_rr.networks.backbones.beit.BEIT_VARIANTS`). Defaults to `"base"`.
        image_size: int. Square input size, a multiple of 32 (the BEiT tables are
            sized for it). Defaults to `640` (mmseg's crop).
        out_indices: tuple of four ints or None. BEiT blocks feeding the neck. None: the
            variant's (base (3, 5, 7, 11), large (7, 11, 15, 23)).
        drop_path_rate: float or None. BEiT stochastic depth. None: the variant's (0.1 /
            0.2).
        init_values: float or None. BEiT layer-scale init. None: the variant's (0.1 / 1e-6).
        embed_dim: int or None. BEiT token width override (tiny models for tests). None:
            the variant's.
        depth: int or None. BEiT block count override. None: the variant's.
        num_heads: int or None. BEiT attention heads override. None: the variant's.
        channels: int or None. UPerHead width. None: the variant's (768 / 1024 / 32).
        pool_scales: tuple of ints. PPM bins (mmseg: 1, 2, 3, 6).
        dropout: float. Channel dropout before the classifier (mmseg: 0.1).
        normalization: dict or None. `{"scale", "offset"}`: the model then comes back as a
            `keras_rr.models.NormalizedSegmenter` taking 0-255 RGB images. Defaults to
            `None`.
        name: str. Model name. Defaults to `"uper_net_beit"`.

    Returns:
        A functional `keras.Model` from images `(B, H, W, 3)` to logits
        `(B, H, W, num_classes)`; the backbone is its layer `"backbone"`, the neck's
        stride-16 map its layer `"auxiliary_features"`.

    Example:

    >>> segmenter = uper_net_beit(150, variant="large", image_size=640)
    >>> tiny = uper_net_beit(4, image_size=64, embed_dim=32, depth=4, num_heads=2,
    ...                      out_indices=(0, 1, 2, 3), channels=16)
    """
    num_classes = validation.check_num_classes(num_classes)
    variant = validation.check_choice(variant, tuple(BEIT_VARIANTS), "variant")
    image_size = validation.check_int(image_size, "image_size", minimum=32)
    if image_size % 32:
        raise ValueError(f"`image_size` must be a multiple of 32. Received: image_size={image_size}")
    channels = validation.check_int(BEIT_HEAD_CHANNELS[variant] if channels is None else channels, "channels",
                                    minimum=1)
    pool_scales = tuple(validation.check_int(s, "pool_scales", minimum=1) for s in pool_scales)
    dropout = validation.check_number(dropout, "dropout", minimum=0.0, maximum=1.0, max_inclusive=False)
    if out_indices is not None and len(tuple(out_indices)) != len(RESCALES):
        raise ValueError(
            f"`out_indices` must name {len(RESCALES)} blocks, one per pyramid level. "
            f"Received: out_indices={out_indices}"
        )
    if out_indices is None and depth is not None and depth != BEIT_VARIANTS[variant]["depth"]:
        raise ValueError(
            f"`out_indices` must be given with a depth other than the variant's. Received: depth={depth}"
        )
    backbone = beit_backbone(
        variant, image_size, out_indices=out_indices, drop_path_rate=drop_path_rate, init_values=init_values,
        embed_dim=embed_dim, depth=depth, num_heads=num_heads, name="backbone",
    )
    data_format = keras.config.image_data_format()
    images = keras.Input(square_image_shape(image_size, data_format), name="images")
    features = feature2pyramid(list(backbone(images)), RESCALES, data_format, name="neck")
    return _uper_net_model(images, features, num_classes, channels, pool_scales, dropout, normalization, name,
                           data_format)


def _uper_net_model(images, features, num_classes, channels, pool_scales, dropout, normalization, name, data_format):
    """`images` -> UPerHead on the four `features` (strides 4..32) -> classifier -> logits at
    the image size; the auxiliary head taps the stride-16 map (mmseg's `in_index=2`)."""
    features = list(features)
    features[2] = mark_auxiliary_features(features[2])
    x = uper_head(features, channels, pool_scales, data_format)
    x = segmentation_classifier(x, num_classes, dropout, data_format)
    logits = keras.layers.UpSampling2D(
        4, interpolation="bilinear", data_format=data_format, name="logits_upsampling"
    )(x)
    return presets.with_normalization(keras.Model(images, logits, name=name), normalization)
