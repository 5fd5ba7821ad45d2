"""Augmentations keep image and label aligned and never invent label values.

The test image encodes its own label and pixel position: channel 0 = label value,
channel 1 = source row, channel 2 = source column. After any geometric op sampled with
nearest neighbours, a pixel's label must equal `original_label[row, col]`.
"""

import colorsys

import numpy as np
import pytest
import tensorflow as tf

from tests.references import np_mmseg_saturation_and_hue
from keras_rr.data import TrainAugmentation
from keras_rr.data import adjust_hsv
from keras_rr.data import augmentation_from_config
from keras_rr.data import pad_to_size
from keras_rr.data import photometric_distortion
from keras_rr.data import random_crop
from keras_rr.data import random_flip
from keras_rr.data import random_resize
from keras_rr.data import resize_nearest

IGNORE = 255


def encoded_example(height=30, width=20, seed=0):
    rng = np.random.default_rng(seed)
    # 5x5 blocks of classes {0, 1, 2, 3, 7} with scattered ignore pixels.
    blocks = rng.choice([0, 1, 2, 3, 7], size=(height // 5 + 1, width // 5 + 1))
    label = np.kron(blocks, np.ones((5, 5), dtype=np.int64))[:height, :width].astype(np.int32)
    label[rng.random(label.shape) < 0.05] = IGNORE
    rows, cols = np.mgrid[0:height, 0:width]
    image = np.stack([label, rows, cols], axis=-1).astype(np.float32)
    return image, label


def assert_aligned(image, label, original_label):
    image, label = np.asarray(image), np.asarray(label)
    rows = image[..., 1].astype(int)
    cols = image[..., 2].astype(int)
    np.testing.assert_array_equal(label, original_label[rows, cols])
    np.testing.assert_array_equal(label, image[..., 0].astype(np.int32))
    assert set(np.unique(label)) <= set(np.unique(original_label)) | {IGNORE}


@pytest.mark.parametrize("seed", range(6))
def test_random_resize_keeps_alignment_and_aspect(seed):
    image, label = encoded_example()
    out_image, out_label = random_resize(
        image, label, scale=(40, 20), ratio_range=(0.5, 2.0), image_interpolation="nearest", seed=seed
    )
    assert out_image.dtype == tf.float32 and out_label.dtype == tf.int32
    assert out_label.shape == out_image.shape[:2]
    assert_aligned(out_image, out_label, label)
    height, width = out_label.shape
    # mmseg rescale: fit (30, 20) inside (40r, 20r) keeping the aspect ratio.
    assert height / width == pytest.approx(1.5, rel=0.1)
    assert 15 - 1 <= height <= 60 + 1


def test_random_resize_is_deterministic_for_a_seed_and_varies_across_seeds():
    image, label = encoded_example()
    sizes = {tuple(random_resize(image, label, scale=None, seed=s)[1].shape) for s in range(8)}
    assert len(sizes) > 2
    a = random_resize(image, label, scale=None, seed=3)
    b = random_resize(image, label, scale=None, seed=3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_random_resize_bilinear_image_never_interpolates_labels():
    image, label = encoded_example()
    for seed in range(4):
        out_image, out_label = random_resize(image, label, scale=None, seed=seed)
        assert set(np.unique(out_label)) <= set(np.unique(label))
        assert out_image.shape[:2] == out_label.shape


@pytest.mark.parametrize("seed", range(5))
def test_random_crop_takes_one_aligned_window(seed):
    image, label = encoded_example()
    out_image, out_label = random_crop(image, label, (16, 12), seed=seed)
    assert out_label.shape == (16, 12)
    assert_aligned(out_image, out_label, label)
    rows, cols = np.asarray(out_image[..., 1]), np.asarray(out_image[..., 2])
    np.testing.assert_array_equal(rows, rows[0, 0] + np.arange(16)[:, None] + 0 * cols)
    np.testing.assert_array_equal(cols, cols[0, 0] + np.arange(12)[None, :] + 0 * rows)


def test_random_crop_larger_than_image_keeps_the_short_side():
    image, label = encoded_example(10, 20)
    out_image, out_label = random_crop(image, label[..., None], (16, 12), seed=1)
    assert out_label.shape == (10, 12, 1)
    assert_aligned(out_image, out_label[..., 0], label)


def _max_class_share(label):
    values, counts = np.unique(label[label != IGNORE], return_counts=True)
    return len(values), counts.max() / counts.sum()


def test_random_crop_respects_cat_max_ratio():
    # Left half: 8x8 checkerboard of classes 1/2 (every window inside is exactly 50/50);
    # right half: class 0 only. A 16-wide window passes iff it starts at column <= 27.
    label = np.zeros((64, 64), np.int32)
    rows, cols = np.mgrid[0:64, 0:32]
    label[:, :32] = 1 + ((rows // 8 + cols // 8) % 2)
    image = np.zeros((64, 64, 3), np.float32)
    failures_without, failures_with = 0, 0
    for seed in range(25):
        _, plain = random_crop(image, label, 16, cat_max_ratio=1.0, seed=seed)
        _, checked = random_crop(image, label, 16, cat_max_ratio=0.75, seed=seed)
        n, share = _max_class_share(np.asarray(plain))
        failures_without += not (n > 1 and share < 0.75)
        n, share = _max_class_share(np.asarray(checked))
        failures_with += not (n > 1 and share < 0.75)
    assert failures_with == 0
    assert failures_without >= 3  # the check is what removes them


def test_random_crop_cat_max_ratio_ignores_ignored_pixels():
    # Left half: 2x2 checkerboard of classes 1/2; right half: ignore. Every window with
    # some labeled pixels passes when ignore pixels are not counted, so mostly-ignored
    # windows are kept at their natural rate (they would be redrawn if 255 counted).
    label = np.full((20, 20), IGNORE, np.int32)
    rows, cols = np.mgrid[0:20, 0:10]
    label[:, :10] = 1 + ((rows // 2 + cols // 2) % 2)
    image = np.zeros((20, 20, 3), np.float32)
    mostly_ignored = 0
    for seed in range(60):
        _, out = random_crop(image, label, 10, cat_max_ratio=0.75, seed=seed)
        out = np.asarray(out)
        n, share = _max_class_share(out)
        assert n > 1 and share < 0.75
        mostly_ignored += (out == IGNORE).mean() >= 0.75
    assert mostly_ignored >= 4  # 10 with these seeds; 0 if 255 counted as a class


def test_random_flip():
    image, label = encoded_example()
    out_image, out_label = random_flip(image, label, probability=1.0, seed=0)
    np.testing.assert_array_equal(out_label, label[:, ::-1])
    assert_aligned(out_image, out_label, label)
    same_image, same_label = random_flip(image, label, probability=0.0, seed=0)
    np.testing.assert_array_equal(same_label, label)
    flips = {bool(np.array_equal(random_flip(image, label, seed=s)[1], label)) for s in range(12)}
    assert flips == {True, False}


def test_pad_to_size_pads_labels_with_ignore():
    image, label = encoded_example(10, 7)
    out_image, out_label = pad_to_size(image + 1.0, label.astype(np.uint8), (16, 12))
    assert out_label.dtype == tf.uint8 and out_label.shape == (16, 12)
    np.testing.assert_array_equal(out_label[:10, :7], label)
    assert np.all(np.asarray(out_label[10:]) == IGNORE) and np.all(np.asarray(out_label[:, 7:]) == IGNORE)
    np.testing.assert_array_equal(out_image[:10, :7], image + 1.0)
    assert np.all(np.asarray(out_image[10:]) == 0) and np.all(np.asarray(out_image[:, 7:]) == 0)
    big_image, big_label = pad_to_size(image, label, (4, 4))
    np.testing.assert_array_equal(big_label, label)


def test_photometric_distortion_changes_only_the_image():
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 255, size=(12, 9, 3)).astype(np.float32)
    label = rng.integers(0, 5, size=(12, 9)).astype(np.int32)
    outputs = []
    for seed in range(6):
        out_image, out_label = photometric_distortion(image, label, seed=seed)
        np.testing.assert_array_equal(out_label, label)
        out_image = np.asarray(out_image)
        assert out_image.shape == image.shape and out_image.min() >= 0 and out_image.max() <= 255
        outputs.append(out_image)
    assert any(not np.allclose(o, image) for o in outputs)
    again, _ = photometric_distortion(image, label, seed=2)
    np.testing.assert_allclose(again, outputs[2])
    identity, _ = photometric_distortion(
        image, label, brightness_delta=0, contrast_range=(1, 1), saturation_range=(1, 1),
        hue_delta=0, seed=1,
    )
    np.testing.assert_allclose(identity, image, atol=0.05)



@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.float32])
def test_resize_nearest_is_tf_image_resize_nearest(dtype):
    rng = np.random.default_rng(0)
    for in_h, in_w, out_h, out_w in [(30, 20, 61, 39), (512, 683, 1021, 1362), (7, 9, 3, 2), (5, 5, 5, 5),
                                     (683, 512, 256, 192), (33, 47, 97, 13)]:
        tensor = rng.integers(0, 200, size=(in_h, in_w, 1)).astype(dtype)
        want = tf.image.resize(tensor, (out_h, out_w), method="nearest")
        got = resize_nearest(tensor, (out_h, out_w))
        assert got.dtype == tensor.dtype
        np.testing.assert_array_equal(got, np.asarray(want).astype(dtype))


def _np_hsv_map(image, fn):
    """NumPy/colorsys reference: `fn(h, s, v)` on every pixel of a [0, 255] RGB image."""
    out = np.empty_like(image)
    for index in np.ndindex(image.shape[:-1]):
        h, s, v = colorsys.rgb_to_hsv(*(image[index] / 255.0))
        out[index] = np.array(colorsys.hsv_to_rgb(*fn(h, s, v))) * 255.0
    return out


def _colour_test_image():
    rng = np.random.default_rng(3)
    image = rng.uniform(0, 255, size=(16, 12, 3)).astype(np.float32)
    image[0, :4] = [[0, 0, 0], [255, 255, 255], [80, 80, 80], [10, 10, 200]]  # greys and a pure-ish blue
    image[1, :3] = [[200, 200, 10], [5, 250, 250], [250, 0, 250]]  # ties between the largest channels
    return image


@pytest.mark.parametrize("factor, shift", [(0.0, 0.0), (0.5, 0.0), (1.0, 0.0), (1.37, 0.0), (3.0, 0.0),
                                           (1.0, -18 / 180), (1.0, 17 / 180), (0.6, 0.5), (1.4, -1.0)])
def test_adjust_hsv_matches_hsv(factor, shift):
    image = _colour_test_image()
    want = _np_hsv_map(image, lambda h, s, v: ((h + shift) % 1.0, min(s * factor, 1.0), v))
    np.testing.assert_allclose(adjust_hsv(image, factor, shift), want, atol=1e-3)


@pytest.mark.parametrize("saturation, hue", [(0.6, 0), (1.45, 0), (1.0, -18), (1.0, 17), (1.3, 9), (0.5, -5)])
def test_adjust_hsv_is_mmsegs_saturation_and_hue_up_to_uint8_rounding(saturation, hue):
    # mmseg works on uint8 through OpenCV's HSV (hue in 2-degree steps, S rounded, then
    # truncated after scaling): up to ~4.25 levels from the hue step (C / 60), ~1 from S,
    # 0.5 from the final rounding; the mean error stays well under one level.
    image = np.random.default_rng(0).integers(0, 256, size=(32, 32, 3)).astype(np.uint8)
    want = np_mmseg_saturation_and_hue(image, saturation, hue).astype(np.float64)
    got = np.asarray(adjust_hsv(image.astype(np.float32), saturation, hue / 180))
    error = np.abs(got - want)
    assert error.max() <= 6.0 and error.mean() <= 0.75, (error.max(), error.mean())


def test_photometric_distortion_hue_shifts_are_mmsegs_randint():
    # mmseg draws numpy's randint(-18, 18): shifts -18..17, each step with probability 0.5.
    image = _colour_test_image()[2:4]
    candidates = np.stack([np.asarray(adjust_hsv(image, 1.0, d / 180)) for d in range(-18, 19)])

    def hue_only(seed):
        out, _ = photometric_distortion(image, seed, brightness_delta=0, contrast_range=(1, 1),
                                        saturation_range=(1, 1), seed=seed)
        return out

    seeds = tf.data.Dataset.random(seed=0).batch(2).take(300)
    outputs = np.stack(list(seeds.map(hue_only).as_numpy_iterator()))
    errors = np.abs(outputs[:, None] - candidates[None]).max(axis=(2, 3, 4))
    assert errors.min(axis=1).max() < 1e-3
    shifts = np.arange(-18, 19)[errors.argmin(axis=1)]
    unchanged = np.abs(outputs - image).max(axis=(1, 2, 3)) < 1e-3
    assert 0.4 < unchanged.mean() < 0.6
    drawn = set(shifts[~unchanged].tolist())
    assert min(drawn) == -18 and max(drawn) == 17 and len(drawn) >= 30, sorted(drawn)


def test_photometric_distortion_saturation_step_matches_hsv():
    image = _colour_test_image()
    label = np.zeros(image.shape[:2], np.int32)
    saturated = _np_hsv_map(image, lambda h, s, v: (h, min(s * 1.4, 1.0), v))
    seen = set()
    for seed in range(12):  # each step happens with probability 0.5
        out, _ = photometric_distortion(image, label, brightness_delta=0, contrast_range=(1, 1),
                                        saturation_range=(1.4, 1.4), hue_delta=0, seed=seed)
        if np.allclose(out, saturated, atol=1e-3):
            seen.add("saturated")
        else:
            np.testing.assert_allclose(out, image, atol=1e-3)
            seen.add("unchanged")
    assert seen == {"saturated", "unchanged"}


def test_train_augmentation_output_size_alignment_and_determinism():
    image, label = encoded_example(40, 30)
    augment = TrainAugmentation(
        crop_size=(24, 20), scale=None, cat_max_ratio=0.75, photometric=False,
        image_interpolation="nearest",
    )
    for seed in range(6):
        out_image, out_label = augment(image, label, seed=[seed, 7])
        assert out_image.shape == (24, 20, 3) and out_label.shape == (24, 20)
        out_image, out_label = np.asarray(out_image), np.asarray(out_label)
        assert set(np.unique(out_label)) <= set(np.unique(label)) | {IGNORE}
        labeled = out_label != IGNORE
        np.testing.assert_array_equal(out_label[labeled], out_image[..., 0][labeled].astype(np.int32))
        rows, cols = out_image[..., 1].astype(int), out_image[..., 2].astype(int)
        np.testing.assert_array_equal(out_label[labeled], label[rows, cols][labeled])
    first = augment(image, label, seed=[1, 2])
    second = augment(image, label, seed=[1, 2])
    np.testing.assert_array_equal(first[1], second[1])
    np.testing.assert_array_equal(first[0], second[0])



@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
def test_train_augmentation_equals_the_chain_of_its_steps(interpolation):
    # TrainAugmentation never resizes the whole label (it gathers the crop window):
    # the same pixels as random_resize -> random_crop -> flip -> photometric -> pad.
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 255, size=(45, 70, 3)).astype(np.float32)
    label = np.kron(rng.integers(0, 6, size=(9, 14)), np.ones((5, 5), np.int32)).astype(np.int32)
    label[rng.random(label.shape) < 0.1] = IGNORE
    augment = TrainAugmentation(crop_size=(32, 40), scale=(120, 30), cat_max_ratio=0.5,
                                image_interpolation=interpolation)
    for seed in range(8):
        got_image, got_label = augment(image, label, seed=[seed, 7])
        steps = tf.random.experimental.stateless_split(tf.constant([seed, 7], tf.int64), num=4)
        x, y = random_resize(image, label, scale=(120, 30), image_interpolation=interpolation, seed=steps[0])
        x, y = random_crop(x, y, (32, 40), cat_max_ratio=0.5, seed=steps[1])
        x, y = random_flip(x, y, seed=steps[2])
        x, y = photometric_distortion(x, y, seed=steps[3])
        x, y = pad_to_size(x, y, (32, 40))
        np.testing.assert_array_equal(got_label, y)
        # The photometric steps run under XLA in TrainAugmentation: float rounding apart.
        np.testing.assert_allclose(got_image, x, atol=2e-3)


@pytest.mark.parametrize("ratio", [1.5, 0.5])
def test_train_augmentation_cat_max_ratio_on_resized_labels_equals_the_chain(ratio):
    # Upsampling by 1.5 repeats source rows and columns once or twice, downsampling by 0.5
    # keeps the odd ones: the window's class counts are taken on the source pixels, each
    # counted as often as the window holds it. Row stripes make counting a repeated or
    # skipped row change which windows pass (downsampling: every even row is class 3,
    # which the resized label never shows).
    rng = np.random.default_rng(1)
    size = 40 if ratio > 1 else 96
    image = rng.uniform(0, 255, size=(size, size, 3)).astype(np.float32)
    rows, cols = np.mgrid[0:size, 0:size]
    if ratio > 1:
        label = np.where(rows + 0.5 * cols < 30, 1, 2).astype(np.int32)
        label[rows % 3 == 0] = np.where(cols[rows % 3 == 0] < 20, 3, label[rows % 3 == 0])
    else:
        label = np.where(cols < 0.2 * size + 0.5 * rows, 1, 2).astype(np.int32)
        label[rows % 2 == 0] = 3
    augment = TrainAugmentation(crop_size=24, scale=None, ratio_range=(ratio, ratio), cat_max_ratio=0.6,
                                photometric=False)
    for seed in range(16):
        _, got = augment(image, label, seed=[seed, 3])
        steps = tf.random.experimental.stateless_split(tf.constant([seed, 3], tf.int64), num=4)
        x, y = random_resize(image, label, scale=None, ratio_range=(ratio, ratio), seed=steps[0])
        x, y = random_crop(x, y, 24, cat_max_ratio=0.6, seed=steps[1])
        _, y = random_flip(x, y, seed=steps[2])
        np.testing.assert_array_equal(got, y)


def test_train_augmentation_in_dataset_map_and_config():
    image, label = encoded_example(40, 30)
    augment = TrainAugmentation(crop_size=16)
    assert augment.resize_scale == (64, 16)
    ds = tf.data.Dataset.from_tensors((image, label)).repeat(4).map(augment).batch(4)
    images, labels = next(iter(ds))
    assert images.shape == (4, 16, 16, 3) and labels.shape == (4, 16, 16)
    assert images.dtype == tf.float32 and labels.dtype == tf.int32
    assert float(tf.reduce_min(images)) >= 0 and float(tf.reduce_max(images)) <= 255
    clone = TrainAugmentation.from_config(augment.get_config())
    assert clone.get_config() == augment.get_config()
    for kwargs in ({"crop_size": 0}, {"crop_size": 8, "scale": "big"}, {"crop_size": 8, "cat_max_ratio": 0},
                   {"crop_size": 8, "ratio_range": (2, 1)}, {"crop_size": 8, "image_interpolation": "foo"}):
        with pytest.raises(ValueError):
            TrainAugmentation(**kwargs)


def test_batched_input_is_rejected():
    with pytest.raises(ValueError, match="un-batched"):
        random_flip(np.zeros((2, 4, 4, 3), np.float32), np.zeros((2, 4, 4), np.int32))


def test_augmentation_from_config_dict():
    augment = augmentation_from_config({"crop_size": 16, "cat_max_ratio": 0.5, "ratio_range": [0.75, 1.5]})
    assert isinstance(augment, TrainAugmentation)
    assert augment.crop_size == (16, 16) and augment.cat_max_ratio == 0.5
    assert augment.ratio_range == (0.75, 1.5) and augment.scale == "crop"
    # Same as building the class directly: the config is only its arguments.
    assert augment.get_config() == TrainAugmentation(16, cat_max_ratio=0.5, ratio_range=(0.75, 1.5)).get_config()
    assert augmentation_from_config(None) is None


def test_augmentation_from_config_configdict():
    ml_collections = pytest.importorskip("ml_collections")
    config = ml_collections.ConfigDict({"crop_size": 24, "flip_probability": 0.0, "enabled": True})
    augment = augmentation_from_config(config)
    assert isinstance(augment, TrainAugmentation)
    assert augment.crop_size == (24, 24) and augment.flip_probability == 0.0
    disabled = ml_collections.ConfigDict({"crop_size": 24, "enabled": False})
    assert augmentation_from_config(disabled) is None


def test_augmentation_from_config_enabled_false_and_scale_none():
    assert augmentation_from_config({"crop_size": 16, "enabled": False}) is None
    assert augmentation_from_config({"crop_size": 16, "enabled": True}).crop_size == (16, 16)
    for spelling in ("none", "None", "NONE"):
        assert augmentation_from_config({"crop_size": 16, "scale": spelling}).resize_scale is None
    assert augmentation_from_config({"crop_size": 16, "scale": [100, 50]}).resize_scale == (100, 50)


def test_augmentation_from_config_ignore_class_passes_through():
    assert augmentation_from_config({"crop_size": 8}, ignore_class=0).ignore_class == 0
    assert augmentation_from_config({"crop_size": 8}).ignore_class == 255
    # A value in the config wins over the caller's default.
    assert augmentation_from_config({"crop_size": 8, "ignore_class": 7}, ignore_class=0).ignore_class == 7
    # And it is what the crop pads labels with.
    image, label = encoded_example(4, 4)
    config = {"crop_size": 8, "scale": None, "ratio_range": (1, 1), "flip_probability": 0, "photometric": False}
    _, out = augmentation_from_config(config, ignore_class=9)(image, label, seed=[0, 0])
    out = np.asarray(out)
    assert out.shape == (8, 8) and np.all(out[4:] == 9) and np.all(out[:, 4:] == 9)
    np.testing.assert_array_equal(out[:4, :4], label)


def test_augmentation_from_config_callable_passthrough():
    def fn(image, label):
        return image, label

    augment = TrainAugmentation(8)
    assert augmentation_from_config(fn) is fn
    assert augmentation_from_config(augment) is augment
    assert augmentation_from_config(augment, ignore_class=0) is augment


@pytest.mark.parametrize(
    "config, match",
    [
        (3, "must be None, a callable"),
        ("crop", "must be None, a callable"),
        ({"crop_size": 8, "cropsize": 4}, "Unknown augmentation setting"),
        ({"scale": None}, "Unknown augmentation setting|crop_size"),
        ({"crop_size": 8, "scale": "huge"}, "scale"),
        ({"crop_size": 8, "flip_probability": 2}, "flip_probability"),
    ],
)
def test_augmentation_from_config_bad_input(config, match):
    with pytest.raises(ValueError, match=match):
        augmentation_from_config(config)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda x, y: random_resize(x, y, ratio_range=(0, 1)), "ratio_range"),
        (lambda x, y: random_crop(x, y, 8, cat_max_ratio=1.5), "cat_max_ratio"),
        (lambda x, y: random_crop(x, y, (8, 0)), "crop_size"),
        (lambda x, y: random_flip(x, y, probability=-0.1), "probability"),
        (lambda x, y: pad_to_size(x, y, (0, 4)), "size"),
        (lambda x, y: random_flip(x, y.astype(np.float32)), "integer"),
    ],
)
def test_functions_reject_bad_arguments(call, match):
    image, label = encoded_example(8, 8)
    with pytest.raises(ValueError, match=match):
        call(image, label)
