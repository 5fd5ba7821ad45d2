"""mmseg's `BEiTAttention`: multi-head self-attention with q / v biases and a relative position bias."""

import numpy as np

import keras
from keras import ops

from keras_rr import validation


def relative_position_index(window_size):
    """mmseg's / BEiT's `relative_position_index` buffer of a square window.

    Token 0 is the class token. Between patch tokens at `(y1, x1)` and `(y2, x2)` the
    index is `(y1 - y2 + W - 1) * (2W - 1) + (x1 - x2 + W - 1)`; the last three rows of
    the table are class-to-token (`(2W - 1)^2`), token-to-class (`+1`) and
    class-to-class (`+2`).

    Args:
        window_size: int. Patch grid side `W` (image size / 16).

    Returns:
        int32 NumPy array `(W * W + 1, W * W + 1)`.

    Example:

    >>> relative_position_index(40).shape
    (1601, 1601)
    """
    window_size = validation.check_int(window_size, "window_size", minimum=1)
    side = 2 * window_size - 1
    num_distances = side * side + 3
    rows, cols = np.meshgrid(np.arange(window_size), np.arange(window_size), indexing="ij")
    rows, cols = rows.reshape(-1), cols.reshape(-1)
    dy = rows[:, None] - rows[None, :] + window_size - 1
    dx = cols[:, None] - cols[None, :] + window_size - 1
    relative = dy * side + dx
    area = window_size * window_size
    index = np.zeros((area + 1, area + 1), "int32")
    index[1:, 1:] = relative
    index[0, :] = num_distances - 3
    index[:, 0] = num_distances - 2
    index[0, 0] = num_distances - 1
    return index


@keras.saving.register_keras_serializable(package="keras_rr")
class BEiTAttention(keras.layers.Layer):
    """Self-attention of a BEiT block (mmseg's `BEiTAttention`, `bias="qv_bias"`).

    `qkv` is a bias-free `Dense(3 * dim)`; the query and value get the learned biases
    `q_bias` and `v_bias` (the key none, as in BEiT); the logits
    `q k^T / sqrt(head_dim)` get a bias per head looked up in
    `relative_position_bias_table` (`((2W - 1)^2 + 3, num_heads)`) at the window's
    `relative_position_index` (a constant derived from `window_size`, not a variable);
    `proj` is a `Dense(dim)` with bias. Variable and sub-layer names are mmseg's
    (`qkv`, `q_bias`, `v_bias`, `relative_position_bias_table`, `proj`), so the path of
    every variable read with `.` for `/` is its torch key.

    Args:
        num_heads: int. Attention heads (divides the token width).
        window_size: int. Patch grid side `W`: the tokens are `W * W` patches and a class
            token.
        attention_dropout: float. Dropout on the attention weights (mmseg: 0).
            Defaults to `0.0`.
        **kwargs: `keras.layers.Layer` arguments such as `name`.

    Call arguments:
        inputs: tokens `(B, W * W + 1, dim)`, the class token first.
        training: bool. Dropout is active in training only.

    Returns:
        Tokens `(B, W * W + 1, dim)`.

    Example:

    >>> attention = BEiTAttention(num_heads=16, window_size=40, name="attn")
    >>> y = attention(keras.random.normal((2, 1601, 1024)))
    """

    def __init__(self, num_heads, window_size, attention_dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = validation.check_int(num_heads, "num_heads", minimum=1)
        self.window_size = validation.check_int(window_size, "window_size", minimum=1)
        self.attention_dropout = validation.check_number(
            attention_dropout, "attention_dropout", minimum=0.0, maximum=1.0, max_inclusive=False
        )
        self._index = relative_position_index(self.window_size).reshape(-1)

    def build(self, input_shape):
        dim = int(input_shape[-1])
        if dim % self.num_heads:
            raise ValueError(
                f"The token width must be divisible by `num_heads`. Received: width={dim}, num_heads={self.num_heads}"
            )
        tokens = self.window_size * self.window_size + 1
        if input_shape[-2] is not None and int(input_shape[-2]) != tokens:
            raise ValueError(
                f"BEiTAttention with window_size={self.window_size} expects {tokens} tokens "
                f"(window_size**2 + 1). Received: input_shape={tuple(input_shape)}"
            )
        dense_init = keras.initializers.TruncatedNormal(stddev=0.02)
        self.qkv = keras.layers.Dense(3 * dim, use_bias=False, kernel_initializer=dense_init,
                                      dtype=self.dtype_policy, name="qkv")
        self.qkv.build(input_shape)
        self.q_bias = self.add_weight(shape=(dim,), initializer="zeros", name="q_bias")
        self.v_bias = self.add_weight(shape=(dim,), initializer="zeros", name="v_bias")
        side = 2 * self.window_size - 1
        self.relative_position_bias_table = self.add_weight(
            shape=(side * side + 3, self.num_heads),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            name="relative_position_bias_table",
        )
        self.attention_dropout_layer = keras.layers.Dropout(self.attention_dropout, dtype=self.dtype_policy)
        self.proj = keras.layers.Dense(dim, kernel_initializer=dense_init, dtype=self.dtype_policy, name="proj")
        self.proj.build(input_shape)

    def call(self, inputs, training=None):
        tokens = self.window_size * self.window_size + 1
        dim = inputs.shape[-1]
        head_dim = dim // self.num_heads
        q_bias = ops.cast(self.q_bias, inputs.dtype)
        bias = ops.concatenate([q_bias, ops.zeros((dim,), inputs.dtype), ops.cast(self.v_bias, inputs.dtype)])
        qkv = self.qkv(inputs) + bias
        qkv = ops.reshape(qkv, (-1, tokens, 3, self.num_heads, head_dim))
        qkv = ops.transpose(qkv, (2, 0, 3, 1, 4))  # (3, B, heads, N, head_dim)
        query, key, value = qkv[0], qkv[1], qkv[2]
        logits = ops.matmul(query * (head_dim**-0.5), ops.transpose(key, (0, 1, 3, 2)))
        relative = ops.take(self.relative_position_bias_table, self._index, axis=0)
        relative = ops.transpose(ops.reshape(relative, (tokens, tokens, self.num_heads)), (2, 0, 1))
        logits = logits + ops.cast(relative, logits.dtype)[None]
        weights = ops.softmax(logits, axis=-1)
        weights = self.attention_dropout_layer(weights, training=training)
        x = ops.matmul(weights, value)  # (B, heads, N, head_dim)
        x = ops.reshape(ops.transpose(x, (0, 2, 1, 3)), (-1, tokens, dim))
        return self.proj(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"num_heads": self.num_heads, "window_size": self.window_size, "attention_dropout": self.attention_dropout}
        )
        return config
