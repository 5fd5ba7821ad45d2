"""Label PNGs: how a stored label file becomes one integer per pixel.

Which files are read, and how (`decode_label_values`, the one rule the loaders and the
file check `keras_rr.data.file_checks` share):

- 8-bit grayscale (PIL mode `L`, with or without alpha): the value is the label.
- RGB / RGBA whose three channels are equal at every pixel: read as grayscale.
- Palette PNGs (PIL mode `P`, VOC-style): the palette *index* is the label, as
  `np.array(PIL.Image.open(path))` gives. `tf.io.decode_png` returns the palette's
  colours instead, so the file's header is rewritten first (`palette_as_indices`): its
  palette becomes the grey ramp `i -> (i, i, i)` and libpng decodes indices as values.
  Only the chunk list is touched (a few dozen bytes of Python per file, no pixel
  work); the pixels are still decoded by TensorFlow inside the `tf.data` pipeline, and
  every bit depth (1, 2, 4, 8) and interlacing libpng reads are read the same way.
  A pure-Python index decoder would have to undo PNG's row filters per byte (slow),
  and `PIL` through `tf.numpy_function` would decode every pixel under the GIL and
  make pillow a requirement of training.
- Coloured RGB / RGBA labels (channels differ somewhere): rejected with the file's
  name, unless a `color_map` `{(r, g, b): value}` is given; then every label file is
  read as colours (grayscale `v` is the colour `(v, v, v)`, palettes give their
  colours) and each colour becomes its value. A colour the map does not list is an
  error naming the file and the colour: map it to the ignore value (e.g. `255`) to
  ignore it.
- 16-bit PNGs: rejected (`tf.io.decode_png(dtype=uint8)` would scale the ids).

TensorFlow is imported inside the functions.
"""

import struct
import zlib

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The last 8 bytes of every complete PNG: the IEND chunk's type and its CRC.
PNG_END = b"IEND\xaeB`\x82"
_PALETTE = 3


def png_header(contents, path="<bytes>"):
    """Returns `(height, width, bit_depth, color_type)` read from a PNG's IHDR chunk.

    Args:
        contents: bytes. The start of the file (33 bytes are enough).
        path: str. Named in the error.

    Returns:
        Four ints.

    Raises:
        ValueError: `contents` does not start like a PNG.

    Example:

    >>> png_header(open("labels/a.png", "rb").read(33))
    (512, 683, 8, 0)
    """
    if len(contents) < 33 or contents[:8] != PNG_SIGNATURE or contents[12:16] != b"IHDR":
        raise ValueError(f"Label file {path} is not a PNG image (labels must be PNG files).")
    width, height, bit_depth, color_type = struct.unpack(">IIBB", contents[16:26])
    return height, width, bit_depth, color_type


def _chunks(contents):
    position = 8
    while position + 8 <= len(contents):
        (length,) = struct.unpack(">I", contents[position : position + 4])
        kind = contents[position + 4 : position + 8]
        yield kind, contents[position + 8 : position + 8 + length]
        position += 12 + length


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def palette_as_indices(contents):
    """Rewrites a palette PNG so that decoding it gives its indices, not its colours.

    The palette becomes `i -> (i, i, i)` for every index the bit depth allows, and the
    ancillary chunks (transparency, gamma, histogram, text) are dropped; the image data
    is kept byte for byte. Any other PNG is returned unchanged.

    Args:
        contents: bytes (or a NumPy bytes scalar, as `tf.numpy_function` passes it).

    Returns:
        bytes.

    Example:

    >>> indices = tf.io.decode_png(palette_as_indices(data), channels=1)[..., 0]
    """
    contents = bytes(contents)
    if len(contents) < 33 or contents[:8] != PNG_SIGNATURE or contents[25] != _PALETTE:
        return contents
    parts = [PNG_SIGNATURE]
    for kind, data in _chunks(contents):
        if kind == b"IHDR":
            parts.append(_chunk(kind, data))
            ramp = np.arange(2 ** min(data[8], 8), dtype=np.uint8)
            parts.append(_chunk(b"PLTE", np.repeat(ramp, 3).tobytes()))
        elif kind in (b"IDAT", b"IEND"):
            parts.append(_chunk(kind, data))
    return b"".join(parts)


def _color_key(value, name):
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.startswith("#") and len(text) == 7:
                rgb = tuple(int(text[i : i + 2], 16) for i in (1, 3, 5))
            else:
                rgb = tuple(int(part) for part in text.split(","))
        except ValueError:
            rgb = ()
    else:
        try:
            rgb = tuple(value)
        except TypeError:
            rgb = ()
    ok = len(rgb) == 3 and all(
        isinstance(c, (int, np.integer)) and not isinstance(c, bool) and 0 <= c < 256 for c in rgb
    )
    if not ok:
        raise ValueError(
            f"`{name}` keys must be colours: (r, g, b) tuples of ints in [0, 256), 'r,g,b' or "
            f"'#rrggbb' strings. Received: key {value!r}"
        )
    return tuple(int(c) for c in rgb)


