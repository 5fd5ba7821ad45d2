"""Segmenters composing encoders and heads (may import everything in `networks`).

`presets` (KerasHub presets that fail fast offline; `resolve_encoder`, every builder's
"encoder, backbone preset or nothing"; `dilated_resnet_c_inputs`), `normalized_segmenter`,
one module per network (`deeplab_v3_plus`, `psp_net`, `uper_net`, `ocr_net`, `segformer`,
`small_fcn`), and `builders` (`build_segmenter` by a config's `model.name`).
"""
