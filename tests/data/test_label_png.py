"""`keras_rr.data.label_png` and the loader options built on it: label file modes, `color_map`,
`image_size`, and batching examples of different sizes."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_rr.data import LoaderOptions
from keras_rr.data import load_segmentation_directory
from keras_rr.data import label_png
from tests.data.label_files import collect
from tests.data.label_files import write_image
from tests.data.label_files import write_label
from tests.data.label_files import write_palette_label
from tests.data.label_files import write_rgb_label


def one_pair(tmp_path, write, shape=(5, 7)):
    """A folder pair holding one image and the label `write(path)` stores."""
    image_dir, label_dir = tmp_path / "img", tmp_path / "lab"
    image_dir.mkdir(exist_ok=True)
    label_dir.mkdir(exist_ok=True)
    write_image(image_dir / "a.png", *shape, seed=0)
    write(label_dir / "a.png")
    return image_dir, label_dir


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_palette_labels_read_as_their_indices_like_pil(tmp_path, bits):
    indices = np.random.default_rng(bits).integers(0, 2**bits, size=(5, 7)).astype(np.uint8)
    image_dir, label_dir = one_pair(tmp_path, lambda p: write_palette_label(p, indices, bits=bits))
    with Image.open(label_dir / "a.png") as stored:
        assert stored.mode == "P"
        pil_indices = np.array(stored)
    np.testing.assert_array_equal(pil_indices, indices)
    # TensorFlow alone decodes the palette's colours, not the ids.
    assert tf.io.decode_png((label_dir / "a.png").read_bytes()).shape[-1] >= 3
    [label] = collect(load_segmentation_directory(image_dir, label_dir, labels_only=True))
    np.testing.assert_array_equal(label, pil_indices)


def test_palette_rewrite_changes_only_palette_pngs(tmp_path):
    write_label(tmp_path / "gray.png", np.eye(3))
    write_palette_label(tmp_path / "palette.png", np.eye(3), bits=2)
    gray = (tmp_path / "gray.png").read_bytes()
    assert label_png.palette_as_indices(gray) == gray
    assert label_png.palette_as_indices(b"not a png") == b"not a png"
    rewritten = label_png.palette_as_indices((tmp_path / "palette.png").read_bytes())
    assert b"tRNS" not in rewritten and bytes([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]) in rewritten
    assert label_png.png_header(rewritten) == (3, 3, 2, 3)
    with pytest.raises(ValueError, match="x.png is not a PNG"):
        label_png.png_header(b"GIF89a" + bytes(40), "x.png")


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "LA"])
def test_equal_channel_labels_read_as_grayscale(tmp_path, mode):
    label = np.random.default_rng(0).integers(0, 3, size=(5, 7)).astype(np.uint8)

    def write(path):
        Image.fromarray(label, mode="L").convert(mode).save(path)

    image_dir, label_dir = one_pair(tmp_path, write)
    [(_, got)] = collect(load_segmentation_directory(image_dir, label_dir, num_classes=3))
    np.testing.assert_array_equal(got, label)


def test_coloured_labels_fail_naming_the_file_unless_mapped(tmp_path):
    label = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)
    colours = [(0, 0, 0), (255, 0, 0), (0, 128, 255)]
    image_dir, label_dir = one_pair(tmp_path, lambda p: write_rgb_label(p, label, colours), shape=(2, 3))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"a\.png.*coloured.*color_map"):
        collect(load_segmentation_directory(image_dir, label_dir))
    colour_map = {(0, 0, 0): 0, "#ff0000": 1, "0,128,255": 2}
    [(_, got)] = collect(load_segmentation_directory(image_dir, label_dir, num_classes=3, color_map=colour_map))
    np.testing.assert_array_equal(got, label)
    # An unlisted colour fails naming the file and the colour; mapped to 255 it is ignored.
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"a\.png.*\[0 128 255\].*color_map"):
        collect(load_segmentation_directory(image_dir, label_dir, color_map={(0, 0, 0): 0, (255, 0, 0): 1}))
    [ignored] = collect(load_segmentation_directory(
        image_dir, label_dir, labels_only=True, color_map={(0, 0, 0): 0, (255, 0, 0): 1, (0, 128, 255): 255}))
    np.testing.assert_array_equal(ignored, np.where(label == 2, 255, label))


def test_color_map_reads_grayscale_and_palette_files_as_colours(tmp_path):
    image_dir, label_dir = one_pair(tmp_path, lambda p: write_label(p, np.full((5, 7), 4)))
    [got] = collect(load_segmentation_directory(image_dir, label_dir, labels_only=True, color_map={(4, 4, 4): 1}))
    assert (got == 1).all()


@pytest.mark.parametrize(
    "color_map, match",
    [
        ({(0, 0): 1}, "keys must be colours"),
        ({(0, 0, 256): 1}, "keys must be colours"),
        ({"#ff00": 1}, "keys must be colours"),
        ({(0, 0, 0): 256}, r"values must be label values.*256"),
        ({(0, 0, 0): True}, "values must be label values"),
        ([((0, 0, 0), 1), ((0, 0, 0), 2)], "twice"),
        ({}, "empty"),
        (5, "must be a dict"),
    ],
)
def test_bad_color_maps(color_map, match):
    with pytest.raises(ValueError, match=match):
        LoaderOptions(color_map=color_map)


def test_color_map_is_normalised_and_hashable():
    options = LoaderOptions(color_map={"#010203": 5, (0, 0, 0): 0})
    assert options.color_map == (((0, 0, 0), 0), ((1, 2, 3), 5))
    assert hash(options) == hash(LoaderOptions(color_map=[("1,2,3", 5), ([0, 0, 0], 0)]))


def test_image_size_gives_static_batches_and_no_new_label_values(tmp_path):
    image_dir, label_dir = tmp_path / "img", tmp_path / "lab"
    image_dir.mkdir()
    label_dir.mkdir()
    rng = np.random.default_rng(0)
    for name, shape in [("a", (9, 13)), ("b", (20, 6))]:
        write_image(image_dir / f"{name}.png", *shape, seed=1)
        write_label(label_dir / f"{name}.png", rng.choice([0, 2, 255], size=shape))
    ds = load_segmentation_directory(image_dir, label_dir, image_size=(8, 10), batch_size=2)
    assert ds.element_spec[0].shape.as_list() == [None, 8, 10, 3]
    assert ds.element_spec[1].shape.as_list() == [None, 8, 10]
    [(images, labels)] = collect(ds)
    assert images.shape == (2, 8, 10, 3) and images.dtype == np.float32
    assert set(np.unique(labels).tolist()) <= {0, 2, 255}
    assert LoaderOptions(image_size=4).image_size == (4, 4)
    only = collect(load_segmentation_directory(image_dir, label_dir, labels_only=True, image_size=3))
    assert [label.shape for label in only] == [(3, 3), (3, 3)]
    # Without a size, the second size fails at batching, naming the option.
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[20 6\].*\[9 13\].*image_size="):
        collect(load_segmentation_directory(image_dir, label_dir, batch_size=2))
    # Batches of one hold one size each: nothing to resize.
    assert [x.shape for x, _ in collect(load_segmentation_directory(image_dir, label_dir, batch_size=1))] == [
        (1, 9, 13, 3), (1, 20, 6, 3)]


def test_resize_example_is_bilinear_for_images_and_nearest_for_labels():
    from keras_rr.data.file_datasets import resize_example

    image = tf.reshape(tf.range(16, dtype=tf.float32), (4, 4, 1))
    label = tf.constant([[0, 1], [2, 3]], tf.int32)
    resized_image, resized_label = resize_example((image, tf.tile(label, [2, 2])), (2, 2))
    np.testing.assert_allclose(resized_image, tf.image.resize(image, (2, 2), method="bilinear"))
    np.testing.assert_array_equal(resize_example(label, (4, 4)), np.repeat(np.repeat(label, 2, 0), 2, 1))
    assert resized_label.dtype == tf.int32


@pytest.mark.parametrize("value", [0, -1, (2, 0), (2, 3, 4), "8", 2.5, True])
def test_bad_image_size(value):
    with pytest.raises(ValueError, match="image_size"):
        LoaderOptions(image_size=value)


def test_options_from_a_config_section():
    ml_collections = pytest.importorskip("ml_collections")
    loader_kwargs = ml_collections.ConfigDict({"image_size": (8, 10), "color_map": {"#ff0000": 1, "0,0,0": 0}})
    options = LoaderOptions(**loader_kwargs.to_dict())
    assert options.image_size == (8, 10) and options.color_map == (((0, 0, 0), 0), ((255, 0, 0), 1))
