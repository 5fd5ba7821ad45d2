"""mmseg's decode heads, one per module (may import `networks.layers` and `backbones`).

`pyramid_pooling_module` (PPM, shared by `psp_head` and `uper_head`),
`depthwise_separable_aspp_head` (DeepLabV3+), `segmentation_classifier` (`cls_seg`: every
head's dropout + 1x1 classifier), `auxiliary_fcn_head` (the training-only FCN head, its
loss, and the `"auxiliary_features"` layer segmenters name for it; `InGraphAuxiliaryHead`,
the loss of a head inside the segmenter), `ocr_head` (OCRNet's FCN soft-region head and
OCR head).
"""
