"""mmseg's `Feature2Pyramid` neck: four same-stride ViT maps rescaled into a pyramid."""

import keras

from keras_rr import validation
from keras_rr.networks.layers.conv_module import batch_norm
from keras_rr.networks.layers.conv_module import channel_axis
from keras_rr.networks.layers.module_paths import module_path_name

RESCALES = (4, 2, 1, 0.5)


def feature2pyramid(features, rescales=RESCALES, data_format=None, name="neck"):
    """mmseg's `Feature2Pyramid` (`mmseg/models/necks/featurepyramid.py`) on ViT block maps.

    A plain ViT gives every map at stride 16; UPerNet wants strides 4, 8, 16, 32. Each
    map is rescaled by its factor in `rescales`:

    - 4: `upsample_4x` = 2x2/2 transposed conv -> BatchNorm -> exact GELU -> 2x2/2
      transposed conv (`{name}.upsample_4x.0` .. `.3`);
    - 2: `upsample_2x` = a 2x2/2 transposed conv (`{name}.upsample_2x.0`);
    - 1: identity (`{name}.identity`);
    - 0.5 / 0.25: 2x2/2 / 4x4/4 max pooling (`{name}.downsample_2x` / `_4x`).

    The transposed convs keep the width and have biases; the BatchNorm is torch's
    (momentum 0.1, epsilon 1e-5; mmseg's configs: SyncBN). Layer names are mmseg's module
    paths with `-` for `.` (`keras_rr.networks.layers.module_paths`), e.g.
    `neck-upsample_4x-0`.

    Args:
        features: list of 4-D Keras tensors, one per entry of `rescales`, all as wide.
        rescales: tuple of 4, 2, 1, 0.5 or 0.25, one per map. Defaults to
            `(4, 2, 1, 0.5)`.
        data_format: str or None. Defaults to `keras.config.image_data_format()`.
        name: str. mmseg's module path of the neck. Defaults to `"neck"`.

    Returns:
        list of the rescaled Keras tensors, in order.

    Example:

    >>> pyramid = feature2pyramid(backbone(images))  # strides 4, 8, 16, 32
    """
    data_format = data_format or keras.config.image_data_format()
    rescales = tuple(rescales)
    if len(rescales) != len(features) or any(r not in (4, 2, 1, 0.5, 0.25) for r in rescales):
        raise ValueError(
            "`rescales` must give one of 4, 2, 1, 0.5, 0.25 per feature map "
            f"({len(features)} maps). Received: rescales={rescales}"
        )
    name = validation.check_strings((name,), "name")[0]
    axis = channel_axis(data_format)
    outputs = []
    for x, rescale in zip(features, rescales):
        width = x.shape[axis]

        def deconv(path):
            return keras.layers.Conv2DTranspose(
                width, 2, strides=2, data_format=data_format, name=module_path_name(f"{name}.{path}")
            )

        if rescale == 4:
            x = deconv("upsample_4x.0")(x)
            x = batch_norm(module_path_name(f"{name}.upsample_4x.1"), axis)(x)
            x = keras.layers.Activation("gelu", name=module_path_name(f"{name}.upsample_4x.2"))(x)  # exact GELU
            x = deconv("upsample_4x.3")(x)
        elif rescale == 2:
            x = deconv("upsample_2x.0")(x)
        elif rescale == 1:
            x = keras.layers.Identity(name=module_path_name(f"{name}.identity"))(x)
        else:
            size = 2 if rescale == 0.5 else 4
            x = keras.layers.MaxPooling2D(
                size, size, data_format=data_format, name=module_path_name(f"{name}.downsample_{size}x")
            )(x)
        outputs.append(x)
    return outputs
