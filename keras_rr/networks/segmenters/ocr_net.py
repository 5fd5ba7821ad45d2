"""OCRNet on HRNetV2 (mmsegmentation's `ocrnet_hr18` / `ocrnet_hr48`), RR paper Tables 3 / 4.

mmseg's `CascadeEncoderDecoder` with an HRNetV2 backbone
(`keras_rr.networks.backbones.hrnet`) and two cascaded decode heads on its four branches
resized to stride 4 and concatenated (`keras_rr.networks.decode_heads.ocr_head`):
`decode_head.0`, an FCN head whose logits are the soft object regions, and
`decode_head.1`, the OCR head, whose logits, bilinearly upsampled 4x to the image, are
the output. Both heads are trained: the FCN head's cross-entropy with weight 0.4, the OCR
head's with 1.0. Both heads are needed at inference (the OCR head reads the soft
regions), so only the FCN head's *loss* is training-only: the segmenter names the soft
regions with the layer `"auxiliary_logits"`, and `keras_rr.models.RegionRebalanceSegmenter(
..., auxiliary_head=True)` (or `auxiliary_head.enabled` in a config) adds their loss
through a weightless `keras_rr.models.InGraphAuxiliaryHead`.

Which map Region Rebalance pools: the OCR head's object-contextual features (512
channels, stride 4; layer `decode_head-1-object_context_block-bottleneck-activate`), the
input of the final classifier `decode_head-1-conv_seg`. The paper pools "the features
before the classifier" of the decoder and does not say which head for OCRNet; these are
the features the output logits are a linear function of, so a region classifier on
their region means learns the same linear read-out the pixel classifier does (the RR
argument), and the wrapper finds them on its own (the input of the last classifier
before the output's upsampling). The FCN head's input (the concatenated backbone
branches) would regularise the backbone only, and its soft regions are logits, not
features.

Layer names: the backbone is the nested model `"backbone"` (mmseg's paths inside, e.g.
`stage2-0-branches-0-0-conv1`), the heads' layers carry their full mmseg paths
(`decode_head-0-convs-0-conv`, `decode_head-1-object_context_block-query_project-1-bn`,
`decode_head-1-conv_seg`), "-" spelling "." (`keras_rr.networks.layers.module_paths`).

Differences from mmsegmentation: BatchNorm is per replica unless synchronised (mmseg:
SyncBN); the image side must be a multiple of 32 (mmseg resizes any size); mmseg 1.x
averages the cross-entropy over all pixels of the batch (`avg_non_ignore=False`), this
package over the labelled ones (`keras_rr.losses.masked_cross_entropy`).

Reference:
    Yuan et al., "Object-Contextual Representations for Semantic Segmentation", ECCV
    2020, https://arxiv.org/abs/1909.11065.
"""

import keras

from keras_rr import validation
from keras_rr.networks.backbones.hrnet import HRNET_NUM_BLOCKS
from keras_rr.networks.backbones.hrnet import HRNET_NUM_MODULES
from keras_rr.networks.backbones.hrnet import PYRAMID_LEVELS
from keras_rr.networks.backbones.hrnet import hrnet_backbone
from keras_rr.networks.decode_heads.auxiliary_fcn_head import mark_auxiliary_logits
from keras_rr.networks.decode_heads.ocr_head import fcn_head
from keras_rr.networks.decode_heads.ocr_head import ocr_head
from keras_rr.networks.decode_heads.ocr_head import resize_concat
from keras_rr.networks.decode_heads.segmentation_classifier import classifier
from keras_rr.networks.layers.module_paths import module_path_name



def _pyramid_outputs(backbone):
    """The output names of a functional model with dict outputs, else ()."""
    try:
        outputs = backbone.output if isinstance(backbone, keras.Model) else None
    except (AttributeError, ValueError):
        return ()
    return tuple(outputs) if isinstance(outputs, dict) else ()


