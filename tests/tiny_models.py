"""Tiny segmenters built from explicit configs (never presets: those need the network)."""

import keras

IMAGE_SIZE = 64


def functional_segmenter(num_classes, size=32, channels=8, softmax=False, name="toy"):
    """A BatchNorm-free fully convolutional model: deterministic under any strategy."""
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(channels, 3, strides=2, padding="same", activation="relu", name="encoder")(inputs)
    x = keras.layers.Conv2D(channels, 3, padding="same", activation="relu", name="decoder")(x)
    x = keras.layers.Conv2D(num_classes, 1, name="classifier")(x)
    x = keras.layers.UpSampling2D(2, interpolation="bilinear", name="upsample")(x)
    if softmax:
        x = keras.layers.Softmax(name="probabilities")(x)
    return keras.Model(inputs, x, name=name)


def segmenter_with_auxiliary_map(num_classes, size=32, name="toy_aux"):
    """Encoder (stride 2) -> 'auxiliary_features' -> decoder -> classifier -> 2x upsampling.

    The `"auxiliary_features"` layer is the stage map mmseg's auxiliary head reads
    (`keras_rr.models.auxiliary_head`); BatchNorm-free like `functional_segmenter`.
    """
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="encoder")(inputs)
    x = keras.layers.Identity(name="auxiliary_features")(x)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="decoder")(x)
    x = keras.layers.Conv2D(num_classes, 1, name="classifier")(x)
    x = keras.layers.UpSampling2D(2, interpolation="bilinear", name="upsample")(x)
    return keras.Model(inputs, x, name=name)


# ImageNet mean/std for [0, 255] inputs, as KerasHub's ResNet image converters hold them.
IMAGENET_SCALE = [1 / (0.229 * 255), 1 / (0.224 * 255), 1 / (0.225 * 255)]
IMAGENET_OFFSET = [-0.485 / 0.229, -0.456 / 0.224, -0.406 / 0.225]


def keras_hub_deeplab_v3(num_classes, size=IMAGE_SIZE, preprocessor=False):
    """A tiny KerasHub DeepLabV3+ (ResNet with 1 basic block of 64 filters per stage).

    With `preprocessor=True` the task carries a KerasHub image segmenter preprocessor
    whose converter resizes to `size` and applies ImageNet mean/std, as pretrained
    presets do.
    """
    import keras_hub

    backbone = keras_hub.models.DeepLabV3Backbone(
        image_encoder=keras_hub_resnet(size),
        low_level_feature_key="P2",
        spatial_pyramid_pooling_key="P5",
        upsampling_size=8,
        dilation_rates=[6, 12, 18],
        image_shape=(size, size, 3),
    )
    task_preprocessor = None
    if preprocessor:
        converter = keras_hub.layers.DeepLabV3ImageConverter(
            image_size=(size, size), scale=IMAGENET_SCALE, offset=IMAGENET_OFFSET
        )
        task_preprocessor = keras_hub.models.DeepLabV3ImageSegmenterPreprocessor(image_converter=converter)
    return keras_hub.models.DeepLabV3ImageSegmenter(
        backbone=backbone, num_classes=num_classes, preprocessor=task_preprocessor
    )


def keras_hub_resnet(size=IMAGE_SIZE):
    """A tiny KerasHub ResNet encoder (1 basic block of 64 filters per stage)."""
    import keras_hub

    return keras_hub.models.ResNetBackbone(
        input_conv_filters=[64],
        input_conv_kernel_sizes=[7],
        stackwise_num_filters=[64, 64, 64, 64],
        stackwise_num_blocks=[1, 1, 1, 1],
        stackwise_num_strides=[1, 2, 2, 2],
        block_type="basic_block",
        image_shape=(size, size, 3),
    )


