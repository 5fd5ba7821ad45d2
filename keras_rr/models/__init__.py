"""Models: the Region Rebalance training wrapper and segmenter builders.

`RegionRebalanceSegmenter` and `tap_segmenter` are defined in
`keras_rr.region_rebalance`; the builders of supported segmenters from explicit configs
and KerasHub presets live in `keras_rr.models.segmenter_builders`; preset resolution that
fails fast offline, and `segmenter_from_preset` (any KerasHub segmentation task preset), in
`keras_rr.models.presets`; the paper's DeepLabV3+ on a ResNet-c dilated to output
stride 8 (`deeplab_v3_plus_resnet_c`, `dilated_resnet`, `resnet_c_config` and its
`ResizeLike` layer) in `keras_rr.models.resnet_c` (KerasHub is imported only when one is
built); UPerNet on ResNet-c, Swin and MiT encoders (`uper_net_segmenter`, `uper_net_resnet_c`,
`uper_net_swin`, `uper_net_mit`, `pyramid_encoder`, `SwinTransformerPyramid`) in
`keras_rr.models.uper_net`, PSPNet on the dilated ResNet-c (`psp_net_resnet_c`) in
`keras_rr.models.psp_net`, mmseg's auxiliary FCN head (`AuxiliaryFCNHead`) and the
`"auxiliary_features"` contract in `keras_rr.models.auxiliary_head`; their layers
(`BackbonePyramid`, `SwinTransformerPyramid`, `PassThrough`,
`TorchAdaptiveAveragePooling2D`) one per module, and mmcv's conv building blocks in
`keras_rr.models.conv_module`.
"""

from keras_rr.data.class_statistics import resolve_region_frequency
from keras_rr.models import presets
from keras_rr.models.auxiliary_head import AUXILIARY_FEATURES
from keras_rr.models.auxiliary_head import AuxiliaryFCNHead
from keras_rr.models.backbone_pyramid import BackbonePyramid
from keras_rr.models.normalized_segmenter import NormalizedSegmenter
from keras_rr.models.pass_through import PassThrough
from keras_rr.models.presets import PresetUnavailableError
from keras_rr.models.presets import segmenter_from_preset
from keras_rr.models.psp_net import psp_net_resnet_c
from keras_rr.models.resnet_c import ResizeLike
from keras_rr.models.resnet_c import deeplab_v3_plus_resnet_c
from keras_rr.models.resnet_c import dilated_resnet
from keras_rr.models.resnet_c import resnet_c_config
from keras_rr.models.swin_transformer_pyramid import SwinTransformerPyramid
from keras_rr.models.torch_adaptive_average_pooling import TorchAdaptiveAveragePooling2D
from keras_rr.models.uper_net import pyramid_encoder
from keras_rr.models.uper_net import uper_net_segmenter
from keras_rr.models.uper_net import uper_net_mit
from keras_rr.models.uper_net import uper_net_resnet_c
from keras_rr.models.uper_net import uper_net_swin
from keras_rr.region_rebalance.region_rebalance_segmenter import RegionRebalanceSegmenter
from keras_rr.region_rebalance.segmenter_tap import tap_segmenter
