"""Tiny offline datasets on disk for the loader tests: image/label files paired by name."""

import os

import numpy as np
from PIL import Image

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
    """One uint8 label map per entry of `SIZES`, drawn from `values`."""
    rng = np.random.default_rng(seed)
    maps = [rng.choice(values, size=size).astype(np.uint8) for size in SIZES]
    # Every map contains the extreme values so the mapping is tested at the edges.
    for m in maps:
        m[0, : len(values)] = values[: m.shape[1]]
    return maps


def collect(ds):
    """All elements of a tf.data dataset as NumPy (tuples stay tuples)."""
    return [tuple(np.asarray(t) for t in element) if isinstance(element, tuple) else np.asarray(element)
            for element in ds.as_numpy_iterator()]


def write_three_class_directory(root):
    """A generic dataset folder: 2 image/label pairs and a 3-line class-names file.

    Class counts: pixels [1, 2, 3], regions [1, 1, 1], one ignored pixel.

    Returns:
        `(image_dir, label_dir, names_file)` as str.
    """
    image_dir, label_dir = os.path.join(root, "img"), os.path.join(root, "lab")
    os.makedirs(image_dir)
    os.makedirs(label_dir)
    labels = [np.array([[0, 1], [1, 255]], np.uint8), np.array([[2, 2, 2]], np.uint8)]
    for i, label in enumerate(labels):
        Image.fromarray(np.zeros(label.shape + (3,), np.uint8)).save(os.path.join(image_dir, f"{i}.png"))
        write_label(os.path.join(label_dir, f"{i}.png"), label)
    names_file = os.path.join(root, "names.txt")
    with open(names_file, "w") as f:
        f.write("a\nb\nc\n")
    return image_dir, label_dir, names_file


def write_palette_label(path, indices, bits=8, seed=0):
    """A palette PNG (PIL mode `P`) whose indices are `indices`, with a random palette."""
    rng = np.random.default_rng(seed)
    image = Image.fromarray(np.asarray(indices, dtype=np.uint8), mode="P")
    image.putpalette(rng.integers(0, 256, size=3 * 2**bits).tolist())
    image.save(path, bits=bits, transparency=0)


def write_rgb_label(path, label, colours=None):
    """An RGB label PNG: grey `(v, v, v)` per value, or `colours[v]` when given."""
    label = np.asarray(label, dtype=np.uint8)
    pixels = np.repeat(label[..., None], 3, axis=-1) if colours is None else np.asarray(colours, np.uint8)[label]
    Image.fromarray(pixels, mode="RGB").save(path)


def write_bad_pairs(root):
    """A folder of 7 pairs: `good`, and one for each way a pair goes bad.

    Returns:
        `(image_dir, label_dir, {stem: the file the check must name})`.
    """
    image_dir, label_dir = os.path.join(root, "img"), os.path.join(root, "lab")
    make_pairs(image_dir, label_dir, [np.ones((4, 5), np.uint8)] * 7,
               ["good", "mismatch", "coloured", "range", "truncated", "corrupt", "deep"])
    bad = {}
    write_image(os.path.join(image_dir, "mismatch.jpg"), 3, 5, seed=9)
    bad["mismatch"] = os.path.join(image_dir, "mismatch.jpg")
    bad["coloured"] = os.path.join(label_dir, "coloured.png")
    write_rgb_label(bad["coloured"], np.eye(4, 5, dtype=np.uint8), colours=[(0, 0, 0), (9, 99, 199)])
    bad["range"] = os.path.join(label_dir, "range.png")
    write_label(bad["range"], np.full((4, 5), 7))
    bad["truncated"] = os.path.join(label_dir, "truncated.png")
    with open(bad["truncated"], "rb") as f:
        data = f.read()
    with open(bad["truncated"], "wb") as f:
        f.write(data[:-20])
    bad["corrupt"] = os.path.join(image_dir, "corrupt.jpg")
    with open(bad["corrupt"], "rb") as f:
        data = bytearray(f.read())
    data[3:] = bytes(len(data) - 3)  # a JPEG start marker, then zeros
    with open(bad["corrupt"], "wb") as f:
        f.write(bytes(data))
    bad["deep"] = os.path.join(label_dir, "deep.png")
    Image.fromarray(np.ones((4, 5), np.uint16)).save(bad["deep"])
    return image_dir, label_dir, bad
