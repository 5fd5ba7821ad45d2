"""`keras_rr.data.file_datasets`: `LoaderOptions`, file pairing, label tables, the shared pipeline."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from keras_rr.data import LoaderOptions
from keras_rr.data import TrainAugmentation
from keras_rr.data import file_datasets
from keras_rr.data import load_ade20k
from tests.data.label_files import SIZES
from tests.data.label_files import collect
from tests.data.label_files import make_pairs
from tests.data.label_files import write_image


def test_loader_options_defaults_and_fields():
    options = LoaderOptions()
    assert (options.shuffle, options.seed, options.augment, options.batch_size) == (False, None, None, None)
    assert options.labels_only is False and options.validate_labels is True
    custom = LoaderOptions(shuffle=True, seed=np.int64(3), batch_size=np.int32(8))
    assert custom.seed == 3 and type(custom.seed) is int and custom.batch_size == 8
    with pytest.raises(dataclasses.FrozenInstanceError):
        custom.batch_size = 2  # frozen: options are values, shared safely between loaders


def test_loader_options_converts_augment_configs_once():
    options = LoaderOptions(augment={"crop_size": 16, "scale": "none"})
    assert isinstance(options.augment, TrainAugmentation)
    assert options.augment.crop_size == (16, 16) and options.augment.scale is None
    assert LoaderOptions(augment={"crop_size": 16, "enabled": False}).augment is None
    fn = lambda image, label: (image, label)  # noqa: E731
    assert LoaderOptions(augment=fn).augment is fn


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"batch_size": True}, "batch_size"),
        ({"seed": "0"}, "seed"),
        ({"shuffle": "yes"}, "shuffle"),
        ({"labels_only": 1}, "labels_only"),
        ({"validate_labels": None}, "validate_labels"),
        ({"augment": 3}, "augment"),
        ({"augment": {"crop_size": 8, "crop": 4}}, "Unknown augmentation setting"),
        ({"labels_only": True, "augment": {"crop_size": 8}}, "labels_only"),
    ],
)
def test_loader_options_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LoaderOptions(**kwargs)


def test_loader_options_resolve():
    base = LoaderOptions(shuffle=True, seed=1)
    assert LoaderOptions.resolve() == LoaderOptions()
    assert LoaderOptions.resolve(base) is base
    merged = LoaderOptions.resolve(base, "load_x", batch_size=4, seed=2)
    assert merged == LoaderOptions(shuffle=True, seed=2, batch_size=4)
    assert base.seed == 1  # the caller's object is not changed
    with pytest.raises(TypeError, match=r"load_x: \['bach_size'\].*batch_size"):
        LoaderOptions.resolve(base, "load_x", bach_size=4)
    with pytest.raises(TypeError, match="options"):
        LoaderOptions.resolve({"shuffle": True}, "load_x")
    with pytest.raises(ValueError, match="labels_only"):
        LoaderOptions.resolve(LoaderOptions(augment={"crop_size": 8}), "load_x", labels_only=True)


def test_mismatched_image_and_label_sizes_fail(ade20k_root):
    root, _ = ade20k_root
    write_image(root / "images" / "training" / "ADE_train_00000000.jpg", 3, 3, seed=0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="sizes differ"):
        collect(load_ade20k(root, "training"))


def test_shuffle_is_seeded_and_augment_and_batching_work(ade20k_root):
    root, _ = ade20k_root

    def order(seed):
        return [label.shape for label in collect(load_ade20k(root, labels_only=True, shuffle=True, seed=seed))]

    assert order(3) == order(3)
    assert sorted(order(3)) == sorted(order(4)) == sorted(SIZES)
    assert {tuple(order(s)) for s in range(8)} != {tuple(order(0))}  # the seed matters
    ds = load_ade20k(root, augment={"crop_size": 8, "scale": None}, batch_size=2, shuffle=True, seed=0)
    batches = collect(ds)
    assert [b[0].shape for b in batches] == [(2, 8, 8, 3), (1, 8, 8, 3)]
    assert all(b[1].dtype == np.int32 for b in batches)
    labels = np.concatenate([b[1].ravel() for b in batches])
    assert set(labels.tolist()) <= {255, 0, 1, 74, 148, 149}
    # Same seed, same augmented batches (per-example seeds come from `seed`).
    again = collect(load_ade20k(root, augment=TrainAugmentation(8, scale=None), batch_size=2,
                                shuffle=True, seed=0))
    np.testing.assert_array_equal(again[0][1], batches[0][1])
    np.testing.assert_allclose(again[0][0], batches[0][0], atol=1e-4)
    with pytest.raises(ValueError, match="labels_only"):
        load_ade20k(root, labels_only=True, augment={"crop_size": 8})


def test_build_pipeline_on_in_memory_pairs():
    images = np.arange(6 * 4 * 4 * 3, dtype=np.float32).reshape(6, 4, 4, 3)
    labels = np.arange(6 * 4 * 4, dtype=np.int32).reshape(6, 4, 4) % 3
    sources = tf.data.Dataset.from_tensor_slices((images, labels))
    plain = collect(file_datasets.build_pipeline(sources, LoaderOptions(batch_size=4), 6))
    assert [b[0].shape for b in plain] == [(4, 4, 4, 3), (2, 4, 4, 3)]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in plain]), labels)
    shuffled = collect(file_datasets.build_pipeline(sources, LoaderOptions(shuffle=True, seed=0, batch_size=6), 6))
    got = shuffled[0][0][:, 0, 0, 0]
    assert sorted(got.tolist()) == sorted(images[:, 0, 0, 0].tolist()) and not np.array_equal(got, images[:, 0, 0, 0])
    flipped = collect(file_datasets.build_pipeline(
        sources, LoaderOptions(augment=lambda x, y: (x[:, ::-1], y[:, ::-1])), 6))
    np.testing.assert_array_equal(flipped[2][1], labels[2][:, ::-1])


def test_list_pairs_and_duplicate_stems(tmp_path):
    image_dir, label_dir = tmp_path / "img", tmp_path / "lab"
    make_pairs(image_dir, label_dir, [np.zeros((2, 2), np.uint8)] * 2, ["b", "a"])
    images, labels = file_datasets.list_pairs(str(image_dir), str(label_dir), ".jpg", ".png", "none")
    assert [p.rsplit("/", 1)[1] for p in images] == ["a.jpg", "b.jpg"]
    assert [p.rsplit("/", 1)[1] for p in labels] == ["a.png", "b.png"]
    write_image(image_dir / "a.JPEG", 2, 2, seed=0)
    with pytest.raises(ValueError, match="share the stem 'a'"):
        file_datasets.list_pairs(str(image_dir), str(label_dir), (".jpg", ".jpeg"), ".png", "none")
    with pytest.raises(FileNotFoundError, match="nothing here"):
        file_datasets.list_pairs(str(tmp_path / "x"), str(label_dir), ".jpg", ".png", "nothing here")


def test_check_label_png_rejects_non_png_and_16_bit(tmp_path):
    from PIL import Image

    not_png = tmp_path / "a.png"
    not_png.write_bytes(b"GIF89a" + bytes(30))
    with pytest.raises(ValueError, match="not a PNG"):
        file_datasets.check_label_png(not_png)
    deep = tmp_path / "b.png"
    Image.fromarray(np.zeros((3, 3), np.uint16)).save(deep)
    with pytest.raises(ValueError, match="16-bit"):
        file_datasets.check_label_png(deep)
    fine = tmp_path / "c.png"
    Image.fromarray(np.zeros((3, 3), np.uint8), mode="L").save(fine)
    file_datasets.check_label_png(fine)


def test_label_tables():
    lut = file_datasets.lut_from_raw_ids([5, 3, 9])
    assert lut.dtype == np.int32 and lut[5] == 0 and lut[3] == 1 and lut[9] == 2
    assert (lut == 255).sum() == 253
    valid = file_datasets.valid_values(3)
    assert np.flatnonzero(valid).tolist() == [0, 1, 2, 255]
    assert np.flatnonzero(file_datasets.valid_values(3, ignore_class=None)).tolist() == [0, 1, 2]
    identity, every = file_datasets.identity_lut()
    np.testing.assert_array_equal(identity, np.arange(256))
    assert every.all()
    _, some = file_datasets.identity_lut(2, ignore_class=7)
    assert np.flatnonzero(some).tolist() == [0, 1, 7]


def test_repeat_factors_sample_every_pass_anew_and_reproducibly():
    images = np.arange(4, dtype=np.float32)[:, None, None, None] * np.ones((4, 2, 2, 3), np.float32)
    labels = np.zeros((4, 2, 2), np.int32)
    sources = tf.data.Dataset.from_tensor_slices((images, labels))
    factors = [1.0, 3.0, 1.5, 0.0]
    options = LoaderOptions(repeat_factors=np.array(factors), seed=5)
    assert options.repeat_factors == tuple(factors)
    dataset = file_datasets.build_pipeline(sources, options, 4)

    def one_pass(dataset):
        return [int(x[0, 0, 0]) for x, _ in dataset.as_numpy_iterator()]

    passes = [one_pass(dataset) for _ in range(200)]
    counts = np.array([np.bincount(p, minlength=4) for p in passes])
    assert counts[:, 0].tolist() == [1] * 200 and counts[:, 1].tolist() == [3] * 200 and counts[:, 3].sum() == 0
    assert set(counts[:, 2]) == {1, 2} and abs(counts[:, 2].mean() - 1.5) < 0.15
    assert len({tuple(p) for p in passes}) > 1  # a new draw each pass
    again = file_datasets.build_pipeline(sources, options, 4)
    assert [one_pass(again) for _ in range(3)] == passes[:3]  # seeded
    with pytest.raises(ValueError, match="one factor per example"):
        file_datasets.build_pipeline(sources, LoaderOptions(repeat_factors=[1.0, 2.0]), 4)
    with pytest.raises(ValueError, match="repeat_factors"):
        LoaderOptions(repeat_factors=[1.0, -1.0])
