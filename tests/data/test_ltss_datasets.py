"""ADE20K-Full and COCO-Stuff-LT loaders on small fixtures in LTSS's layouts; LTSS groups."""

import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import keras_rr
from keras_rr.data import ClassStatistics
from keras_rr.data.class_names import ADE20K_FULL_CLASS_NAMES
from keras_rr.data.class_names import COCO_STUFF_CLASS_NAMES
from keras_rr.data.datasets import DATASETS
from keras_rr.data.datasets import compute_dataset_statistics
from keras_rr.data.datasets import load_dataset
from keras_rr.data.ltss_datasets import LTSS_GROUP_COUNTS
from keras_rr.data.ltss_datasets import load_ade20k_full
from keras_rr.data.ltss_datasets import load_coco_stuff_lt
from keras_rr.data.ltss_datasets import ltss_frequency_groups


def _jpeg(path, size, seed):
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(path, quality=95)


@pytest.fixture(scope="module")
def ade20k_full(tmp_path_factory):
    """`ADE20K_2021_17_01` with 3 training and 1 validation image; 16-bit TIFF labels."""
    parent = tmp_path_factory.mktemp("ade_full")
    root = parent / "ADE20K_2021_17_01"
    rng = np.random.default_rng(0)
    labels = {}
    for split, count in (("training", 3), ("validation", 1)):
        (root / "images_detectron2" / split).mkdir(parents=True)
        (root / "annotations_detectron2" / split).mkdir(parents=True)
        for i in range(count):
            name = f"ADE_{split}_{i:08d}"
            label = rng.choice(np.array([0, 255, 300, 846, 65535], np.uint16), size=(10, 14))
            Image.fromarray(label).save(root / "annotations_detectron2" / split / f"{name}.tif")
            _jpeg(root / "images_detectron2" / split / f"{name}.jpg", (10, 14), i)
            labels[(split, i)] = label.astype(np.int32)
    return parent, labels


def test_ade20k_full_reads_16_bit_labels_with_ids_above_255(ade20k_full):
    parent, labels = ade20k_full
    dataset = load_ade20k_full(parent, "training")
    elements = list(dataset.as_numpy_iterator())
    assert len(elements) == 3
    for i, (image, label) in enumerate(elements):
        assert image.shape == (10, 14, 3) and image.dtype == np.float32
        np.testing.assert_array_equal(label, labels[("training", i)])
    val = list(load_dataset("ade20k_full", str(parent / "ADE20K_2021_17_01"), "val", labels_only=True))
    np.testing.assert_array_equal(val[0], labels[("validation", 0)])
    # Random access (the trainer's step-indexed stream and copy-paste read by index).
    np.testing.assert_array_equal(tf.data.experimental.at(dataset, 2)[1].numpy(), labels[("training", 2)])


def test_ade20k_full_statistics_default_to_its_ignore_value_and_names(ade20k_full):
    parent, labels = ade20k_full
    stats = compute_dataset_statistics("ade20k_full", parent, progress=False)
    assert stats.num_classes == 847 and stats.num_images == 3 and stats.class_names[846] == "adding machine"
    stacked = np.stack([labels[("training", i)] for i in range(3)])
    for c in (0, 255, 300, 846):
        assert stats.pixel_counts[c] == np.sum(stacked == c)
        assert stats.region_counts[c] == sum(np.any(stacked[i] == c) for i in range(3))
    assert int(np.sum(stats.pixel_counts)) == np.sum(stacked != 65535)  # 65535 ignored
    assert DATASETS["ade20k_full"] == ("training", 847, ADE20K_FULL_CLASS_NAMES)
    assert len(set(ADE20K_FULL_CLASS_NAMES)) == 847


def test_ade20k_full_rejects_values_outside_its_classes(tmp_path):
    root = tmp_path / "ADE20K_2021_17_01"
    for kind in ("images_detectron2", "annotations_detectron2"):
        (root / kind / "training").mkdir(parents=True)
    Image.fromarray(np.full((4, 4), 900, np.uint16)).save(root / "annotations_detectron2/training/a.tif")
    _jpeg(root / "images_detectron2/training/a.jpg", (4, 4), 0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="outside 0..846"):
        list(load_ade20k_full(tmp_path, "training"))
    with pytest.raises(FileNotFoundError, match="images_detectron2/validation"):
        load_ade20k_full(tmp_path, "validation")


