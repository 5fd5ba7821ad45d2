"""The networks: layers -> backbones -> decode heads -> segmenters, each importing only leftwards.

Folders by role, as mmsegmentation's `models/` (`backbones/`, `decode_heads/`,
`segmentors/`), so where a new network part goes and what it may import is read off its
folder:

1. `layers/`: general layers and mmcv's conv blocks (`conv_module`, `ResizeLike`,
   `PassThrough`, `TorchAdaptiveAveragePooling2D`, `ImageNormalization`). They import
   nothing else from keras_rr but `keras_rr.validation`.
2. `backbones/`: encoders from KerasHub parts: `resnet_c` (ResNet-c and its dilation),
   the Swin and MiT sizes (`swin`, `mit`) and pyramids (`swin_transformer_pyramid`,
   `backbone_pyramid`), `pyramid_encoder` (any of them as images -> four maps).
3. `decode_heads/`: one mmseg head per module: `depthwise_separable_aspp_head`
   (DeepLabV3+), `psp_head`, `uper_head`, the shared `pyramid_pooling_module`,
   `segmentation_classifier` (mmseg's `cls_seg`, every head's end) and the training-only
   `auxiliary_fcn_head` (with the `"auxiliary_features"` contract).
4. `segmenters/`: builders composing them (`deeplab_v3_plus`, `psp_net`, `uper_net`,
   `segformer`, `small_fcn`), `presets` (KerasHub presets that fail fast offline;
   `resolve_encoder` for every builder's "encoder, backbone preset or nothing"),
   `normalized_segmenter`, and `builders` (by a config's `model.name`).

Public names are re-exported by `keras_rr.models` and `keras_rr.layers`. KerasHub is
imported inside the functions that build from it.
"""
