"""Any supported KerasHub backbone as one functional encoder: images -> four maps, strides 4..32."""

import keras

from keras_rr.networks.backbones.backbone_pyramid import BackbonePyramid
from keras_rr.networks.backbones.resnet_c import dilated_resnet
from keras_rr.networks.backbones.resnet_v1c import PYRAMID_LEVELS
from keras_rr.networks.backbones.resnet_v1c import is_pyramid_model
from keras_rr.networks.backbones.swin_transformer_pyramid import SwinTransformerPyramid


def square_image_shape(image_size, data_format=None):
    """`(size, size, 3)`, or `(3, size, size)` for `"channels_first"`.

    Args:
        image_size: int or None.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.

    Returns:
        tuple: the input shape without the batch size.

    Example:

    >>> square_image_shape(512)
    (512, 512, 3)
    """
    if (data_format or keras.config.image_data_format()) == "channels_last":
        return (image_size, image_size, 3)
    return (3, image_size, image_size)


def rebuilt_backbone(backbone, **updates):
    """`backbone` rebuilt from its config with `updates` (same weights), if anything changes.

    Args:
        backbone: a KerasHub `Backbone`.
        **updates: config fields to change, e.g. `image_shape=(640, 640, 3)`.

    Returns:
        `backbone` itself when no field changes, else a new backbone holding its weights.

    Example:

    >>> swin = rebuilt_backbone(swin, drop_path=0.3)
    """
    config = backbone.get_config()
    if all(_same(config.get(key), value) for key, value in updates.items()):
        return backbone
    config.update(updates)
    rebuilt = type(backbone).from_config(config)
    rebuilt.set_weights(backbone.get_weights())
    return rebuilt


def _same(a, b):
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return tuple(a) == tuple(b)
    return a == b


def pyramid_encoder(backbone, image_size, name="image_encoder"):
    """A KerasHub backbone as a functional model from images to its four maps (strides 4..32).

    Args:
        backbone: a `keras_hub.models.ResNetBackbone` (post-activation; undilated,
            through `keras_rr.models.dilated_resnet(backbone, output_stride=32)`),
            `MiTBackbone` or `SwinTransformerBackbone` (its stages before patch
            merging, `keras_rr.models.SwinTransformerPyramid`), or a functional model
            from images to a dict of `"P2"`..`"P5"` (`keras_rr.models.resnet_v1c_backbone`,
            used as it is: build it for `image_size`). Weights are shared or copied,
            never re-initialised.
        image_size: int. Square input size (MiT and Swin are rebuilt for it when it
            differs from the backbone's `image_shape`).
        name: str. Model name. Defaults to `"image_encoder"`.

    Returns:
        A functional `keras.Model` from images to a list of four feature maps.

    Example:

    >>> c1, c2, c3, c4 = pyramid_encoder(keras_hub.models.ResNetBackbone(**resnet_c_config(50)), 512)(images)
    """
    if is_pyramid_model(backbone):
        return keras.Model(backbone.input, [backbone.output[key] for key in PYRAMID_LEVELS], name=name)
    import keras_hub

    image_shape = square_image_shape(image_size)
    if isinstance(backbone, keras_hub.models.ResNetBackbone):
        encoder = dilated_resnet(backbone, output_stride=32, image_shape=image_shape)
        levels = [encoder.output[key] for key in ("P2", "P3", "P4", "P5")]
        return keras.Model(encoder.input, levels, name=name)
    if isinstance(backbone, keras_hub.models.MiTBackbone):
        backbone = rebuilt_backbone(backbone, image_shape=image_shape)
        images = keras.Input(image_shape, name="images")
        levels = BackbonePyramid(backbone, ("P1", "P2", "P3", "P4"), name="mit_pyramid")(images)
        return keras.Model(images, levels, name=name)
    if isinstance(backbone, keras_hub.models.SwinTransformerBackbone):
        backbone = rebuilt_backbone(backbone, image_shape=image_shape)
        images = keras.Input(image_shape, name="images")
        return keras.Model(images, SwinTransformerPyramid(backbone, name="swin_pyramid")(images), name=name)
    raise ValueError(
        "`encoder` must be a KerasHub ResNetBackbone, MiTBackbone or SwinTransformerBackbone. "
        f"Received: encoder={type(backbone).__name__}"
    )