def ocr_net_hrnet(num_classes, width=18, image_size=512, channels=512, ocr_channels=256, backbone=None,
                  num_modules=HRNET_NUM_MODULES, num_blocks=HRNET_NUM_BLOCKS, stage1_channels=64, name=None):
    """OCRNet on HRNetV2-W`width`: mmsegmentation's `ocrnet_hr{18,48}` (RR paper Tables 3 / 4).

    Args:
        num_classes: int. Number of classes.
        width: int. HRNetV2 width of the backbone built when `backbone` is None: 18
            (W18) or 48 (W48); other widths build too (small test networks).
            Defaults to `18`.
        image_size: int. Square input size, a multiple of 32. Defaults to `512`.
        channels: int. OCR head width (mmseg: 512). Defaults to `512`.
        ocr_channels: int. Width of the OCR attention's projections (mmseg: 256).
            Defaults to `256`.
        backbone: a `keras_rr.models.hrnet_backbone` model (images -> `{"P2".."P5"}`)
            or None to build one from `width`, `num_modules`, `num_blocks` and
            `stage1_channels`. Defaults to `None`.
        num_modules: four ints. HRModules per stage of the built backbone. Defaults to
            mmseg's `(1, 1, 4, 3)`.
        num_blocks: four ints. Blocks per branch of the built backbone. Defaults to
            mmseg's `(4, 4, 4, 4)`.
        stage1_channels: int. Bottleneck width of the built backbone's `layer1`.
            Defaults to `64`.
        name: str or None. Model name. Defaults to `f"ocr_net_hrnet_w{width}"`.

    Returns:
        A functional `keras.Model` from images `(B, H, W, 3)` to logits `(B, H, W,
        num_classes)`. The FCN head's soft-region logits `(B, H/4, W/4, num_classes)`
        are the output of its layer `"auxiliary_logits"`; the region branch pools the
        input of `"decode_head-1-conv_seg"`.

    Example:

    >>> segmenter = keras_rr.models.ocr_net_hrnet(150, width=18, image_size=512)
    >>> model = keras_rr.models.RegionRebalanceSegmenter(
    ...     segmenter, 150, region_frequency=counts, auxiliary_head=True)  # FCN loss x 0.4
    """
    num_classes = validation.check_num_classes(num_classes)
    width = validation.check_int(width, "width", minimum=1)
    image_size = validation.check_int(image_size, "image_size", minimum=32)
    if image_size % 32:
        raise ValueError(f"`image_size` must be a multiple of 32 (HRNet's stride). Received: image_size={image_size}")
    channels = validation.check_int(channels, "channels", minimum=1)
    ocr_channels = validation.check_int(ocr_channels, "ocr_channels", minimum=1)
    if backbone is None:
        backbone = hrnet_backbone(width, image_size, num_modules, num_blocks, stage1_channels, name="backbone")
    elif set(_pyramid_outputs(backbone)) != set(PYRAMID_LEVELS):
        raise ValueError(
            "`backbone` must be a keras_rr.models.hrnet_backbone model (images -> {'P2', 'P3', 'P4', 'P5'}). "
            f"Received: {backbone!r}"
        )
    data_format = keras.config.image_data_format()
    shape = (image_size, image_size, 3) if data_format == "channels_last" else (3, image_size, image_size)
    images = keras.Input(shape, name="images")
    branches = backbone(images)
    x = resize_concat([branches[level] for level in PYRAMID_LEVELS], data_format)
    in_channels = x.shape[-1 if data_format == "channels_last" else 1]
    soft_regions = mark_auxiliary_logits(fcn_head(x, num_classes, in_channels, data_format=data_format))
    features = ocr_head(x, soft_regions, channels, ocr_channels, data_format=data_format)
    logits = classifier(features, num_classes, data_format, name=module_path_name("decode_head.1.conv_seg"))
    logits = keras.layers.UpSampling2D(
        4, interpolation="bilinear", data_format=data_format, name="logits_upsampling"
    )(logits)
    return keras.Model(images, logits, name=name or f"ocr_net_hrnet_w{width}")
