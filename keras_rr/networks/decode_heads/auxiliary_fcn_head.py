"""mmsegmentation's auxiliary FCN head, and where a segmenter exposes its input.

mmsegmentation trains PSPNet, UPerNet and DeepLabV3+ with an `auxiliary_head`: an
`FCNHead` on the backbone's stage-3 map (`in_index=2`; 1024 channels for ResNet-50, 384
for Swin-T), one 3x3 `ConvModule` of 256 channels, `Dropout2d(0.1)`, a 1x1 classifier,
its logits resized to the label size and trained with cross-entropy of weight 0.4. Like
the Region Rebalance branch it exists only in training: inference and export use the
main head alone.

The contract between segmenters and a training wrapper:

- A segmenter built by `keras_rr.models.uper_net_*`, `keras_rr.models.psp_net_resnet_c`
  or `keras_rr.models.deeplab_v3_plus_resnet_c` outputs only its main logits, and names its
  stage-3 feature map with a top-level `keras.layers.Identity` layer called
  `"auxiliary_features"` (`AUXILIARY_FEATURES`):
  `segmenter.get_layer("auxiliary_features").output` is that map (stride 16 for UPerNet,
  stride 8 for PSPNet and DeepLabV3+ on the dilated ResNet-c). Where the main head does
  not read the stage-3 map (PSPNet, DeepLabV3+) a `keras_rr.models.PassThrough` layer
  before the classifier's dropout keeps it in the functional graph; it returns its first
  input unchanged and costs nothing.
- A segmenter whose own graph holds an auxiliary head (OCRNet's FCN head, whose logits
  the OCR head reads) names those logits with the `Identity` layer `"auxiliary_logits"`
  (`AUXILIARY_LOGITS`); `InGraphAuxiliaryHead` holds no weights and only adds their
  loss, so training adds no layer and no compute to the forward pass.
- `keras_rr.models.RegionRebalanceSegmenter(..., auxiliary_head=...)` taps that layer
  (`keras_rr.models.tap_segmenter(..., auxiliary_layer="auxiliary_features")`), applies
  an `AuxiliaryFCNHead` to it in the same forward pass, and adds
  `head.loss_weight * head.compute_loss(labels, auxiliary_logits)` to the main loss. The
  head's weights live in the wrapper, not in the segmenter, so an exported segmenter has
  none of them.

Reference:
    Zhao et al., "Pyramid Scene Parsing Network", CVPR 2017 (deep supervision, weight
    0.4), https://arxiv.org/abs/1612.01105; mmsegmentation `FCNHead`
    (`mmseg/models/decode_heads/fcn_head.py`).
"""

import keras
from keras import ops

from keras_rr import validation
from keras_rr.networks.layers.conv_module import batch_norm
from keras_rr.networks.layers.conv_module import channel_axis
from keras_rr.networks.layers.conv_module import kaiming_fan_out
from keras_rr.networks.layers.resize_like import ResizeLike
from keras_rr.pixel_losses.masked_cross_entropy import masked_cross_entropy

AUXILIARY_FEATURES = "auxiliary_features"
AUXILIARY_LOGITS = "auxiliary_logits"


def mark_auxiliary_features(x):
    """`x` through the `keras.layers.Identity` named `"auxiliary_features"` (the tap point)."""
    return keras.layers.Identity(name=AUXILIARY_FEATURES)(x)


def mark_auxiliary_logits(x):
    """`x` through the `keras.layers.Identity` named `"auxiliary_logits"`.

    For a head whose logits the segmenter itself needs (OCRNet's soft object regions):
    `InGraphAuxiliaryHead` adds their loss in training.
    """
    return keras.layers.Identity(name=AUXILIARY_LOGITS)(x)


