"""File loaders on tiny offline fixtures written to tmp_path, and the TFDS loader on mock data."""

import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_rr.data import ADE20K_CLASS_NAMES
from keras_rr.data import COCO_STUFF_CLASS_NAMES
from keras_rr.data import TrainAugmentation
from keras_rr.data import ade20k_raw_to_contiguous_lut
from keras_rr.data import coco_stuff_raw_to_contiguous_lut
from keras_rr.data import load_ade20k
from keras_rr.data import load_ade20k_tfds
from keras_rr.data import load_coco_stuff164k
from keras_rr.data import load_dataset
from keras_rr.data import load_segmentation_directory
from keras_rr.data import read_class_names

SIZES = [(12, 16), (9, 7), (20, 11)]


def write_image(path, height, width, seed):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)


def write_label(path, label):
    Image.fromarray(np.asarray(label, dtype=np.uint8), mode="L").save(path)


def make_pairs(image_dir, label_dir, raw_labels, names, image_ext=".jpg", label_suffix=".png"):
    os.makedirs(image_dir, exist_ok=True)
    os.makedirs(label_dir, exist_ok=True)
    for i, (name, raw) in enumerate(zip(names, raw_labels)):
        write_image(os.path.join(image_dir, name + image_ext), *raw.shape, seed=i)
        write_label(os.path.join(label_dir, name + label_suffix), raw)


def raw_maps(values, seed=0):
    rng = np.random.default_rng(seed)
    maps = [rng.choice(values, size=size).astype(np.uint8) for size in SIZES]
    # Every map contains the extreme values so the mapping is tested at the edges.
    for m in maps:
        m[0, : len(values)] = values[: m.shape[1]]
    return maps


@pytest.fixture
def ade20k_root(tmp_path):
    root = tmp_path / "ADEChallengeData2016"
    raw = {
        "training": raw_maps(np.array([0, 1, 2, 75, 149, 150])),
        "validation": raw_maps(np.array([0, 3, 150]), seed=1)[:2],
    }
    for split, maps in raw.items():
        names = [f"ADE_{split[:5]}_{i:08d}" for i in range(len(maps))]
        make_pairs(root / "images" / split, root / "annotations" / split, maps, names)
    return root, raw


def collect(ds):
    return [tuple(np.asarray(t) for t in element) if isinstance(element, tuple) else np.asarray(element)
            for element in ds.as_numpy_iterator()]


def test_ade20k_shapes_dtypes_and_label_mapping(ade20k_root):
    root, raw = ade20k_root
    ds = load_ade20k(str(root), "training")
    assert ds.element_spec[0].dtype == tf.float32 and ds.element_spec[1].dtype == tf.int32
    elements = collect(ds)
    assert len(elements) == 3
    for (image, label), raw_label in zip(elements, raw["training"]):
        assert image.shape == raw_label.shape + (3,) and label.shape == raw_label.shape
        assert image.dtype == np.float32 and label.dtype == np.int32
        assert 0 <= image.min() and image.max() <= 255
        expected = np.where(raw_label == 0, 255, raw_label.astype(np.int32) - 1)
        np.testing.assert_array_equal(label, expected)
    values = set(np.concatenate([label.ravel() for _, label in elements]).tolist())
    assert values == {255, 0, 1, 74, 148, 149}


def test_ade20k_validation_split_aliases_and_parent_dir(ade20k_root):
    root, raw = ade20k_root
    for split in ("validation", "val"):
        labels = collect(load_ade20k(root.parent, split, labels_only=True))
        assert len(labels) == 2
        np.testing.assert_array_equal(labels[1], ade20k_raw_to_contiguous_lut()[raw["validation"][1]])
    with pytest.raises(ValueError, match="split"):
        load_ade20k(root, "test")


def test_ade20k_lut():
    lut = ade20k_raw_to_contiguous_lut()
    assert lut.shape == (256,) and lut[0] == 255 and lut[1] == 0 and lut[150] == 149 and lut[255] == 255
    np.testing.assert_array_equal(lut[1:151], np.arange(150))
    assert len(ADE20K_CLASS_NAMES) == 150 and ADE20K_CLASS_NAMES[0] == "wall"


def test_ade20k_missing_data_names_the_expected_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_ade20k(tmp_path / "nowhere")
    (tmp_path / "images" / "training").mkdir(parents=True)
    with pytest.raises(FileNotFoundError) as info:
        load_ade20k(tmp_path, "training")
    message = str(info.value)
    assert "images/training/*.jpg" in message and "annotations/training/*.png" in message
    assert str(tmp_path) in message


