import keras
import numpy as np
import pytest

from keras_rr.ops import region_mean
from keras_rr.ops import sample_labels_nearest
from tests.harness import BACKEND
from tests.harness import random_labels
from tests.harness import to_numpy
from tests.references import np_region_mean
from tests.references import np_sample_labels_nearest


@pytest.mark.parametrize("method", ["segment_sum", "one_hot"])
@pytest.mark.parametrize(
    "feature_hw,label_hw",
    [((8, 8), (8, 8)), ((8, 8), (32, 32)), ((4, 5), (13, 11)), ((6, 6), (4, 4))],
    ids=["same", "4x", "non_integer_ratio", "labels_smaller"],
)
def test_region_mean_matches_numpy(method, feature_hw, label_hw):
    rng = np.random.default_rng(0)
    num_classes = 7
    features = rng.normal(size=(3,) + feature_hw + (5,)).astype("float32")
    labels = random_labels((3,) + label_hw, num_classes - 2, ignore_fraction=0.2)  # 5, 6 absent
    labels[1] = 255  # an all-ignored image
    got, mask = region_mean(features, labels, num_classes, method=method)
    want, want_mask = np_region_mean(features, labels, num_classes)
    np.testing.assert_array_equal(to_numpy(mask), want_mask)
    np.testing.assert_allclose(to_numpy(got), want, atol=1e-5)
    assert not to_numpy(mask)[1].any()
    assert not to_numpy(mask)[:, 5:].any()
    assert to_numpy(got).dtype == np.float32


def test_out_of_range_ids_count_nowhere():
    features = np.ones((1, 2, 2, 1), "float32") * np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 2, 2, 1)
    labels = np.array([[[0, -1], [3, 0]]], "int32")  # -1 and 3 (K=3) are out of range
    got, mask = region_mean(features, labels, 3)
    np.testing.assert_array_equal(to_numpy(mask), [[True, False, False]])
    np.testing.assert_allclose(to_numpy(got)[0, 0], [2.5])  # mean of 1 and 4


def test_sample_labels_nearest_cell_centres():
    labels = np.arange(16, dtype="int32").reshape(1, 4, 4)
    np.testing.assert_array_equal(to_numpy(sample_labels_nearest(labels, 2, 2)), [[[5, 7], [13, 15]]])
    # Non-integer ratio 5 -> 3: rows floor((i + .5) * 5 / 3) = 0, 2, 4.
    labels = np.arange(25, dtype="int32").reshape(1, 5, 5)
    np.testing.assert_array_equal(to_numpy(sample_labels_nearest(labels, 3, 3))[0, :, 0], [0, 10, 20])


@pytest.mark.parametrize("in_hw, out_hw", [((8, 8), (2, 2)), ((12, 8), (4, 2)), ((9, 6), (3, 3)), ((7, 5), (3, 2))])
def test_sample_labels_nearest_matches_cell_centre_formula(in_hw, out_hw):
    # Integer factors take a strided-slice shortcut; both paths must pick the pixel
    # floor((i + 0.5) * H / h) of the definition.
    labels = np.random.default_rng(0).integers(0, 100, size=(2,) + in_hw).astype("int32")
    want = np_sample_labels_nearest(labels, *out_hw)
    np.testing.assert_array_equal(to_numpy(sample_labels_nearest(labels, *out_hw)), want)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_features_accumulate_in_float32(dtype):
    # 64x64 pixels of value 60000 overflow a float16 sum (max 65504) after 2 pixels.
    features = np.full((1, 64, 64, 2), 60000.0 if dtype == "float16" else 3.0e4, "float32")
    labels = np.zeros((1, 64, 64), "int32")
    got, mask = region_mean(keras.ops.cast(features, dtype), labels, 2)
    got = to_numpy(got)
    assert got.dtype == np.float32
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got[0, 0], features[0, 0, 0], rtol=1e-2)
    assert to_numpy(mask).tolist() == [[True, False]]


def test_labels_resolution_upsamples_features():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(2, 4, 4, 3)).astype("float32")
    labels = random_labels((2, 16, 16), 4)
    got, mask = region_mean(features, labels, 4, resolution="labels")
    upsampled = to_numpy(keras.ops.image.resize(features, (16, 16), interpolation="bilinear"))
    want, want_mask = np_region_mean(upsampled, labels, 4)
    np.testing.assert_allclose(to_numpy(got), want, atol=1e-5)
    np.testing.assert_array_equal(to_numpy(mask), want_mask)


def test_trailing_label_channel_and_channels_first():
    rng = np.random.default_rng(2)
    features = rng.normal(size=(2, 4, 4, 3)).astype("float32")
    labels = random_labels((2, 8, 8), 3)
    want, _ = region_mean(features, labels, 3)
    got, _ = region_mean(np.transpose(features, (0, 3, 1, 2)), labels[..., None], 3, data_format="channels_first")
    np.testing.assert_allclose(to_numpy(got), to_numpy(want), atol=1e-6)


def _grad_of_pooled_sum(features, labels, weights, method):
    """d/dfeatures of sum(weights * region_mean(features)) on the active backend."""
    if BACKEND == "jax":
        import jax

        fn = jax.jit(lambda f: (region_mean(f, labels, 3, method=method)[0] * weights).sum())
        return np.asarray(jax.grad(fn)(features))
    if BACKEND == "tensorflow":
        import tensorflow as tf

        f = tf.Variable(features)
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(region_mean(f, labels, 3, method=method)[0] * weights)
        return tape.gradient(loss, f).numpy()
    import torch

    f = torch.tensor(features, requires_grad=True)
    (region_mean(f, labels, 3, method=method)[0] * torch.tensor(weights)).sum().backward()
    return f.grad.numpy()


