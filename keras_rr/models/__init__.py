"""keras_rr.models: the Region Rebalance training wrapper and the segmenters to wrap.

A face: every name here is defined elsewhere (`keras_rr.region_rebalance` for the
wrapper and the tap, `keras_rr.networks` for the networks) and re-exported.

- Training: `RegionRebalanceSegmenter` wraps any segmenter with the region branch (and
  mmseg's auxiliary head, `AuxiliaryFCNHead`, or the loss of one inside the segmenter,
  `InGraphAuxiliaryHead`); `tap_segmenter` finds what it reads.
- Segmenters: `deeplab_v3_plus_resnet_c`, `psp_net_resnet_c`, `uper_net_resnet_c`,
  `uper_net_swin`, `ocr_net_hrnet`, `uper_net_beit` (the paper's mmseg networks), `uper_net_mit`, `uper_net_segmenter`
  (UPerNet on any supported KerasHub encoder), KerasHub's `deeplab_v3_plus_resnet` and
  `segformer_mit`, `small_fcn`; `build_segmenter` (by a config's `model` section,
  `MODEL_NAMES`).
- Torch checkpoints: `load_torch_weights` (timm, mmcv / mmseg backbones, trained mmseg
  segmentors; `keras_rr.checkpoints`).
- Encoders: `resnet_v1c_backbone` (mmseg's ResNetV1c), `hrnet_backbone` (HRNetV2),
  `beit_backbone` (mmseg's BEiT) with `resize_relative_position_table`, `dilated_resnet`,
  `resnet_c_config`, `pyramid_encoder`.
- Presets: `segmenter_from_preset` (any KerasHub segmentation task preset),
  `PresetUnavailableError`; `NormalizedSegmenter` puts a preset's input normalisation
  inside the model.
- Layers of these models (also in `keras_rr.layers`): `BackbonePyramid`,
  `SwinTransformerPyramid`, `PassThrough`, `ResizeLike`, `TorchAdaptiveAveragePooling2D`,
  `SpatialGather`, `ObjectAttention` (OCRNet).
"""

from keras_rr.checkpoints.loading import load_torch_weights
from keras_rr.data.class_statistics import resolve_region_frequency
from keras_rr.networks.backbones.backbone_pyramid import BackbonePyramid
from keras_rr.networks.backbones.beit import beit_backbone
from keras_rr.networks.backbones.beit import resize_relative_position_table
from keras_rr.networks.backbones.hrnet import hrnet_backbone
from keras_rr.networks.backbones.pyramid_encoder import pyramid_encoder
from keras_rr.networks.backbones.resnet_c import dilated_resnet
from keras_rr.networks.backbones.resnet_c import resnet_c_config
from keras_rr.networks.backbones.resnet_v1c import resnet_v1c_backbone
from keras_rr.networks.backbones.swin_transformer_pyramid import SwinTransformerPyramid
from keras_rr.networks.decode_heads.auxiliary_fcn_head import AUXILIARY_FEATURES
from keras_rr.networks.decode_heads.auxiliary_fcn_head import AuxiliaryFCNHead
from keras_rr.networks.decode_heads.auxiliary_fcn_head import InGraphAuxiliaryHead
from keras_rr.networks.layers.pass_through import PassThrough
from keras_rr.networks.decode_heads.ocr_head import ObjectAttention
from keras_rr.networks.decode_heads.ocr_head import SpatialGather
from keras_rr.networks.layers.resize_like import ResizeLike
from keras_rr.networks.layers.torch_adaptive_average_pooling import TorchAdaptiveAveragePooling2D
from keras_rr.networks.segmenters.builders import MODEL_NAMES
from keras_rr.networks.segmenters.builders import build_segmenter
from keras_rr.networks.segmenters.deeplab_v3_plus import deeplab_v3_plus_resnet
from keras_rr.networks.segmenters.deeplab_v3_plus import deeplab_v3_plus_resnet_c
from keras_rr.networks.segmenters.normalized_segmenter import NormalizedSegmenter
from keras_rr.networks.segmenters.ocr_net import ocr_net_hrnet
from keras_rr.networks.segmenters.presets import PresetUnavailableError
from keras_rr.networks.segmenters.presets import segmenter_from_preset
from keras_rr.networks.segmenters.psp_net import psp_net_resnet_c
from keras_rr.networks.segmenters.segformer import segformer_mit
from keras_rr.networks.segmenters.small_fcn import small_fcn
from keras_rr.networks.segmenters.uper_net import uper_net_beit
from keras_rr.networks.segmenters.uper_net import uper_net_mit
from keras_rr.networks.segmenters.uper_net import uper_net_resnet_c
from keras_rr.networks.segmenters.uper_net import uper_net_segmenter
from keras_rr.networks.segmenters.uper_net import uper_net_swin
from keras_rr.region_rebalance.region_rebalance_segmenter import RegionRebalanceSegmenter
from keras_rr.region_rebalance.segmenter_tap import tap_segmenter
