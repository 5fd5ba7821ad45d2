"""mmseg's `BaseDecodeHead.cls_seg`: channel dropout, then the 1x1 classifier conv."""

import keras


def classifier(x, num_classes, data_format=None, name="classifier"):
    """mmseg's `conv_seg`: a 1x1 conv with bias, kernel N(0, 0.01) (mmseg's `normal_init`),
    bias 0.

    Args:
        x: a 4-D Keras tensor.
        num_classes: int.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.
        name: str. Defaults to `"classifier"` (the layer the Region Rebalance wrapper's
            tap reads the input of).

    Returns:
        The logits Keras tensor.

    Example:

    >>> logits = classifier(decoder_features, 150)
    """
    return keras.layers.Conv2D(
        num_classes,
        1,
        kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
        data_format=data_format or keras.config.image_data_format(),
        name=name,
    )(x)


def segmentation_classifier(x, num_classes, dropout=0.1, data_format=None):
    """`SpatialDropout2D(dropout)` (torch's `Dropout2d`, layer `"dropout"`) and `classifier`.

    Every decode head ends in it, as every mmseg head ends in `cls_seg`.

    Args:
        x: a 4-D Keras tensor: the head's decoder features.
        num_classes: int.
        dropout: float. Channel dropout rate (mmseg: 0.1). Defaults to `0.1`.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.

    Returns:
        The logits Keras tensor, at `x`'s resolution.

    Example:

    >>> logits = segmentation_classifier(psp_head(c5, 512), 150)
    """
    data_format = data_format or keras.config.image_data_format()
    x = keras.layers.SpatialDropout2D(dropout, data_format=data_format, name="dropout")(x)
    return classifier(x, num_classes, data_format)
