"""BEiT (mmsegmentation's `BEiT` backbone) as a functional Keras model, and its table resizing.

mmseg's UPerNet BEiT (`configs/beit/upernet_beit-{base,large}_*_640x640_160k_ade20k.py`,
`_base_/models/upernet_beit.py`) uses BEiT as a plain ViT encoder:

- `patch_embed.projection`: a 16x16 conv with stride 16 (no norm), giving
  `W x W` patch tokens (`W = image_size / 16`);
- `cls_token` prepended; **no absolute position embedding**;
- `layers.{i}`: pre-norm blocks (`keras_rr.layers.BEiTTransformerLayer`) with LayerNorm
  epsilon 1e-6, attention with q / v biases (no k bias) and a relative position bias
  table per block, layer scales `gamma_1` / `gamma_2`, exact GELU FFN, stochastic depth
  rising linearly from 0 to `drop_path_rate` over the blocks;
- the raw outputs of the blocks at `out_indices`, class token removed, reshaped to
  `(B, W, W, C)` maps (no final norm).

Variants (`BEIT_VARIANTS`): base (12 blocks, 768 wide, 12 heads, out_indices
(3, 5, 7, 11), layer scale 0.1, drop path 0.1) and large (24 blocks, 1024 wide, 16
heads, out_indices (7, 11, 15, 23), layer scale 1e-6, drop path 0.2), as mmseg's configs;
tiny (4 blocks, 32 wide, 2 heads, all four outputs) for smoke runs and tests.

Naming (the torch-checkpoint contract): the layers are named with mmseg's module paths
relative to the backbone, dots spelled `-` (`keras_rr.networks.layers.module_paths`;
torch's backend refuses dots in variable paths), `patch_embed.projection`, `cls_token` (a `ClassToken` layer
whose variable is `cls_token`), `layers.{i}` with `ln1`, `attn` (`qkv`, `q_bias`,
`v_bias`, `relative_position_bias_table`, `proj`), `gamma_1`, `ln2`, `ffn.layers.0.0`,
`ffn.layers.1`, `gamma_2`. The `relative_position_index` is not a variable: it is
derived from the window (`keras_rr.networks.layers.beit_attention.relative_position_index`).

A checkpoint pre-trained at 224 px (window 14) has tables of `27 * 27 + 3` rows; at 640
px (window 40) the model needs `79 * 79 + 3`: `resize_relative_position_table` resizes
them the way mmseg does when it loads the checkpoint.

Reference:
    Bao et al., "BEiT: BERT Pre-Training of Image Transformers", ICLR 2022,
    https://arxiv.org/abs/2106.08254.
"""

import numpy as np

import keras

from keras_rr import validation
from keras_rr.networks.backbones.beit_transformer_layer import BEiTTransformerLayer
from keras_rr.networks.layers.class_token import ClassToken
from keras_rr.networks.layers.module_paths import module_path_name

PATCH_SIZE = 16
# mmseg's UPerNet BEiT configs.
BEIT_VARIANTS = {
    "base": {"embed_dim": 768, "depth": 12, "num_heads": 12, "out_indices": (3, 5, 7, 11),
             "init_values": 0.1, "drop_path_rate": 0.1},
    "large": {"embed_dim": 1024, "depth": 24, "num_heads": 16, "out_indices": (7, 11, 15, 23),
              "init_values": 1e-6, "drop_path_rate": 0.2},
    # Not mmseg's: a 4-block, 32-wide BEiT for smoke runs and tests (`:smoke_model`).
    "tiny": {"embed_dim": 32, "depth": 4, "num_heads": 2, "out_indices": (0, 1, 2, 3),
             "init_values": 0.1, "drop_path_rate": 0.1},
}