def check_color_map(color_map, name="color_map"):
    """Returns `color_map` as a sorted tuple of `((r, g, b), value)` pairs, or `None`.

    Args:
        color_map: None, a dict `{colour: value}` or a sequence of `(colour, value)`
            pairs. A colour is an `(r, g, b)` tuple, an `"r,g,b"` string or a
            `"#rrggbb"` string (config files need string keys); a value is the stored
            label value in `[0, 256)` the colour stands for (`255` ignores it).
        name: str. The setting named in errors. Defaults to `"color_map"`.

    Returns:
        tuple of pairs, or None.

    Example:

    >>> check_color_map({(0, 0, 0): 0, "#ff0000": 1, "0,255,0": 255})
    (((0, 0, 0), 0), ((0, 255, 0), 255), ((255, 0, 0), 1))
    """
    if color_map is None:
        return None
    items = color_map.items() if hasattr(color_map, "items") else color_map
    try:
        items = list(items)
        pairs = [(_color_key(colour, name), value) for colour, value in items]
    except (TypeError, ValueError) as error:
        if isinstance(error, ValueError) and f"`{name}` keys" in str(error):
            raise
        raise ValueError(
            f"`{name}` must be a dict {{(r, g, b): label value}} or a list of (colour, value) "
            f"pairs. Received: {name}={color_map!r}"
        ) from None
    if not pairs:
        raise ValueError(f"`{name}` is empty; pass None to read labels as grayscale. Received: {name}={color_map!r}")
    seen = {}
    for colour, value in pairs:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < 256:
            raise ValueError(
                f"`{name}` values must be label values: ints in [0, 256). Received: {colour} -> {value!r}"
            )
        if colour in seen and seen[colour] != value:
            raise ValueError(f"`{name}` lists the colour {colour} twice, as {seen[colour]} and {value}.")
        seen[colour] = int(value)
    return tuple(sorted(seen.items()))


def decode_label_values(contents, color_map=None, red_channel=False):
    """Decodes a label PNG to its stored values, and says what is wrong with it.

    Graph-safe (a `tf.data` map function). Decoding errors of a damaged file are
    raised by TensorFlow; everything else is returned as `problem`, which is `""` for
    a good file, so callers decide whether to fail (the loaders) or to collect it (the
    file check).

    Args:
        contents: scalar string tensor, the file's bytes.
        color_map: the output of `check_color_map`, or None.
        red_channel: bool. The class is the first (red) channel whatever the others
            hold (TFDS `scene_parse150` annotations). Defaults to `False`.

    Returns:
        `(values int32 (H, W), problem scalar string)`.

    Example:

    >>> values, problem = decode_label_values(tf.io.read_file("labels/a.png"))
    """
    import tensorflow as tf

    contents = tf.convert_to_tensor(contents, tf.string)
    bit_depth = tf.strings.substr(contents, 24, 1)
    too_deep = tf.equal(bit_depth, b"\x10")
    if red_channel:
        values = tf.cast(tf.io.decode_png(contents, channels=0)[..., 0], tf.int32)
        problem = tf.constant("")
    elif color_map is None:
        is_palette = tf.equal(tf.strings.substr(contents, 25, 1), bytes([_PALETTE]))
        contents = tf.cond(
            is_palette,
            lambda: tf.ensure_shape(tf.numpy_function(palette_as_indices, [contents], tf.string, stateful=False), []),
            lambda: contents,
        )
        pixels = tf.cast(tf.io.decode_png(contents, channels=0), tf.int32)
        first = pixels[..., 0]
        channels = tf.shape(pixels)[-1]
        rgb = pixels[..., : tf.minimum(channels, 3)]
        coloured = tf.logical_and(
            channels >= 3, tf.reduce_any(tf.not_equal(rgb, first[..., None]))
        )
        problem = tf.where(
            coloured,
            "is a coloured (RGB) label: its channels differ. Store class ids as 8-bit grayscale or "
            "palette PNGs, or pass `color_map={(r, g, b): class id}` to the loader",
            "",
        )
        values = first
    else:
        colours = tf.cast(tf.io.decode_png(contents, channels=3), tf.int32)
        keys = colours[..., 0] * 65536 + colours[..., 1] * 256 + colours[..., 2]
        table_keys = tf.constant([r * 65536 + g * 256 + b for (r, g, b), _ in color_map], tf.int32)
        table_values = tf.constant([value for _, value in color_map], tf.int32)
        index = tf.minimum(tf.searchsorted(table_keys, tf.reshape(keys, [-1])), len(color_map) - 1)
        index = tf.reshape(index, tf.shape(keys))
        found = tf.equal(tf.gather(table_keys, index), keys)
        values = tf.gather(table_values, index)
        missing = tf.reshape(tf.boolean_mask(colours, tf.logical_not(found)), [-1, 3])
        problem = tf.cond(
            tf.shape(missing)[0] > 0,
            lambda: tf.strings.format(
                "holds the colour {} that `color_map` does not list (map it to 255 to ignore it)",
                missing[0], summarize=-1,
            ),
            lambda: tf.constant(""),
        )
    problem = tf.where(too_deep, "has 16-bit channels; 8-bit label PNGs are expected", problem)
    return values, problem