def test_ade20k_unpaired_files_are_listed(ade20k_root):
    root, _ = ade20k_root
    write_image(root / "images" / "training" / "ADE_extra_1.jpg", 4, 4, seed=0)
    write_label(root / "annotations" / "training" / "ADE_orphan_2.png", np.zeros((4, 4)))
    with pytest.raises(ValueError, match="do not pair") as info:
        load_ade20k(root, "training")
    assert "ADE_extra_1" in str(info.value) and "ADE_orphan_2" in str(info.value)


def test_ade20k_rejects_values_above_150_when_iterating(ade20k_root):
    root, _ = ade20k_root
    bad = np.zeros((5, 5), np.uint8)
    bad[2, 2] = 200
    write_label(root / "annotations" / "training" / "ADE_train_00000001.png", bad)
    write_image(root / "images" / "training" / "ADE_train_00000001.jpg", 5, 5, seed=3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="ADE_train_00000001.png"):
        collect(load_ade20k(root, "training", labels_only=True))
    # With validation off, the unknown value becomes ignore instead of failing.
    labels = collect(load_ade20k(root, "training", labels_only=True, validate_labels=False))
    assert labels[1][2, 2] == 255


def test_mismatched_image_and_label_sizes_fail(ade20k_root):
    root, _ = ade20k_root
    write_image(root / "images" / "training" / "ADE_train_00000000.jpg", 3, 3, seed=0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="sizes differ"):
        collect(load_ade20k(root, "training"))


def test_palette_label_png_is_rejected(tmp_path):
    image_dir, label_dir = tmp_path / "img", tmp_path / "lab"
    make_pairs(image_dir, label_dir, [np.zeros((4, 4), np.uint8)], ["a"])
    palette = Image.fromarray(np.zeros((4, 4), np.uint8), mode="P")
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    palette.save(label_dir / "a.png")
    with pytest.raises(ValueError, match="palette"):
        load_segmentation_directory(image_dir, label_dir)


def test_shuffle_is_seeded_and_augment_and_batching_work(ade20k_root):
    root, _ = ade20k_root

    def order(seed):
        return [label.shape for label in collect(load_ade20k(root, labels_only=True, shuffle=True, seed=seed))]

    assert order(3) == order(3)
    assert sorted(order(3)) == sorted(order(4)) == sorted(SIZES)
    ds = load_ade20k(
        root, augment={"crop_size": 8, "scale": None}, batch_size=2, shuffle=True, seed=0
    )
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


def test_coco_stuff_lut():
    lut = coco_stuff_raw_to_contiguous_lut()
    assert lut.shape == (256,)
    gaps = [11, 25, 28, 29, 44, 65, 67, 68, 70, 82, 90]
    assert np.all(lut[gaps] == 255)
    used = np.array([i for i in range(182) if i not in gaps])
    np.testing.assert_array_equal(lut[used], np.arange(171))
    assert np.all(lut[182:] == 255)
    assert len(set(lut.tolist()) - {255}) == 171
    # Spot checks against the COCO category ids (pixel value = id - 1).
    names = COCO_STUFF_CLASS_NAMES
    assert len(names) == 171 and len(set(names)) == 171
    assert names[lut[0]] == "person" and names[lut[12]] == "stop sign"
    assert names[lut[89]] == "toothbrush" and names[lut[91]] == "banner" and names[lut[181]] == "wood"


@pytest.fixture
def coco_root(tmp_path):
    root = tmp_path / "coco_stuff164k"
    raw = raw_maps(np.array([0, 11, 12, 90, 91, 181, 255]))
    names = [f"{i:012d}" for i in range(len(raw))]
    make_pairs(root / "images" / "val2017", root / "annotations" / "val2017", raw, names)
    return root, raw, names


def test_coco_stuff_raw_ids(coco_root):
    root, raw, _ = coco_root
    lut = coco_stuff_raw_to_contiguous_lut()
    elements = collect(load_coco_stuff164k(root, "val", raw_ids=True))
    for (image, label), raw_label in zip(elements, raw):
        assert image.shape == raw_label.shape + (3,) and label.dtype == np.int32
        np.testing.assert_array_equal(label, lut[raw_label])
    values = set(np.concatenate([label.ravel() for _, label in elements]).tolist())
    assert values == {0, 255, 11, 80, 170} | {int(lut[90])}  # raw 90 is unused -> 255
    # Raw files read as training ids fail loudly (181 > 170).
    with pytest.raises(tf.errors.InvalidArgumentError, match="raw_ids=True"):
        collect(load_coco_stuff164k(root, "val2017", labels_only=True))