def keras_hub_mit(size=IMAGE_SIZE):
    """A tiny KerasHub MiT encoder (64 px: at 32 px TensorFlow loses the last stage's channels)."""
    import keras_hub

    return keras_hub.models.MiTBackbone(
        layerwise_depths=[1, 1, 1, 1],
        num_layers=4,
        layerwise_num_heads=[1, 1, 2, 2],
        layerwise_sr_ratios=[8, 4, 2, 1],
        max_drop_path_rate=0.0,
        layerwise_patch_sizes=[7, 3, 3, 3],
        layerwise_strides=[4, 2, 2, 2],
        hidden_dims=[8, 16, 24, 32],
        image_shape=(size, size, 3),
    )


def keras_hub_segformer(num_classes, size=IMAGE_SIZE):
    import keras_hub

    backbone = keras_hub.models.SegFormerBackbone(image_encoder=keras_hub_mit(size), projection_filters=32)
    return keras_hub.models.SegFormerImageSegmenter(backbone=backbone, num_classes=num_classes)


def keras_cv_deeplab_v3_plus(num_classes, size=IMAGE_SIZE):
    import keras_cv

    backbone = keras_cv.models.ResNetBackbone(
        stackwise_filters=[8, 16, 16, 16],
        stackwise_blocks=[1, 1, 1, 1],
        stackwise_strides=[1, 2, 2, 2],
        include_rescaling=False,
        input_shape=(size, size, 3),
    )
    return keras_cv.models.DeepLabV3Plus(backbone=backbone, num_classes=num_classes, projection_filters=8)


def trained_region_rebalance_segmenter(num_classes=3, size=32):
    """A `RegionRebalanceSegmenter` around `functional_segmenter`, fit for one step.

    Returns:
        `(model, images)`: the wrapper and the two images it was fit on.
    """
    import numpy as np

    from keras_rr.models import RegionRebalanceSegmenter
    from tests.harness import random_labels

    segmenter = functional_segmenter(num_classes, size=size, softmax=True)
    frequency = np.arange(num_classes, 0, -1) * 2 + 1  # a long tail: [.., 5, 3]
    model = RegionRebalanceSegmenter(segmenter, num_classes, region_frequency=frequency, projection_dim=4)
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    images = np.random.default_rng(0).uniform(size=(2, size, size, 3)).astype("float32")
    model.fit(images, random_labels((2, size, size), num_classes), verbose=0)
    return model, images


# A converter normalisation unlike ImageNet's, so a test can tell which one a model applies.
CONVERTER_SCALE = [1 / 255, 2 / 255, 3 / 255]
CONVERTER_OFFSET = [-0.1, -0.2, -0.3]
PRESET_CLASSES = 4


def save_resnet_presets(root, num_classes=PRESET_CLASSES, size=32):
    """Saves, with `save_to_preset`, the two kinds of preset the builders load (offline).

    - `root/deeplab`: a whole-task preset, `keras_hub_deeplab_v3(num_classes, size,
      preprocessor=True)` (ImageNet mean/std, `IMAGENET_SCALE` / `IMAGENET_OFFSET`);
    - `root/resnet`: a backbone preset, that task's ResNet encoder with a
      `ResNetImageConverter` of `CONVERTER_SCALE` / `CONVERTER_OFFSET`.

    Returns:
        dict: `resnet` and `deeplab` (the directories, str), `encoder_weights` and
        `task_weights` (the saved weights, lists of NumPy arrays in `get_weights` order).
    """
    import os

    import keras_hub

    directories = {"resnet": os.path.join(root, "resnet"), "deeplab": os.path.join(root, "deeplab")}
    task = keras_hub_deeplab_v3(num_classes, size, preprocessor=True)
    task.save_to_preset(directories["deeplab"])
    encoder = task.backbone.image_encoder
    encoder.save_to_preset(directories["resnet"])
    keras_hub.layers.ResNetImageConverter(
        image_size=(size, size), scale=CONVERTER_SCALE, offset=CONVERTER_OFFSET
    ).save_to_preset(directories["resnet"])
    return {**directories, "encoder_weights": encoder.get_weights(), "task_weights": task.get_weights()}
