"""`load_ade20k` on a tiny ADEChallengeData2016 folder, and `load_ade20k_tfds` on TFDS mock data."""

import numpy as np
import pytest
import tensorflow as tf

from keras_rr.data import ADE20K_CLASS_NAMES
from keras_rr.data import LoaderOptions
from keras_rr.data import ade20k_raw_to_contiguous_lut
from keras_rr.data import load_ade20k
from keras_rr.data import load_ade20k_tfds
from tests.data.label_files import collect
from tests.data.label_files import raw_maps
from tests.data.label_files import write_image
from tests.data.label_files import write_label
from tests.references import np_ade20k_training_ids


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
        np.testing.assert_array_equal(label, np_ade20k_training_ids(raw_label))
    values = set(np.concatenate([label.ravel() for _, label in elements]).tolist())
    assert values == {255, 0, 1, 74, 148, 149}


def test_ade20k_validation_split_aliases_and_parent_dir(ade20k_root):
    root, raw = ade20k_root
    for split in ("validation", "val"):
        labels = collect(load_ade20k(root.parent, split, labels_only=True))
        assert len(labels) == 2
        np.testing.assert_array_equal(labels[1], np_ade20k_training_ids(raw["validation"][1]))
    with pytest.raises(ValueError, match="split"):
        load_ade20k(root, "test")


def test_ade20k_lut():
    lut = ade20k_raw_to_contiguous_lut()
    assert lut.shape == (256,) and lut.dtype == np.int32
    assert lut[0] == 255 and lut[1] == 0 and lut[150] == 149 and lut[255] == 255
    np.testing.assert_array_equal(lut, np_ade20k_training_ids(np.arange(256)))
    assert len(ADE20K_CLASS_NAMES) == 150 and ADE20K_CLASS_NAMES[0] == "wall"


def test_ade20k_missing_data_names_the_expected_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_ade20k(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="data_dir"):
        load_ade20k(None)
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


def test_ade20k_keyword_and_options_forms_give_the_same_dataset(ade20k_root):
    root, _ = ade20k_root
    keywords = dict(shuffle=True, seed=5, augment={"crop_size": 6, "scale": None}, batch_size=2)
    by_keyword = collect(load_ade20k(root, "training", **keywords))
    by_object = collect(load_ade20k(root, "training", LoaderOptions(**keywords)))
    by_both = collect(load_ade20k(root, "training", options=LoaderOptions(seed=5, batch_size=3),
                                  shuffle=True, augment={"crop_size": 6, "scale": None}, batch_size=2))
    assert [b[0].shape for b in by_keyword] == [(2, 6, 6, 3), (1, 6, 6, 3)]
    for other in (by_object, by_both):
        assert len(other) == len(by_keyword)
        for (image, label), (want_image, want_label) in zip(other, by_keyword):
            np.testing.assert_array_equal(label, want_label)
            np.testing.assert_allclose(image, want_image, atol=1e-4)


def test_ade20k_unknown_keyword_is_an_error(ade20k_root):
    root, _ = ade20k_root
    with pytest.raises(TypeError, match=r"load_ade20k.*'shufle'"):
        load_ade20k(root, "training", shufle=True)
    with pytest.raises(TypeError, match="LoaderOptions"):
        load_ade20k(root, "training", {"shuffle": True})


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
        np.testing.assert_array_equal(label, np_ade20k_training_ids(raw_label))


def test_ade20k_tfds_shares_the_augment_and_batch_pipeline():
    tfds = pytest.importorskip("tensorflow_datasets")
    raw = raw_maps(np.array([0, 1, 100, 150]))
    options = LoaderOptions(augment={"crop_size": 6, "scale": None, "photometric": False}, batch_size=2, seed=1)
    with tfds.testing.mock_data(as_dataset_fn=_tfds_examples(raw)):
        with pytest.warns(UserWarning):
            batches = collect(load_ade20k_tfds("train", options=options))
        with pytest.warns(UserWarning):
            again = collect(load_ade20k_tfds("train", options=options))
        with pytest.warns(UserWarning):
            labels = collect(load_ade20k_tfds("train", labels_only=True))
        with pytest.raises(TypeError, match="batchsize"):
            load_ade20k_tfds("train", batchsize=2)
    assert [b[0].shape for b in batches] == [(2, 6, 6, 3), (1, 6, 6, 3)]
    assert [b[1].shape for b in batches] == [(2, 6, 6), (1, 6, 6)]
    np.testing.assert_array_equal(again[0][1], batches[0][1])
    assert set(np.concatenate([b[1].ravel() for b in batches]).tolist()) <= {255, 0, 99, 149}
    assert len(labels) == 3
    for label, raw_label in zip(labels, raw):
        np.testing.assert_array_equal(label, np_ade20k_training_ids(raw_label))


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
