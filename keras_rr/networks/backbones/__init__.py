"""Encoders from KerasHub parts (may import `networks.layers`).

`resnet_c` (the ResNet-c config and `dilated_resnet`, output stride 8/16/32), `mit` and
`swin` (encoder sizes), `backbone_pyramid` and `swin_transformer_pyramid` (a KerasHub
backbone's four maps as one serialisable layer), `pyramid_encoder` (any of them as
images -> four maps), `resnet_v1c` (mmseg's ResNetV1c written out, layers named by mmseg's
module paths). Future homes: HRNet, BEiT.
"""
