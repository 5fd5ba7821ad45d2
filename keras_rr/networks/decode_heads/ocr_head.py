"""mmseg's OCRNet heads: the FCN soft-object-region head and `OCRHead`, named by mmseg paths.

OCRNet (mmseg's `CascadeEncoderDecoder`, `configs/_base_/models/ocrnet_hr18.py`) runs two
decode heads on the HRNetV2 branches resized (bilinear, half-pixel) to stride 4 and
concatenated (`resize_concat`):

- `decode_head.0`, an `FCNHead` (`fcn_head`): one 1x1 `ConvModule` as wide as its input
  (W18: 270 channels), no dropout, `conv_seg`: the *soft object regions*, logits over
  the classes, trained with cross-entropy of weight 0.4;
- `decode_head.1`, an `OCRHead` (`ocr_head`): a 3x3 `ConvModule` `bottleneck` (512);
  `SpatialGather` turns the soft regions into one feature per class (a softmax over the
  pixels of each class's logits weights the pixel features); `object_context_block`
  (mmseg's `ObjectAttentionBlock`): every pixel attends over the class features
  (`query_project` / `key_project`: two 1x1 `ConvModule`s of `ocr_channels` each,
  `value_project` / `out_project` one each, scaled dot product, `ObjectAttention`), and
  a 1x1 `ConvModule` `bottleneck` fuses the object context with the pixel features; no
  dropout, `conv_seg`. Its logits are the segmenter's output (loss weight 1.0).

Every weight-holding layer is named with the full mmseg path, spelled with "-" for "."
(`keras_rr.networks.layers.module_paths`): `decode_head-1-object_context_block-
key_project-0-conv`. The weightless attention steps are the two layers here.

Reference:
    Yuan et al., "Object-Contextual Representations for Semantic Segmentation", ECCV
    2020, https://arxiv.org/abs/1909.11065; mmsegmentation `ocr_head.py`,
    `utils/self_attention_block.py`.
"""

import keras
from keras import ops

from keras_rr import validation
from keras_rr.networks.decode_heads.segmentation_classifier import classifier
from keras_rr.networks.layers.conv_module import channel_axis
from keras_rr.networks.layers.conv_module import conv_module
from keras_rr.networks.layers.module_paths import MODULE_PATH_SEPARATOR
from keras_rr.networks.layers.module_paths import module_path_name
from keras_rr.networks.layers.resize_like import ResizeLike


def _to_channels_last(x, data_format):
    return x if data_format == "channels_last" else ops.transpose(x, (0, 2, 3, 1))


def _from_channels_last(x, data_format):
    return x if data_format == "channels_last" else ops.transpose(x, (0, 3, 1, 2))


