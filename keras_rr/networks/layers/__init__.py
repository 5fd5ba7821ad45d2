"""General layers and mmcv's conv blocks; they import nothing from keras_rr but `validation`.

`conv_module` (mmcv `ConvModule`, `DepthwiseSeparableConvModule`, torch BN defaults, Kaiming
fan_out), `resize_like` (mmseg's `resize`), `pass_through` (keeps a training-only tap in
the graph), `torch_adaptive_average_pooling` (torch's bins), `image_normalization`
(a preset's input normalisation inside the model), `module_paths` (torch module paths as
layer names that every backend accepts).
"""
