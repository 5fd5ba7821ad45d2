"""PSPNet (mmsegmentation's `PSPHead`) on the dilated ResNet-c: `pspnet_r{50,101}-d8`.

The RR paper's PSPNet rows are mmsegmentation's `pspnet_r{50,101}-d8`: a ResNetV1c
encoder dilated to output stride 8 (`keras_rr.models.dilated_resnet`) and a `PSPHead`:

- PPM on the stride-8 `P5` map: adaptive average pooling to 1, 2, 3 and 6 bins
  (torch's `AdaptiveAvgPool2d` bins, overlapping where the bins do not divide the map),
  a 1x1 `ConvModule` of 512 channels each, bilinear resizing back;
- the map and the four branches concatenated and fused by a 3x3 `ConvModule`
  (`psp_bottleneck`, mmseg's `bottleneck`): the decoder features;
- `SpatialDropout2D(0.1)` (torch's `Dropout2d`), a 1x1 classifier with bias (layer
  `"classifier"`), an 8x bilinear upsampling to the input (layer `"logits_upsampling"`).

Every `ConvModule` is conv without bias -> BatchNorm (momentum 0.9, epsilon 1e-5) ->
ReLU with mmcv's Kaiming fan_out initialisation; resizing is half-pixel bilinear
(`align_corners=False`). The stage-3 map (`P4`, stride 8 after dilation) is named by
the layer `"auxiliary_features"` for mmseg's auxiliary FCN head (weight 0.4), a
training-wrapper branch (`keras_rr.models.AuxiliaryFCNHead`); since the PSP head does not
read it, a `keras_rr.models.PassThrough` before the dropout keeps it in the graph.

Differences from mmsegmentation: as for `keras_rr.models.deeplab_v3_plus_resnet_c`
(per-replica BatchNorm unless synchronised; KerasHub's ResNet-vd = mmseg's ResNetV1d,
stage 2's shortcut average-pools; `encoder="resnet_v1c"` builds mmseg's ResNetV1c itself).

Reference:
    Zhao et al., "Pyramid Scene Parsing Network", CVPR 2017,
    https://arxiv.org/abs/1612.01105.
"""

import keras

from keras_rr import validation
from keras_rr.networks.backbones.resnet_c import RESNET_C_DEPTHS
from keras_rr.networks.decode_heads.auxiliary_fcn_head import mark_auxiliary_features
from keras_rr.networks.decode_heads.psp_head import psp_head
from keras_rr.networks.decode_heads.pyramid_pooling_module import POOL_SCALES
from keras_rr.networks.decode_heads.segmentation_classifier import segmentation_classifier
from keras_rr.networks.layers.pass_through import PassThrough
from keras_rr.networks.segmenters import presets


def psp_net_resnet_c(num_classes, depth=50, image_size=512, output_stride=8, encoder=None, backbone_preset=None,
                     channels=512, pool_scales=POOL_SCALES, dropout=0.1, name="psp_net_resnet_c"):
    """PSPNet on a dilated ResNet-c: mmsegmentation's `pspnet_r{50,101}-d8` (RR paper Table 3/4).

    Args:
        num_classes: int. Number of classes.
        depth: int. Depth of the random ResNet-c built when neither `encoder` nor
            `backbone_preset` is given: 18, 34, 50 or 101. Defaults to `50`.
        image_size: int. Square input size, a multiple of `output_stride`. Defaults to
            `512`.
        output_stride: int. 8 (the paper's d8) or 16. Defaults to `8`.
        encoder: the ResNet: a `keras_hub.models.ResNetBackbone` (its weights are
            copied), None or `"resnet_vd"` (random KerasHub ResNet-vd of `depth`),
            `"resnet_v1c"` (mmseg's ResNetV1c of `depth`, 50 or 101:
            `keras_rr.models.resnet_v1c_backbone`, the paper's encoder) or a
            `resnet_v1c_backbone(..., output_stride=output_stride)` model; with a
            ResNetV1c the model takes 0-255 RGB images normalised as mmseg does
            (`keras_rr.models.NormalizedSegmenter`). Defaults to `None`.
        backbone_preset: str, path-like or None. A KerasHub ResNet backbone preset (e.g.
            `"resnet_vd_50_imagenet"` or a `save_to_preset` directory); the model then
            comes back as a `keras_rr.models.NormalizedSegmenter` taking 0-255 RGB
            images. Defaults to `None`.
        channels: int. Head width (mmseg: 512). Defaults to `512`.
        pool_scales: tuple of ints. PPM bins (mmseg: 1, 2, 3, 6).
        dropout: float. Channel dropout before the classifier (mmseg: 0.1).
        name: str. Model name. Defaults to `"psp_net_resnet_c"`.

    Returns:
        A functional `keras.Model` from images `(B, H, W, 3)` to logits
        `(B, H, W, num_classes)`; the dilated encoder is its layer `"image_encoder"`,
        the stage-3 map its layer `"auxiliary_features"` (stride `output_stride`).

    Example:

    >>> segmenter = psp_net_resnet_c(150, backbone_preset="resnet_vd_50_imagenet")
    >>> segmenter = psp_net_resnet_c(150, encoder="resnet_v1c")  # mmseg's pspnet_r50-d8
    """
    num_classes = validation.check_num_classes(num_classes)
    depth = validation.check_choice(depth, tuple(RESNET_C_DEPTHS), "depth")
    output_stride = validation.check_choice(output_stride, (8, 16), "output_stride")
    image_size = validation.check_int(image_size, "image_size", minimum=output_stride)
    if image_size % output_stride:
        raise ValueError(
            f"`image_size` must be a multiple of `output_stride` ({output_stride}). Received: image_size={image_size}"
        )
    channels = validation.check_int(channels, "channels", minimum=1)
    pool_scales = tuple(validation.check_int(s, "pool_scales", minimum=1) for s in pool_scales)
    dropout = validation.check_number(dropout, "dropout", minimum=0.0, maximum=1.0, max_inclusive=False)
    images, features, normalization = presets.dilated_resnet_c_inputs(
        depth, encoder, backbone_preset, output_stride, image_size, ("P4", "P5")
    )
    data_format = keras.config.image_data_format()
    x = psp_head(features["P5"], channels, pool_scales, data_format)
    x = PassThrough(name="keep_auxiliary_features")([x, mark_auxiliary_features(features["P4"])])
    x = segmentation_classifier(x, num_classes, dropout, data_format)
    logits = keras.layers.UpSampling2D(
        output_stride, interpolation="bilinear", data_format=data_format, name="logits_upsampling"
    )(x)
    return presets.with_normalization(keras.Model(images, logits, name=name), normalization)