@pytest.mark.parametrize("method", ["segment_sum", "one_hot"])
def test_gradient_matches_numpy(method):
    rng = np.random.default_rng(3)
    features = rng.normal(size=(2, 4, 4, 2)).astype("float32")
    labels = random_labels((2, 4, 4), 3, ignore_fraction=0.25)
    weights = rng.normal(size=(2, 3, 2)).astype("float32")
    grad = _grad_of_pooled_sum(features, labels, weights, method)
    # d mean_k / d f_p = 1/count_k for pixels p of region k, 0 for ignored pixels.
    want = np.zeros_like(features)
    for b in range(2):
        for k in range(3):
            sel = labels[b] == k
            if sel.any():
                want[b][sel] = weights[b, k] / sel.sum()
    np.testing.assert_allclose(grad, want, atol=1e-6)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="unknown batch size only arises in TF graphs")
def test_tf_graph_with_unknown_batch_size():
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec((None, 4, 4, 2)), tf.TensorSpec((None, 8, 8), tf.int32)])
    def pooled(features, labels):
        return region_mean(features, labels, 3)

    rng = np.random.default_rng(4)
    for batch in (3, 1):  # a full and a partial last batch through one trace
        features = rng.normal(size=(batch, 4, 4, 2)).astype("float32")
        labels = random_labels((batch, 8, 8), 3)
        got, mask = pooled(features, labels)
        want, want_mask = np_region_mean(features, labels, 3)
        np.testing.assert_allclose(got.numpy(), want, atol=1e-5)
        np.testing.assert_array_equal(mask.numpy(), want_mask)


def test_bad_inputs_raise_clear_errors():
    features = np.zeros((2, 4, 4, 3), "float32")
    with pytest.raises(ValueError, match="same batch size"):
        region_mean(features, np.zeros((3, 4, 4), "int32"), 3)
    with pytest.raises(ValueError, match="integer"):
        region_mean(features, np.zeros((2, 4, 4), "float32"), 3)
    with pytest.raises(ValueError, match="4-D"):
        region_mean(np.zeros((2, 4, 3), "float32"), np.zeros((2, 4, 4), "int32"), 3)
    with pytest.raises(ValueError, match="num_classes"):
        region_mean(features, np.zeros((2, 4, 4), "int32"), 0)
    with pytest.raises(ValueError, match="method"):
        region_mean(features, np.zeros((2, 4, 4), "int32"), 3, method="fast")


def test_region_mean_in_a_functional_model():
    features_in = keras.Input((8, 8, 4))
    labels_in = keras.Input((32, 32, 1), dtype="int32")  # trailing channel squeezed
    region_features, region_mask = region_mean(features_in, labels_in, 5)
    assert tuple(region_features.shape) == (None, 5, 4) and tuple(region_mask.shape) == (None, 5)
    model = keras.Model([features_in, labels_in], [region_features, region_mask])
    rng = np.random.default_rng(0)
    features = rng.normal(size=(2, 8, 8, 4)).astype("float32")
    labels = rng.integers(0, 5, size=(2, 32, 32, 1)).astype("int32")
    labels[1, :16] = 255
    got_features, got_mask = model.predict([features, labels], verbose=0)
    want_features, want_mask = region_mean(features, labels, 5)
    np.testing.assert_allclose(to_numpy(got_features), to_numpy(want_features), rtol=1e-6)
    np.testing.assert_array_equal(to_numpy(got_mask), to_numpy(want_mask))
    with pytest.raises(ValueError, match="integer"):
        region_mean(features_in, keras.Input((32, 32)), 5)  # float labels


@pytest.mark.parametrize("method", ["segment_sum", "one_hot"])
def test_batch_scope_pools_each_class_over_the_whole_batch(method):
    rng = np.random.default_rng(3)
    features = rng.normal(size=(3, 4, 4, 5)).astype("float32")
    labels = random_labels((3, 16, 16), 5, ignore_fraction=0.2, seed=3)
    labels[1] = 255
    got, mask, counts = region_mean(features, labels, 6, method=method, scope="batch", return_counts=True)
    # NumPy: the batch as one tall image of the labels sampled to the feature grid.
    sampled = np_sample_labels_nearest(labels, 4, 4)
    want, want_mask = np_region_mean(features.reshape(1, 12, 4, 5), sampled.reshape(1, 12, 4), 6)
    np.testing.assert_array_equal(to_numpy(mask), want_mask)
    np.testing.assert_allclose(to_numpy(got), want, atol=1e-5)
    np.testing.assert_array_equal(to_numpy(counts)[0], [(sampled == k).sum() for k in range(6)])
    assert to_numpy(got).shape == (1, 6, 5) and not to_numpy(mask)[0, 5]


def test_align_corners_upsampling_matches_torch_interpolate():
    import torch

    from keras_rr.ops import resize_bilinear_align_corners

    x = np.random.default_rng(4).normal(size=(2, 3, 5, 4)).astype("float32")
    want = torch.nn.functional.interpolate(
        torch.from_numpy(x).permute(0, 3, 1, 2), size=(7, 9), mode="bilinear", align_corners=True
    ).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(to_numpy(resize_bilinear_align_corners(x, 7, 9)), want, atol=1e-5)
    # Half-pixel (Keras' default) upsampling differs: the option matters.
    labels = np.zeros((2, 7, 9), "int32")
    labels[:, :3, :4] = 1
    aligned, _ = region_mean(x, labels, 2, resolution="labels", align_corners=True)
    half_pixel, _ = region_mean(x, labels, 2, resolution="labels")
    want_aligned, _ = np_region_mean(want, labels, 2)
    np.testing.assert_allclose(to_numpy(aligned), want_aligned, atol=1e-5)
    assert np.abs(to_numpy(aligned) - to_numpy(half_pixel)).max() > 1e-2