def test_coco_stuff_prefers_label_train_ids(coco_root):
    root, raw, names = coco_root
    lut = coco_stuff_raw_to_contiguous_lut()
    for name, raw_label in zip(names, raw):
        write_label(root / "annotations" / "val2017" / f"{name}_labelTrainIds.png", lut[raw_label])
    labels = collect(load_coco_stuff164k(root, "val2017", labels_only=True))
    assert len(labels) == 3
    for label, raw_label in zip(labels, raw):
        np.testing.assert_array_equal(label, lut[raw_label])
    # raw_ids=True still reads the raw files next to them.
    raw_labels = collect(load_coco_stuff164k(root, "val2017", raw_ids=True, labels_only=True))
    np.testing.assert_array_equal(raw_labels[0], lut[raw[0]])


def test_coco_stuff_missing(tmp_path):
    (tmp_path / "images").mkdir()
    with pytest.raises(FileNotFoundError, match=r"images/train2017/\*\.jpg"):
        load_coco_stuff164k(tmp_path, "train2017")


def test_directory_loader_pairs_by_stem(tmp_path):
    image_dir, label_dir = tmp_path / "images", tmp_path / "labels"
    maps = raw_maps(np.array([0, 1, 2, 255]))
    make_pairs(image_dir, label_dir, maps[:2], ["b", "a"], image_ext=".png")
    make_pairs(image_dir, label_dir, maps[2:], ["c"], image_ext=".jpeg")
    names_file = tmp_path / "classes.txt"
    names_file.write_text("background\n# comment\ncat\n\ndog\n")
    assert read_class_names(names_file) == ("background", "cat", "dog")
    elements = collect(load_segmentation_directory(image_dir, label_dir, class_names_file=names_file))
    # Sorted by stem: a, b, c.
    for (image, label), raw_label in zip(elements, [maps[1], maps[0], maps[2]]):
        assert image.shape == raw_label.shape + (3,)
        np.testing.assert_array_equal(label, raw_label)
    with pytest.raises(ValueError, match="disagrees"):
        load_segmentation_directory(image_dir, label_dir, class_names_file=names_file, num_classes=5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="outside"):
        collect(load_segmentation_directory(image_dir, label_dir, num_classes=2))
    with pytest.raises(FileNotFoundError, match="labels"):
        load_segmentation_directory(image_dir, tmp_path / "missing")
    ds = load_dataset("directory", image_dir=image_dir, label_dir=label_dir, labels_only=True)
    assert len(collect(ds)) == 3


def _tfds_examples(raw_annotations):
    """A custom `as_dataset` for mock_data yielding encoded images/annotations we control."""

    def as_dataset(builder, *args, **kwargs):
        def generate():
            for i, raw in enumerate(raw_annotations):
                image = np.full(raw.shape + (3,), 10 * i, np.uint8)
                # TFDS stores the annotation as an RGB PNG; the class is the red channel.
                annotation = np.stack([raw, np.full_like(raw, 7), np.full_like(raw, 9)], axis=-1)
                yield {
                    "image": tf.io.encode_jpeg(image).numpy(),
                    "annotation": tf.io.encode_png(annotation).numpy(),
                }

        return tf.data.Dataset.from_generator(
            generate,
            output_signature={
                "image": tf.TensorSpec([], tf.string),
                "annotation": tf.TensorSpec([], tf.string),
            },
        )

    return as_dataset


def test_ade20k_tfds_label_mapping_on_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    raw = raw_maps(np.array([0, 1, 100, 150]))
    with tfds.testing.mock_data(as_dataset_fn=_tfds_examples(raw)):
        with pytest.warns(UserWarning, match="instance"):
            ds = load_ade20k_tfds("train")
        elements = collect(ds)
    assert len(elements) == 3
    for (image, label), raw_label in zip(elements, raw):
        assert image.shape == raw_label.shape + (3,) and image.dtype == np.float32
        np.testing.assert_array_equal(label, ade20k_raw_to_contiguous_lut()[raw_label])


def test_ade20k_tfds_random_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=4, max_value=150):
        with pytest.warns(UserWarning):
            labels = collect(load_ade20k_tfds("validation", labels_only=True, batch_size=None))
    assert len(labels) == 4
    for label in labels:
        assert label.ndim == 2 and label.dtype == np.int32
        assert set(np.unique(label).tolist()) <= set(range(150)) | {255}
    with tfds.testing.mock_data(num_examples=2):
        with pytest.warns(UserWarning):
            ds = load_ade20k_tfds("train")
        # Mock images and annotations have unrelated sizes; the loader refuses to pair them.
        with pytest.raises(tf.errors.InvalidArgumentError, match="sizes differ|outside"):
            collect(ds)


def test_ade20k_tfds_missing_data(tmp_path):
    pytest.importorskip("tensorflow_datasets")
    with pytest.warns(UserWarning):
        with pytest.raises(FileNotFoundError, match="download=True"):
            load_ade20k_tfds("train", data_dir=str(tmp_path))