@keras.saving.register_keras_serializable(package="keras_rr")
class AuxiliaryFCNHead(keras.layers.Layer):
    """mmsegmentation's auxiliary `FCNHead`: 3x3 conv-BN-ReLU, channel dropout, 1x1 classifier.

    `num_convs` mmcv `ConvModule`s (conv without bias, Kaiming fan_out; BatchNorm
    momentum 0.9 / epsilon 1e-5, torch's defaults; ReLU), `SpatialDropout2D(dropout)`
    (torch's `Dropout2d`), and a 1x1 conv with bias initialised N(0, 0.01) (mmseg's
    `conv_seg`). mmseg's auxiliary configs: `channels=256`, `num_convs=1`,
    `concat_input=False`, `dropout_ratio=0.1`, `loss_weight=0.4`. The output logits are
    at the input map's resolution; `compute_loss` resizes them to the labels as mmseg's
    `losses` does and scores them; the training wrapper adds `loss_weight` times it.

    Args:
        num_classes: int. Number of classes.
        channels: int. Width of the convs. Defaults to `256`.
        num_convs: int. Number of 3x3 conv modules (>= 1). Defaults to `1`.
        kernel_size: int. Conv kernel size. Defaults to `3`.
        dropout: float. Channel dropout rate before the classifier. Defaults to `0.1`.
        loss_weight: float. Weight of the auxiliary loss. Defaults to `0.4`.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.
        **kwargs: `keras.layers.Layer` arguments such as `name`.

    Call arguments:
        inputs: a 4-D feature map, e.g. the segmenter's `"auxiliary_features"` output.
        training: bool. Dropout is active in training only.

    Returns:
        Logits `(B, h, w, num_classes)` (channels_last) at the input map's resolution.

    Example:

    >>> head = AuxiliaryFCNHead(150)
    >>> tap = keras.Model(segmenter.inputs, segmenter.get_layer("auxiliary_features").output)
    >>> loss = head.loss_weight * head.compute_loss(labels, head(tap(images), training=True))
    """

    # The segmenter layer the training wrapper feeds this head by default.
    input_layer = AUXILIARY_FEATURES

    def __init__(self, num_classes, channels=256, num_convs=1, kernel_size=3, dropout=0.1, loss_weight=0.4,
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = validation.check_num_classes(num_classes)
        self.channels = validation.check_int(channels, "channels", minimum=1)
        self.num_convs = validation.check_int(num_convs, "num_convs", minimum=1)
        self.kernel_size = validation.check_int(kernel_size, "kernel_size", minimum=1)
        self.dropout = validation.check_number(dropout, "dropout", minimum=0.0, maximum=1.0, max_inclusive=False)
        self.loss_weight = validation.check_number(loss_weight, "loss_weight", minimum=0.0)
        self.data_format = validation.check_data_format(data_format)

    def build(self, input_shape):
        axis = channel_axis(self.data_format)
        self.convs, self.norms = [], []
        shape = tuple(input_shape)
        for i in range(self.num_convs):
            conv = keras.layers.Conv2D(
                self.channels,
                self.kernel_size,
                padding="same",
                use_bias=False,
                kernel_initializer=kaiming_fan_out(),
                data_format=self.data_format,
                dtype=self.dtype_policy,
                name=f"conv_{i}_conv",
            )
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
            norm = batch_norm(f"conv_{i}_bn", axis)
            norm.build(shape)
            self.convs.append(conv)
            self.norms.append(norm)
        self.dropout_layer = keras.layers.SpatialDropout2D(
            self.dropout, data_format=self.data_format, dtype=self.dtype_policy, name="dropout"
        )
        self.classifier = keras.layers.Conv2D(
            self.num_classes,
            1,
            kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
            data_format=self.data_format,
            dtype=self.dtype_policy,
            name="classifier",
        )
        self.classifier.build(shape)

    def call(self, inputs, training=None):
        x = inputs
        for conv, norm in zip(self.convs, self.norms):
            x = ops.relu(norm(conv(x), training=training))
        x = self.dropout_layer(x, training=training)
        return self.classifier(x)

    def compute_loss(self, y_true, logits, ignore_class=255, sample_weight=None, pixel_loss=None):
        """The loss of `logits` resized (bilinear, half-pixel) to the labels, unweighted.

        mmseg's `BaseDecodeHead.losses`: `resize(seg_logits, size=label size,
        mode="bilinear", align_corners=False)`, then cross-entropy ignoring
        `ignore_class`, averaged over the labelled pixels of the global batch
        (`keras_rr.losses.masked_cross_entropy` with `across_replicas=True`; mmseg 1.x's
        default `avg_non_ignore=False` divides by all pixels instead). The caller
        multiplies by `loss_weight` (the training wrapper logs the unweighted value as
        `auxiliary_loss`).

        Args:
            y_true: int labels `(B, H, W)` or `(B, H, W, 1)`.
            logits: this head's output `(B, h, w, num_classes)`.
            ignore_class: int or None. Defaults to `255`.
            sample_weight: None, `(B,)` or `(B, H, W)` weights. Defaults to `None`.
            pixel_loss: a `keras.losses.Loss` (or callable `(labels, logits,
                sample_weight)`) to score the resized logits with instead of the
                cross-entropy, e.g. the wrapper's compiled pixel loss. Defaults to
                `None`.

        Returns:
            float32 scalar tensor: this replica's share of the loss.

        Example:

        >>> total = main_loss + head.loss_weight * head.compute_loss(labels, auxiliary_logits)
        """
        labels = validation.squeeze_label_channel(ops.convert_to_tensor(y_true))
        reference = ops.expand_dims(labels, -1 if self.data_format == "channels_last" else 1)
        logits = ResizeLike(data_format=self.data_format)([ops.cast(logits, "float32"), reference])
        if self.data_format == "channels_first":
            logits = ops.transpose(logits, (0, 2, 3, 1))
        if pixel_loss is not None:
            # Keras Loss objects divide by the replica count themselves.
            return ops.cast(pixel_loss(labels, logits, sample_weight), "float32")
        return masked_cross_entropy(
            labels, logits, self.num_classes, ignore_class, sample_weight=sample_weight, across_replicas=True
        )

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        output_shape[channel_axis(self.data_format)] = self.num_classes
        return tuple(output_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "channels": self.channels,
                "num_convs": self.num_convs,
                "kernel_size": self.kernel_size,
                "dropout": self.dropout,
                "loss_weight": self.loss_weight,
                "data_format": self.data_format,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_rr")
class InGraphAuxiliaryHead(AuxiliaryFCNHead):
    """The loss of an auxiliary head that is part of the segmenter (OCRNet's soft regions).

    mmseg's `CascadeEncoderDecoder` (OCRNet) trains its first decode head, whose logits
    the second head reads, with its own cross-entropy (weight 0.4). That head cannot be a
    training-only branch: the segmenter needs it at inference. The segmenter names its
    logits with the layer `"auxiliary_logits"` (`input_layer`); this layer holds no
    weights, passes them through, and `compute_loss` (`AuxiliaryFCNHead`'s: resized to
    the labels, cross-entropy over the labelled pixels) scores them. The training wrapper
    adds `loss_weight` times that loss, as for `AuxiliaryFCNHead`.

    Args:
        num_classes: int. Number of classes.
        loss_weight: float. Weight of the loss. Defaults to `0.4` (mmseg's OCRNet).
        data_format: str or None. Defaults to `keras.config.image_data_format()`.
        **kwargs: `keras.layers.Layer` arguments such as `name`.

    Call arguments:
        inputs: the segmenter's auxiliary logits, returned unchanged.

    Returns:
        `inputs`.

    Example:

    >>> model = keras_rr.models.RegionRebalanceSegmenter(
    ...     ocr_net, 150, region_frequency=counts, auxiliary_head=InGraphAuxiliaryHead(150))
    """

    input_layer = AUXILIARY_LOGITS

    def __init__(self, num_classes, loss_weight=0.4, data_format=None, **kwargs):
        for key in ("channels", "num_convs", "kernel_size", "dropout"):
            kwargs.pop(key, None)  # AuxiliaryFCNHead's config keys: no layers here
        super().__init__(num_classes, loss_weight=loss_weight, data_format=data_format, **kwargs)

    def build(self, input_shape):
        pass

    def call(self, inputs, training=None):
        return inputs

    def get_config(self):
        config = super().get_config()
        for key in ("channels", "num_convs", "kernel_size", "dropout"):
            config.pop(key)
        return config


def has_layer(segmenter, name):
    """Whether `segmenter` (or the model inside a `NormalizedSegmenter`) has a top-level layer `name`."""
    model = getattr(segmenter, "inner", segmenter)
    return any(layer.name == name for layer in getattr(model, "layers", ()))


def auxiliary_head_for(segmenter, num_classes, channels=256, loss_weight=0.4):
    """The auxiliary head mmseg trains `segmenter` with.

    `InGraphAuxiliaryHead` when the segmenter computes its auxiliary logits itself (a
    layer `"auxiliary_logits"`: OCRNet), else an `AuxiliaryFCNHead` on its
    `"auxiliary_features"` map.

    Args:
        segmenter: a functional `keras.Model`.
        num_classes: int. Number of classes.
        channels: int. `AuxiliaryFCNHead`'s width. Defaults to `256`.
        loss_weight: float. Defaults to `0.4`.

    Returns:
        An `AuxiliaryFCNHead` (or `InGraphAuxiliaryHead`) named `"auxiliary_head"`.

    Example:

    >>> head = auxiliary_head_for(segmenter, 150)
    """
    if has_layer(segmenter, AUXILIARY_LOGITS):
        return InGraphAuxiliaryHead(num_classes, loss_weight=loss_weight, name="auxiliary_head")
    return AuxiliaryFCNHead(num_classes, channels=channels, loss_weight=loss_weight, name="auxiliary_head")