@pytest.fixture(scope="module")
def coco_stuff_lt(tmp_path_factory):
    """A COCO-Stuff folder with 4 training images (2 in the LT split file) and 1 validation image."""
    root = tmp_path_factory.mktemp("coco_lt") / "coco_stuff_lt_40k"
    rng = np.random.default_rng(1)
    names = {"train2017": [f"{i:012d}.jpg" for i in (9, 25, 30, 34)], "val2017": ["000000000139.jpg"]}
    for split, files in names.items():
        (root / "images" / split).mkdir(parents=True)
        (root / "annotations" / split).mkdir(parents=True)
        for i, name in enumerate(files):
            _jpeg(root / "images" / split / name, (6, 8), i)
            label = rng.choice(np.array([0, 5, 170, 255], np.uint8), size=(6, 8))
            Image.fromarray(label).save(root / "annotations" / split / name.replace(".jpg", ".png"))
    return root, names


def test_coco_stuff_lt_reads_the_images_its_split_file_lists(coco_stuff_lt, tmp_path):
    root, names = coco_stuff_lt
    assert len(list(load_coco_stuff_lt(root, "train2017"))) == 4  # no split file: the folder is the subset
    split_file = tmp_path / "coco-stuff-lt.txt"
    split_file.write_text(f"{names['train2017'][2]}\n{names['train2017'][0]}\n\n")
    listed = load_coco_stuff_lt(root, "train", split_file=str(split_file), labels_only=True)
    files = keras_rr.data.file_datasets.dataset_files(listed)
    assert [os.path.basename(p) for p in files.image_paths] == [names["train2017"][0], names["train2017"][2]]
    assert len(list(load_coco_stuff_lt(root, "val", split_file=str(split_file)))) == 1  # val: all of it
    split_file.write_text("000000999999.jpg\n")
    with pytest.raises(FileNotFoundError, match="000000999999.jpg"):
        load_coco_stuff_lt(root, "train2017", split_file=str(split_file))
    stats = compute_dataset_statistics("coco_stuff_lt", root, progress=False, validate=False)
    assert stats.num_classes == 171 and stats.num_images == 4 and tuple(stats.class_names) == COCO_STUFF_CLASS_NAMES


def _numpy_ltss_groups(region_counts, image_class_pixels, num_images, low_high_counts, n_ltss, by):
    if by == "image":
        frequency = np.asarray(region_counts, float) / num_images
    else:
        frequency = np.zeros(len(region_counts))
        for classes in image_class_pixels:  # one {class: pixels} dict per image
            total = sum(classes.values())
            for c, p in classes.items():
                frequency[c] += p / total
        frequency /= num_images
    low, high = (b / n_ltss for b in low_high_counts)
    return np.where(frequency < low, "rare", np.where(frequency < high, "common", "frequent"))


def test_ltss_groups_follow_the_thresholds_of_ltss_metadata():
    # LTSS's ADE20K-Full table: kennel (4 images) rare, hairdresser chair (6) common,
    # shanties (14) common, roller coaster (15) frequent.
    stats = ClassStatistics.from_counts([1, 1, 1, 1], [4, 6, 14, 15], num_images=25_574)
    assert ltss_frequency_groups(stats, "ade20k_full").tolist() == ["rare", "common", "common", "frequent"]
    # COCO-Stuff-LT: bear (15) rare, cow (51) common, pizza (154) frequent.
    stats = ClassStatistics.from_counts([1, 1, 1], [15, 51, 154], num_images=40_679)
    assert ltss_frequency_groups(stats, "coco_stuff_lt").tolist() == ["rare", "common", "frequent"]
    # Any statistics, both frequencies: equal to a NumPy reimplementation.
    _, labels = keras_rr.data.synthetic_long_tailed(num_images=30, image_size=16, num_classes=12, seed=3)
    stats = keras_rr.data.compute_class_statistics(labels, 12, progress=False)
    per_image = [{int(c): int(np.sum(y == c)) for c in np.unique(y) if c != 255} for y in labels]
    for dataset, counts in LTSS_GROUP_COUNTS.items():
        scale = dict(counts, image=(300.0, 2_000.0), pixel=(30.0, 3_000.0))  # spread this set over the groups
        LTSS_GROUP_COUNTS[dataset] = scale
        try:
            for by in ("image", "pixel"):
                want = _numpy_ltss_groups(stats.region_counts, per_image, 30, scale[by], counts["num_images"], by)
                got = ltss_frequency_groups(stats, dataset, by=by)
                assert got.tolist() == want.tolist()
                assert len(set(got.tolist())) >= 2
        finally:
            LTSS_GROUP_COUNTS[dataset] = counts
    with pytest.raises(ValueError, match="dataset"):
        ltss_frequency_groups(stats, "ade20k")