def beit_backbone(variant="base", image_size=640, out_indices=None, drop_path_rate=None, init_values=None,
                  embed_dim=None, depth=None, num_heads=None, mlp_ratio=4, name="backbone"):
    """mmseg's BEiT backbone: a functional model from images to block outputs at `out_indices`.

    Args:
        variant: str. `"base"`, `"large"` or `"tiny"` (`BEIT_VARIANTS`): the defaults of
            the arguments below. Defaults to `"base"`.
        image_size: int. Square input size, a multiple of 16 (the relative position
            tables are sized for it). Defaults to `640`.
        out_indices: tuple of ints or None. Blocks (0-based) whose outputs are returned,
            in order. None: the variant's (base (3, 5, 7, 11), large (7, 11, 15, 23)).
        drop_path_rate: float or None. Stochastic depth of the last block (linearly
            rising from 0). None: the variant's (base 0.1, large 0.2).
        init_values: float or None. Initial layer scale (`gamma_1`, `gamma_2`). None:
            the variant's (base 0.1, large 1e-6).
        embed_dim: int or None. Token width (a tiny model for tests). None: the
            variant's (768 / 1024).
        depth: int or None. Number of blocks. None: the variant's (12 / 24).
        num_heads: int or None. Attention heads (divides `embed_dim`). None: the
            variant's (12 / 16).
        mlp_ratio: int. FFN width over `embed_dim`. Defaults to `4`.
        name: str. Model name (`"backbone"`, mmseg's prefix of its keys). Defaults to
            `"backbone"`.

    Returns:
        A functional `keras.Model` from images `(B, image_size, image_size, 3)` to a list
        of `len(out_indices)` maps `(B, image_size / 16, image_size / 16, embed_dim)`
        (channels_first: `(B, embed_dim, h, w)`).

    Example:

    >>> backbone = beit_backbone("large", image_size=640)
    >>> tiny = beit_backbone(image_size=64, embed_dim=32, depth=4, num_heads=2, out_indices=(0, 1, 2, 3))
    """
    variant = validation.check_choice(variant, tuple(BEIT_VARIANTS), "variant")
    defaults = BEIT_VARIANTS[variant]
    image_size = validation.check_int(image_size, "image_size", minimum=PATCH_SIZE)
    if image_size % PATCH_SIZE:
        raise ValueError(f"`image_size` must be a multiple of {PATCH_SIZE}. Received: image_size={image_size}")
    embed_dim = validation.check_int(defaults["embed_dim"] if embed_dim is None else embed_dim, "embed_dim", minimum=1)
    depth = validation.check_int(defaults["depth"] if depth is None else depth, "depth", minimum=1)
    num_heads = validation.check_int(defaults["num_heads"] if num_heads is None else num_heads, "num_heads", minimum=1)
    if embed_dim % num_heads:
        raise ValueError(
            f"`embed_dim` must be divisible by `num_heads`. Received: embed_dim={embed_dim}, num_heads={num_heads}"
        )
    drop_path_rate = validation.check_number(
        defaults["drop_path_rate"] if drop_path_rate is None else drop_path_rate, "drop_path_rate",
        minimum=0.0, maximum=1.0, max_inclusive=False,
    )
    init_values = defaults["init_values"] if init_values is None else init_values
    if out_indices is None:
        out_indices = defaults["out_indices"] if depth == defaults["depth"] else (depth - 1,)
    if isinstance(out_indices, int) or not out_indices:
        raise ValueError(
            f"`out_indices` must be a non-empty tuple of block indices. Received: out_indices={out_indices!r}"
        )
    out_indices = tuple(validation.check_int(i, "out_indices", minimum=0) for i in out_indices)
    if max(out_indices) >= depth:
        raise ValueError(
            f"`out_indices` must be below depth={depth}. Received: out_indices={out_indices}"
        )
    data_format = keras.config.image_data_format()
    window = image_size // PATCH_SIZE
    shape = (image_size, image_size, 3) if data_format == "channels_last" else (3, image_size, image_size)
    images = keras.Input(shape, name="images")
    x = keras.layers.Conv2D(
        embed_dim, PATCH_SIZE, strides=PATCH_SIZE, data_format=data_format,
        # mmseg's BEiT: kaiming_init(mode="fan_in") of the patch projection.
        kernel_initializer=keras.initializers.VarianceScaling(2.0, "fan_in", "untruncated_normal"),
        name=module_path_name("patch_embed.projection"),
    )(images)
    if data_format == "channels_last":
        x = keras.layers.Reshape((window * window, embed_dim), name="patch_embed_flatten")(x)
    else:
        x = keras.layers.Reshape((embed_dim, window * window), name="patch_embed_flatten")(x)
        x = keras.layers.Permute((2, 1), name="patch_embed_transpose")(x)
    x = ClassToken(name="cls_token")(x)
    rates = np.linspace(0.0, drop_path_rate, depth)
    outputs = []
    for i in range(depth):
        x = BEiTTransformerLayer(
            num_heads, window, mlp_ratio=mlp_ratio, init_values=init_values, drop_path_rate=float(rates[i]),
            name=module_path_name(f"layers.{i}"),
        )(x)
        if i in out_indices:
            y = keras.layers.Cropping1D((1, 0), name=f"out_{i}_drop_cls")(x)
            y = keras.layers.Reshape((window, window, embed_dim), name=f"out_{i}_map")(y)
            if data_format == "channels_first":
                y = keras.layers.Permute((3, 1, 2), name=f"out_{i}_transpose")(y)
            outputs.append(y)
    order = sorted(range(len(out_indices)), key=lambda k: out_indices[k])
    outputs = [outputs[order.index(k)] for k in range(len(out_indices))]
    return keras.Model(images, outputs, name=name)


