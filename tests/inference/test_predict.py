"""Whole-image, sliding-window and multi-scale + flip inference."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_rr import inference
from tests.harness import to_numpy
from tests.references import np_slide_inference
from tests.references import np_softmax

K = 4


def _pointwise_model():
    """1x1 conv: output at a pixel depends on that pixel only (flip/slide-invariant)."""
    inputs = keras.Input((None, None, 3))
    outputs = keras.layers.Conv2D(K, 1)(inputs)
    return keras.Model(inputs, outputs)


def _context_model(kernel=(3, 3), downsample=False):
    """Uses neighbours (and optionally halves the resolution): not pointwise."""
    inputs = keras.Input((None, None, 3))
    x = keras.layers.AveragePooling2D(2)(inputs) if downsample else inputs
    outputs = keras.layers.Conv2D(K, kernel, padding="same")(x)
    return keras.Model(inputs, outputs)


def _images(shape=(2, 10, 13, 3), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def test_whole_shapes_and_probabilities():
    images = _images()
    probs = to_numpy(inference.predict_whole(_pointwise_model(), images))
    assert probs.shape == (2, 10, 13, K)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
    # A stride-2 output is resized back to the input size.
    model = _context_model(downsample=True)
    probs = to_numpy(inference.predict_whole(model, images))
    assert probs.shape == (2, 10, 13, K)
    logits = model(images)
    expected = np_softmax(to_numpy(ops.image.resize(logits, (10, 13), interpolation="bilinear")))
    np.testing.assert_allclose(probs, expected, atol=1e-5)
    labels = to_numpy(inference.predict_labels(model, images))
    assert labels.shape == (2, 10, 13) and labels.dtype == np.int32
    np.testing.assert_array_equal(labels, expected.argmax(-1))


def test_output_probabilities_are_not_softmaxed_again():
    model = _pointwise_model()
    images = _images()
    probs_model = keras.Sequential([model, keras.layers.Softmax()])
    np.testing.assert_allclose(
        to_numpy(inference.predict_whole(probs_model, images, output_probabilities=True)),
        to_numpy(inference.predict_whole(model, images)),
        atol=1e-6,
    )


def test_sliding_window_equals_whole_for_pointwise_model():
    model = _pointwise_model()
    images = _images()
    whole = to_numpy(inference.predict_whole(model, images))
    for crop, stride in [(6, 4), ((4, 8), (3, 5)), (10, 10)]:
        slide = to_numpy(
            inference.predict_sliding_window(model, images, crop, stride, num_classes=K)
        )
        assert slide.shape == whole.shape
        np.testing.assert_allclose(slide, whole, atol=1e-5)


def _reference_slide(model, images, crop, stride):
    return np_slide_inference(lambda window: to_numpy(model(window)), images, crop, stride)


def test_sliding_window_matches_mmseg_reference_for_context_model():
    model = _context_model()
    images = _images()
    got = to_numpy(inference.predict_sliding_window(model, images, 6, 4))
    np.testing.assert_allclose(got, _reference_slide(model, images, 6, 4), atol=1e-5)
    # Overlapping windows of a context model differ from whole-image inference.
    assert np.abs(got - to_numpy(inference.predict_whole(model, images))).max() > 1e-3


def test_image_smaller_than_crop_is_padded():
    model = _context_model()
    images = _images((1, 5, 7, 3))
    got = to_numpy(inference.predict_sliding_window(model, images, crop_size=8, stride=6))
    assert got.shape == (1, 5, 7, K)
    padded = np.pad(images, ((0, 0), (0, 3), (0, 1), (0, 0)))  # zeros bottom/right
    expected = np_softmax(to_numpy(model(padded))[:, :5, :7])
    np.testing.assert_allclose(got, expected, atol=1e-5)
    # Padding is only along the short side when one side is long enough.
    images = _images((1, 5, 12, 3), seed=1)
    got = to_numpy(inference.predict_sliding_window(model, images, crop_size=8, stride=4))
    padded = np.pad(images, ((0, 0), (0, 3), (0, 0), (0, 0)))
    np.testing.assert_allclose(
        got, _reference_slide(model, padded, 8, 4)[:, :5], atol=1e-5
    )


def test_multi_scale_single_scale_with_flip_equals_whole_for_pointwise_model():
    model = _pointwise_model()
    images = _images()
    whole = to_numpy(inference.predict_whole(model, images))
    ms = to_numpy(inference.predict_multi_scale(model, images, scales=(1.0,), flip=True))
    np.testing.assert_allclose(ms, whole, atol=1e-6)
    ms_slide = to_numpy(
        inference.predict_multi_scale(
            model, images, scales=(1.0,), flip=True, mode="slide", crop_size=6, stride=4
        )
    )
    np.testing.assert_allclose(ms_slide, whole, atol=1e-5)


def test_flip_is_undone():
    # A 1x3 kernel is not flip-equivariant, so a missing un-flip would show.
    model = _context_model(kernel=(1, 3))
    images = _images()
    got = to_numpy(inference.predict_multi_scale(model, images, scales=(1.0,), flip=True))
    plain = np_softmax(to_numpy(model(images)))
    flipped = np_softmax(to_numpy(model(images[:, :, ::-1].copy())))[:, :, ::-1]
    np.testing.assert_allclose(got, (plain + flipped) / 2, atol=1e-5)


def test_multi_scale_default_scales():
    # A pointwise model on a constant image gives the same answer at every scale and
    # flip, so the average over the paper's 6 scales x 2 flips equals one view.
    pointwise = _pointwise_model()
    const = np.full((2, 10, 13, 3), 0.7, "float32")
    probs = to_numpy(inference.predict_multi_scale(pointwise, const))
    assert probs.shape == (2, 10, 13, K)
    np.testing.assert_allclose(probs, to_numpy(inference.predict_whole(pointwise, const)),
                               atol=1e-5)


def test_multi_scale_one_view_matches_manual():
    # One scale, no flip: resize input, predict, resize logits back, softmax.
    model = _context_model(downsample=True)
    images = _images((1, 12, 16, 3))
    one = to_numpy(inference.predict_multi_scale(model, images, scales=(0.5,), flip=False))
    small = ops.image.resize(images, (6, 8), interpolation="bilinear")
    expected = np_softmax(
        to_numpy(ops.image.resize(model(small), (12, 16), interpolation="bilinear"))
    )
    np.testing.assert_allclose(one, expected, atol=1e-5)
    two = to_numpy(inference.predict_multi_scale(model, images, scales=(0.5, 1.0), flip=False))
    whole = to_numpy(inference.predict_whole(model, images))
    np.testing.assert_allclose(two, (expected + whole) / 2, atol=1e-5)


def test_predict_probabilities_modes_and_channels_first_callable():
    # A plain callable (not a keras.Model) in channels_first layout: pointwise mixing.
    weights = np.random.default_rng(3).normal(size=(3, K)).astype("float32")

    def model_cf(x):
        return ops.einsum("bchw,ck->bkhw", x, weights)

    def model_cl(x):
        return ops.einsum("bhwc,ck->bhwk", x, weights)

    images = _images()
    images_cf = np.transpose(images, (0, 3, 1, 2))
    for mode, kwargs in [
        ("whole", {}),
        ("slide", {"crop_size": 6, "stride": 4}),
        ("multi_scale", {"scales": (0.75, 1.0), "flip": True}),
    ]:
        cl = to_numpy(inference.predict_probabilities(model_cl, images, mode=mode, **kwargs))
        cf = to_numpy(
            inference.predict_probabilities(
                model_cf, images_cf, mode=mode, data_format="channels_first", **kwargs
            )
        )
        assert cf.shape == (2, K, 10, 13)
        np.testing.assert_allclose(np.transpose(cf, (0, 2, 3, 1)), cl, atol=1e-5)
    labels = to_numpy(
        inference.predict_labels(model_cf, images_cf, data_format="channels_first")
    )
    assert labels.shape == (2, 10, 13)


def test_bad_arguments():
    model = _pointwise_model()
    images = _images()
    with pytest.raises(ValueError, match="stride"):
        inference.predict_sliding_window(model, images, crop_size=4, stride=5)
    with pytest.raises(ValueError, match="crop_size"):
        inference.predict_sliding_window(model, images, crop_size=0, stride=1)
    with pytest.raises(ValueError, match="mode"):
        inference.predict_multi_scale(model, images, mode="tiles")
    with pytest.raises(ValueError, match="crop_size"):
        inference.predict_probabilities(model, images, mode="slide")
    with pytest.raises(ValueError, match="scales"):
        inference.predict_multi_scale(model, images, scales=(0.0,))
    with pytest.raises(ValueError, match=rf"num_classes={K + 1}.*segmenter_from_preset\(preset, num_classes={K + 1}\)"):
        inference.predict_whole(model, images, num_classes=K + 1)
    with pytest.raises(ValueError, match="images"):
        inference.predict_whole(model, images[0])


@pytest.mark.parametrize(
    "predict",
    [
        lambda model, images, **kw: inference.predict_sliding_window(model, images, **kw),
        lambda model, images, **kw: inference.predict_multi_scale(model, images, mode="slide", scales=(1.0,), **kw),
        lambda model, images, **kw: inference.predict_probabilities(model, images, mode="slide", **kw),
        lambda model, images, **kw: inference.predict_labels(model, images, mode="slide", **kw),
    ],
    ids=["sliding_window", "multi_scale", "probabilities", "labels"],
)
def test_every_sliding_window_entry_checks_its_window(predict):
    model = _pointwise_model()
    images = _images()
    with pytest.raises(ValueError, match="needs `crop_size` and `stride`"):
        predict(model, images, crop_size=6, stride=None)
    with pytest.raises(ValueError, match="stride` larger than `crop_size"):
        predict(model, images, crop_size=(6, 4), stride=(4, 5))
    with pytest.raises(ValueError, match="crop_size"):
        predict(model, images, crop_size=(6, 4, 2), stride=4)
    with pytest.raises(ValueError, match="stride"):
        predict(model, images, crop_size=6, stride="four")
    # A valid window on a pointwise model is whole-image inference.
    out = to_numpy(predict(model, images, crop_size=(6, 4), stride=(4, 3)))
    whole = to_numpy(inference.predict_whole(model, images))
    np.testing.assert_allclose(out, whole.argmax(-1) if out.ndim == 3 else whole, atol=1e-5)


def test_mode_and_data_format_are_checked():
    model = _pointwise_model()
    images = _images()
    with pytest.raises(ValueError, match="mode"):
        inference.predict_probabilities(model, images, mode="tiles")
    with pytest.raises(ValueError, match="mode"):
        inference.predict_multi_scale(model, images, mode="multi_scale")
    with pytest.raises(ValueError, match="data_format"):
        inference.predict_whole(model, images, data_format="NHWC")
    with pytest.raises(ValueError, match="data_format"):
        inference.predict_labels(model, images, data_format="channels_middle")


def test_a_fixed_size_model_sees_its_size_and_multi_scale_asks_for_a_window():
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(K, 1)(inputs))
    assert inference.model_input_size(model) == (8, 8) and inference.model_input_size(_pointwise_model()) is None
    assert inference.default_stride(512) == 341 and inference.default_stride((96, 769)) == (64, 513)
    images = _images((2, 10, 13, 3))
    # Whole-image inference resizes the images to the model's 8x8 and the scores back.
    probs = to_numpy(inference.predict_whole(model, images))
    resized = ops.image.resize(images, (8, 8), interpolation="bilinear")
    expected = ops.image.resize(model(resized), (10, 13), interpolation="bilinear")
    np.testing.assert_allclose(probs, np_softmax(to_numpy(expected)), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"takes 8x8 images only.*mode='slide', crop_size=8, stride=5"):
        inference.predict_multi_scale(model, images, scales=(1.0,))
    assert inference.predict_multi_scale(model, images, (0.5, 1.0), mode="slide", crop_size=8, stride=5).shape == (2, 10, 13, K)
