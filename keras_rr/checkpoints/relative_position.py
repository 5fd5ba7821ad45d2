"""The hook through which the importer resizes relative-position bias tables.

A relative-position table has one row per relative offset of a `w x w` window,
`(2w - 1)**2` rows (Swin), plus 3 rows for the class token's offsets in BEiT
(`(2w - 1)**2 + 3`), and one column per head. A checkpoint trained at another window
(BEiT pretrained at 224 px, fine-tuned at 640: a 14x14 -> 40x40 patch grid) has a table
of another length; `load_torch_weights` calls `resize_relative_position_table` for it.

A BEiT table (3 class-token rows) is resized by
`keras_rr.networks.backbones.beit.resize_relative_position_table`, mmseg's
geometric-sequence interpolation (`BEiT.resize_rel_pos_embed`); a table without them
(Swin) has its offset grid interpolated bilinearly per head.
"""

import math

import numpy as np

from keras_rr.networks.backbones import beit

# Rows of a BEiT table beyond the offset grid: class -> token, token -> class, class -> class.
EXTRA_TOKEN_ROWS = 3


def table_window(rows):
    """`(window, extra rows)` of a table with `rows` rows, or None if it is no such table.

    Example:

    >>> table_window(169), table_window(732)
    ((7, 0), (14, 3))
    """
    for extra in (0, EXTRA_TOKEN_ROWS):
        side = math.isqrt(max(rows - extra, 0))
        if side * side == rows - extra and side % 2 == 1:
            return (side + 1) // 2, extra
    return None


def resize_relative_position_table(table, source_window, target_window):
    """`table` (rows, heads) for `source_window` resized to `target_window` (ints: square windows).

    See the module docstring: this is the one function the importer calls to resize.

    Args:
        table: np.ndarray `((2 * source_window - 1)**2 [+ 3], heads)`.
        source_window: int. The window (patch grid) side the table was trained for.
        target_window: int. The model's window side.

    Returns:
        np.ndarray `((2 * target_window - 1)**2 [+ 3], heads)`.

    Example:

    >>> resize_relative_position_table(np.zeros((169, 3)), 7, 12).shape
    (529, 3)
    """
    table = np.asarray(table, dtype="float32")
    source_side, target_side = 2 * source_window - 1, 2 * target_window - 1
    extra = table.shape[0] - source_side * source_side
    if extra == EXTRA_TOKEN_ROWS:
        return beit.resize_relative_position_table(table, source_window, target_window)
    grid = table[: source_side * source_side].reshape(source_side, source_side, -1)
    resized = _bilinear(_bilinear(grid, target_side, axis=0), target_side, axis=1)
    return np.concatenate([resized.reshape(target_side * target_side, -1), table[table.shape[0] - extra:]], axis=0)


def _bilinear(x, size, axis):
    """Align-corners linear interpolation of `x` along `axis` to `size` points."""
    n = x.shape[axis]
    if n == size:
        return x
    positions = np.linspace(0.0, n - 1.0, size)
    low = np.floor(positions).astype(int)
    high = np.minimum(low + 1, n - 1)
    weight = (positions - low).reshape([-1 if a == axis else 1 for a in range(x.ndim)])
    return np.take(x, low, axis=axis) * (1 - weight) + np.take(x, high, axis=axis) * weight