def _geometric_positions(source_side, target_side):
    """mmseg's knots: half-sides spaced by a geometric sequence found by bisection."""
    left, right = 1.01, 1.5
    while right - left > 1e-6:
        ratio = (left + right) / 2.0
        # 1 + r + ... + r^(n-1), n = source_side // 2
        total = (1.0 - ratio ** (source_side // 2)) / (1.0 - ratio)
        if total > target_side // 2:
            right = ratio
        else:
            left = ratio
    distances, current = [], 1.0
    for i in range(source_side // 2):
        distances.append(current)
        current += ratio ** (i + 1)
    knots = np.array([-d for d in reversed(distances)] + [0.0] + distances)
    half = target_side // 2
    return knots, np.arange(-half, half + 0.1, 1.0)


def _cubic_spline_matrix(knots, points):
    """Matrix `A` with `A @ y` = the not-a-knot cubic spline through `(knots, y)` at `points`.

    FITPACK's interpolating spline (`s=0`, what mmseg's `interp2d(kind="cubic")` fits)
    has its interior knots at the data points but the second and the second-to-last:
    the not-a-knot spline. Points outside the knots are clamped to the ends, as
    FITPACK's evaluation does.
    """
    n = len(knots)
    h = np.diff(knots)
    # Second derivatives m solve system @ m = rhs @ y.
    system = np.zeros((n, n))
    rhs = np.zeros((n, n))
    for i in range(1, n - 1):
        system[i, i - 1], system[i, i], system[i, i + 1] = h[i - 1], 2 * (h[i - 1] + h[i]), h[i]
        rhs[i, i - 1], rhs[i, i], rhs[i, i + 1] = 6 / h[i - 1], -6 / h[i - 1] - 6 / h[i], 6 / h[i]
    # Not-a-knot: the third derivative is continuous at the second and second-to-last knots.
    system[0, 0], system[0, 1], system[0, 2] = -h[1], h[0] + h[1], -h[0]
    system[-1, -3], system[-1, -2], system[-1, -1] = -h[-1], h[-2] + h[-1], -h[-2]
    second = np.linalg.solve(system, rhs)  # m = second @ y
    points = np.clip(points, knots[0], knots[-1])
    interval = np.clip(np.searchsorted(knots, points, side="right") - 1, 0, n - 2)
    matrix = np.zeros((len(points), n))
    for row, (p, j) in enumerate(zip(points, interval)):
        width, a, b = h[j], knots[j + 1] - p, p - knots[j]
        matrix[row] += (a**3 / (6 * width) - width * a / 6) * second[j]
        matrix[row] += (b**3 / (6 * width) - width * b / 6) * second[j + 1]
        matrix[row, j] += a / width
        matrix[row, j + 1] += b / width
    return matrix


def resize_relative_position_table(table, source_window, target_window):
    """Resizes a BEiT relative position bias table to another window, as mmseg does.

    mmseg's `BEiT.resize_rel_pos_embed` / `_geometric_sequence_interpolation` (from the
    BEiT authors' code): the `(2S - 1)^2` distance rows of each head are a
    `(2S - 1) x (2S - 1)` grid, placed at positions that grow by a geometric sequence from
    the centre (its ratio found by bisection so that the grid spans the target's
    `2T - 1` distances); a bicubic interpolating spline through it is read at the
    target's integer distances. The last three rows (class-token terms) are kept. This
    keeps the near-centre biases almost unchanged and stretches the far ones. mmseg uses
    SciPy's `interp2d(kind="cubic")`; this is the same spline (not-a-knot, FITPACK's
    `s=0` interpolant) in NumPy.

    Args:
        table: array `((2 * source_window - 1)^2 + 3, num_heads)` (NumPy or anything
            `np.asarray` takes).
        source_window: int. Patch grid side of the table (224-px checkpoints: 14).
        target_window: int. Patch grid side of the model (640 px: 40).

    Returns:
        NumPy array `((2 * target_window - 1)^2 + 3, num_heads)` of the table's dtype
        (the table itself when the windows are equal).

    Example:

    >>> table = resize_relative_position_table(np.zeros((732, 16)), 14, 40)
    >>> table.shape
    (6244, 16)
    """
    source_window = validation.check_int(source_window, "source_window", minimum=1)
    target_window = validation.check_int(target_window, "target_window", minimum=1)
    table = np.asarray(table)
    source_side, target_side = 2 * source_window - 1, 2 * target_window - 1
    if table.ndim != 2 or table.shape[0] != source_side * source_side + 3:
        raise ValueError(
            f"`table` must have (2 * source_window - 1)**2 + 3 = {source_side * source_side + 3} rows "
            f"(source_window={source_window}) and one column per head. Received: table.shape={table.shape}"
        )
    if source_window == target_window:
        return table
    if source_window < 3:
        # A bicubic spline needs 4 knots per axis (mmseg's `interp2d(kind="cubic")` fails too).
        raise ValueError(
            f"Resizing a relative position table needs source_window >= 3 (a cubic spline through "
            f"2 * source_window - 1 >= 5 offsets). Received: source_window={source_window}"
        )
    knots, points = _geometric_positions(source_side, target_side)
    matrix = _cubic_spline_matrix(knots, points)
    grid = table[:-3].astype("float64").reshape(source_side, source_side, -1)
    resized = np.einsum("ik,jl,klh->ijh", matrix, matrix, grid)
    resized = resized.reshape(target_side * target_side, -1)
    return np.concatenate([resized, table[-3:].astype("float64")]).astype(table.dtype)