@keras.saving.register_keras_serializable(package="keras_rr")
class SpatialGather(keras.layers.Layer):
    """mmseg's `SpatialGatherModule`: one feature per class, weighted by its soft region.

    For every class k, a softmax over the pixels of `scale * logits[..., k]` weights the
    pixel features: `context[b, k] = sum_p softmax_p(scale * logits[b, p, k]) *
    features[b, p]`. The result is laid out as a `(B, K, 1, C)` map (mmseg's `(B, C, K,
    1)`) so that 1x1 conv modules can project it.

    Args:
        scale: float. Temperature of the softmax over pixels (mmseg: 1). Defaults to `1.0`.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.
        **kwargs: `keras.layers.Layer` arguments such as `name`.

    Call arguments:
        inputs: `[features (B, H, W, C), logits (B, H, W, K)]` (channels_last).

    Returns:
        The class features `(B, K, 1, C)` (channels_first: `(B, C, K, 1)`).

    Example:

    >>> context = SpatialGather()([pixel_features, soft_region_logits])
    """

    def __init__(self, scale=1.0, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.scale = validation.check_number(scale, "scale", minimum=0.0, min_inclusive=False)
        self.data_format = validation.check_data_format(data_format)

    def call(self, inputs):
        features, logits = (_to_channels_last(x, self.data_format) for x in inputs)
        channels, num_classes = features.shape[-1], logits.shape[-1]
        features = ops.reshape(features, (ops.shape(features)[0], -1, channels))
        logits = ops.reshape(ops.cast(logits, features.dtype), (ops.shape(logits)[0], -1, num_classes))
        weights = ops.softmax(self.scale * logits, axis=1)  # over the pixels
        context = ops.einsum("bpk,bpc->bkc", weights, features)
        return _from_channels_last(ops.expand_dims(context, 2), self.data_format)

    def compute_output_shape(self, input_shape):
        features_shape, logits_shape = input_shape
        axis = channel_axis(self.data_format)
        if self.data_format == "channels_last":
            return (features_shape[0], logits_shape[axis], 1, features_shape[axis])
        return (features_shape[0], features_shape[axis], logits_shape[axis], 1)

    def get_config(self):
        config = super().get_config()
        config.update({"scale": self.scale, "data_format": self.data_format})
        return config


@keras.saving.register_keras_serializable(package="keras_rr")
class ObjectAttention(keras.layers.Layer):
    """The attention of mmseg's `SelfAttentionBlock` (`matmul_norm=True`): pixels over classes.

    `softmax_k(query[p] . key[k] / sqrt(C)) @ value`: every pixel's query attends over
    the class keys and returns the weighted class values, as a map the shape of
    `query`.

    Args:
        data_format: str or None. Defaults to `keras.config.image_data_format()`.
        **kwargs: `keras.layers.Layer` arguments such as `name`.

    Call arguments:
        inputs: `[query (B, H, W, C), key (B, K, 1, C), value (B, K, 1, C)]`
            (channels_last).

    Returns:
        The context map `(B, H, W, C)`.

    Example:

    >>> context = ObjectAttention()([query, key, value])
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = validation.check_data_format(data_format)

    def call(self, inputs):
        query, key, value = (_to_channels_last(x, self.data_format) for x in inputs)
        channels = query.shape[-1]
        batch, height, width = ops.shape(query)[0], ops.shape(query)[1], ops.shape(query)[2]
        query = ops.reshape(query, (batch, -1, channels))
        key = ops.reshape(key, (ops.shape(key)[0], -1, channels))
        value = ops.reshape(value, (ops.shape(value)[0], -1, value.shape[-1]))
        similarity = ops.einsum("bpc,bkc->bpk", query, key) * (float(channels) ** -0.5)
        context = ops.einsum("bpk,bkc->bpc", ops.softmax(similarity, axis=-1), value)
        context = ops.reshape(context, (batch, height, width, value.shape[-1]))
        return _from_channels_last(context, self.data_format)

    def compute_output_shape(self, input_shape):
        query_shape, _, value_shape = input_shape
        output_shape = list(query_shape)
        output_shape[channel_axis(self.data_format)] = value_shape[channel_axis(self.data_format)]
        return tuple(output_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format})
        return config


def resize_concat(features, data_format=None, name="resize_concat"):
    """mmseg's `input_transform="resize_concat"`: every map resized to the first, concatenated.

    Args:
        features: list of 4-D Keras tensors, finest first (HRNet's four branches).
        data_format: str or None. Defaults to `keras.config.image_data_format()`.
        name: str. Prefix of the layer names. Defaults to `"resize_concat"`.

    Returns:
        The concatenated Keras tensor at the first map's resolution.

    Example:

    >>> x = resize_concat([p2, p3, p4, p5])  # W18: (B, H/4, W/4, 270)
    """
    data_format = data_format or keras.config.image_data_format()
    resized = [features[0]] + [
        ResizeLike(data_format=data_format, name=f"{name}_resize_{i}")([x, features[0]])
        for i, x in enumerate(features[1:], start=1)
    ]
    return keras.layers.Concatenate(axis=channel_axis(data_format), name=name)(resized)


def fcn_head(x, num_classes, channels, name="decode_head.0", kernel_size=1, num_convs=1, data_format=None):
    """mmseg's `FCNHead` (`concat_input=False`, no dropout): `num_convs` ConvModules, `conv_seg`.

    Args:
        x: a 4-D Keras tensor (OCRNet: the `resize_concat` map).
        num_classes: int.
        channels: int. Width of the conv modules (OCRNet: the input's width).
        name: str. mmseg module path of the head. Defaults to `"decode_head.0"`.
        kernel_size: int. Defaults to `1` (OCRNet's).
        num_convs: int. Defaults to `1`.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.

    Returns:
        The logits Keras tensor at `x`'s resolution (layer `{name}-conv_seg`).

    Example:

    >>> soft_regions = fcn_head(resize_concat(branches), 150, 270)
    """
    for i in range(num_convs):
        x = conv_module(x, channels, kernel_size, module_path_name(f"{name}.convs.{i}"), data_format,
                        separator=MODULE_PATH_SEPARATOR)
    return classifier(x, num_classes, data_format, name=module_path_name(f"{name}.conv_seg"))


def _project(x, channels, num_convs, name, data_format):
    """mmseg `SelfAttentionBlock.build_project`: ConvModules, a `Sequential` when several."""
    for i in range(num_convs):
        path = f"{name}.{i}" if num_convs > 1 else name
        x = conv_module(x, channels, 1, module_path_name(path), data_format, separator=MODULE_PATH_SEPARATOR)
    return x


def ocr_head(x, soft_regions, channels=512, ocr_channels=256, scale=1.0, name="decode_head.1", data_format=None):
    """mmseg's `OCRHead` up to `cls_seg`: the object-contextual pixel features.

    Args:
        x: a 4-D Keras tensor (OCRNet: the `resize_concat` map).
        soft_regions: the FCN head's logits, a 4-D Keras tensor at `x`'s resolution.
        channels: int. Width of the head (mmseg: 512). Defaults to `512`.
        ocr_channels: int. Width of the key / query / value projections (mmseg: 256).
            Defaults to `256`.
        scale: float. `SpatialGather`'s softmax temperature (mmseg: 1). Defaults to `1.0`.
        name: str. mmseg module path of the head. Defaults to `"decode_head.1"`.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.

    Returns:
        The object-contextual features `(B, h, w, channels)`: what `conv_seg` reads
        (the output of layer `{name}-object_context_block-bottleneck-activate`).

    Example:

    >>> features = ocr_head(x, fcn_head(x, 150, 270))
    >>> logits = classifier(features, 150, name="decode_head-1-conv_seg")
    """
    data_format = data_format or keras.config.image_data_format()
    block = f"{name}.object_context_block"

    def conv(y, filters, kernel_size, path):
        return conv_module(y, filters, kernel_size, module_path_name(path), data_format,
                           separator=MODULE_PATH_SEPARATOR)

    feats = conv(x, channels, 3, f"{name}.bottleneck")
    context = SpatialGather(scale, data_format, name=module_path_name(f"{name}.spatial_gather_module"))(
        [feats, soft_regions]
    )
    query = _project(feats, ocr_channels, 2, f"{block}.query_project", data_format)
    key = _project(context, ocr_channels, 2, f"{block}.key_project", data_format)
    value = _project(context, ocr_channels, 1, f"{block}.value_project", data_format)
    attended = ObjectAttention(data_format, name=module_path_name(f"{block}.attention"))([query, key, value])
    attended = _project(attended, channels, 1, f"{block}.out_project", data_format)
    fused = keras.layers.Concatenate(axis=channel_axis(data_format), name=module_path_name(f"{block}.concat"))(
        [attended, feats]
    )
    return conv(fused, channels, 1, f"{block}.bottleneck")
