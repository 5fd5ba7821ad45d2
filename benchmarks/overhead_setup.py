"""Data and models shared by the step-overhead benchmarks (no flags: importable by both).

`train_step_overhead.py` and `step_breakdown.py` must time the very same plain/RR pair on
the very same batches, so both build them here.
"""


def blocky_training_data(num_classes, size, count, seed=0):
    """Random images, region-like label maps and region frequencies.

    Args:
        num_classes: int. Number of classes `K`.
        size: int. Square image size (a multiple of 4).
        count: int. Number of images.
        seed: int. NumPy seed. Defaults to `0`.

    Returns:
        `(images, labels, region_frequency)`: float32 `(count, size, size, 3)` in [0, 255),
        int32 `(count, size, size)` and int `(K,)` counts in [1, 1000).

    Example:

    >>> images, labels, freq = blocky_training_data(150, 128, 20)
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 255, size=(count, size, size, 3)).astype("float32")
    # 4x4 blocks per image: region-like label maps, like real scenes (not per-pixel noise).
    blocks = rng.integers(0, num_classes, size=(count, 4, 4))
    labels = np.kron(blocks, np.ones((size // 4, size // 4), "int64")).astype("int32")
    return images, labels, rng.integers(1, 1000, size=num_classes)


def plain_pair(num_classes, depth, size):
    """A KerasHub DeepLabV3+ and the compiled plain `keras.Model` over its layers.

    The baseline is the same layers in a plain functional model, so both sides go through
    the same Keras `fit` (KerasHub tasks add their own preprocessing wrapper).

    Returns:
        `(segmenter, plain)`: the KerasHub task (to wrap) and the compiled baseline.
    """
    import keras

    from keras_rr.models.segmenter_builders import deeplab_v3_plus_resnet

    segmenter = deeplab_v3_plus_resnet(num_classes, depth=depth, image_size=size)
    plain = keras.Model(segmenter.inputs, segmenter.outputs, name="plain")
    plain.compile(
        optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255),
    )
    return segmenter, plain


def compiled_wrapper(segmenter, num_classes, region_frequency, **kwargs):
    """`RegionRebalanceSegmenter` over `segmenter`, compiled like the plain baseline."""
    import keras

    import keras_rr

    model = keras_rr.models.RegionRebalanceSegmenter(
        segmenter, num_classes, region_frequency=region_frequency, **kwargs
    )
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9))
    return model
