"""`small_fcn`: a tiny functional FCN for the synthetic data, demos and tests."""

import keras


def small_fcn(num_classes, image_size=64, width=32, name="small_fcn"):
    """A small BatchNorm-free encoder-decoder CNN for CPU demos and tests.

    Two strided conv stages, a context conv and a decoder conv at 1/4 resolution,
    a 1x1 classifier and a bilinear upsampling back to the input size.

    Args:
        num_classes: int. Number of classes.
        image_size: int or None. Square input size (None for any size). Defaults to `64`.
        width: int. Channels of the decoder features. Defaults to `32`.
        name: str. Model name. Defaults to `"small_fcn"`.

    Returns:
        A functional `keras.Model` whose decoder features are the layer `"decoder"`.

    Example:

    >>> segmenter = small_fcn(12, image_size=64)
    """
    inputs = keras.Input((image_size, image_size, 3), name="images")
    x = keras.layers.Rescaling(1.0 / 255.0, name="rescale")(inputs)
    x = keras.layers.Conv2D(width // 2, 3, strides=2, padding="same", activation="relu", name="stem")(x)
    x = keras.layers.Conv2D(width, 3, strides=2, padding="same", activation="relu", name="stage2")(x)
    x = keras.layers.Conv2D(width, 3, padding="same", dilation_rate=2, activation="relu", name="context")(x)
    x = keras.layers.Conv2D(width, 3, padding="same", activation="relu", name="decoder")(x)
    x = keras.layers.Conv2D(num_classes, 1, name="classifier")(x)
    outputs = keras.layers.UpSampling2D(4, interpolation="bilinear", name="upsample")(x)
    return keras.Model(inputs, outputs, name=name)
