"""mmseg's `BEiTTransformerEncoderLayer`: pre-norm attention and MLP with layer scale and drop path."""

import keras
from keras import ops

from keras_rr import validation
from keras_rr.networks.layers.beit_attention import BEiTAttention
from keras_rr.networks.layers.module_paths import module_path_name

# mmseg's BEiT configs: `norm_cfg=dict(type="LN", eps=1e-6)`.
LAYER_NORM_EPSILON = 1e-6


@keras.saving.register_keras_serializable(package="keras_rr")
class BEiTTransformerLayer(keras.layers.Layer):
    """One BEiT encoder block (mmseg's `BEiTTransformerEncoderLayer`).

    `x + drop_path(gamma_1 * attn(ln1(x)))`, then
    `x + drop_path(gamma_2 * ffn(ln2(x)))`, where `attn` is a
    `keras_rr.layers.BEiTAttention`, the FFN is `Dense(mlp_ratio * dim)` -> exact GELU
    -> `Dense(dim)`, the LayerNorms use epsilon 1e-6, `gamma_1` / `gamma_2` are the
    per-channel layer scales (initialised to `init_values`) and drop path skips the
    residual branch of a whole sample with probability `drop_path_rate` in training
    (scaling the kept ones by `1 / (1 - rate)`). Sub-layers and variables carry mmseg's
    names (`ln1`, `attn`, `gamma_1`, `ln2`, `ffn.layers.0.0`, `ffn.layers.1`,
    `gamma_2`), dots spelled `-` (`keras_rr.networks.layers.module_paths`: torch refuses
    dots in variable paths): a variable's path with `/` and `-` read as `.` is its torch
    key.

    Args:
        num_heads: int. Attention heads.
        window_size: int. Patch grid side (image size / patch size).
        mlp_ratio: int. FFN hidden width over the token width. Defaults to `4`.
        init_values: float. Initial layer scale. Defaults to `0.1` (mmseg's BEiT
            default; its BEiT-L config uses 1e-6).
        drop_path_rate: float. Stochastic depth probability of this block. Defaults
            to `0.0`.
        attention_dropout: float. Dropout on the attention weights. Defaults to `0.0`.
        **kwargs: `keras.layers.Layer` arguments such as `name` (mmseg: `"layers.{i}"`, spelled `"layers-{i}"`).

    Call arguments:
        inputs: tokens `(B, W * W + 1, dim)`.
        training: bool. Drop path and dropout are active in training only.

    Returns:
        Tokens `(B, W * W + 1, dim)`.

    Example:

    >>> block = BEiTTransformerLayer(num_heads=12, window_size=32, name="layers-0")
    >>> y = block(keras.random.normal((2, 1025, 768)))
    """

    def __init__(self, num_heads, window_size, mlp_ratio=4, init_values=0.1, drop_path_rate=0.0,
                 attention_dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = validation.check_int(num_heads, "num_heads", minimum=1)
        self.window_size = validation.check_int(window_size, "window_size", minimum=1)
        self.mlp_ratio = validation.check_int(mlp_ratio, "mlp_ratio", minimum=1)
        self.init_values = validation.check_number(init_values, "init_values", minimum=0.0, min_inclusive=False)
        self.drop_path_rate = validation.check_number(
            drop_path_rate, "drop_path_rate", minimum=0.0, maximum=1.0, max_inclusive=False
        )
        self.attention_dropout = validation.check_number(
            attention_dropout, "attention_dropout", minimum=0.0, maximum=1.0, max_inclusive=False
        )
        self.seed_generator = keras.random.SeedGenerator(0) if self.drop_path_rate > 0 else None

    def build(self, input_shape):
        dim = int(input_shape[-1])
        dense_init = keras.initializers.TruncatedNormal(stddev=0.02)
        policy = self.dtype_policy
        self.ln1 = keras.layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, dtype=policy, name="ln1")
        self.ln1.build(input_shape)
        self.attn = BEiTAttention(self.num_heads, self.window_size, self.attention_dropout, dtype=policy, name="attn")
        self.attn.build(input_shape)
        self.gamma_1 = self.add_weight(
            shape=(dim,), initializer=keras.initializers.Constant(self.init_values), name="gamma_1"
        )
        self.ln2 = keras.layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, dtype=policy, name="ln2")
        self.ln2.build(input_shape)
        self.fc1 = keras.layers.Dense(self.mlp_ratio * dim, kernel_initializer=dense_init, dtype=policy,
                                      name=module_path_name("ffn.layers.0.0"))
        self.fc1.build(input_shape)
        self.fc2 = keras.layers.Dense(
            dim, kernel_initializer=dense_init, dtype=policy, name=module_path_name("ffn.layers.1")
        )
        self.fc2.build(tuple(input_shape)[:-1] + (self.mlp_ratio * dim,))
        self.gamma_2 = self.add_weight(
            shape=(dim,), initializer=keras.initializers.Constant(self.init_values), name="gamma_2"
        )

    def _drop_path(self, x, training):
        if not training or self.drop_path_rate == 0:
            return x
        keep = 1.0 - self.drop_path_rate
        batch = ops.shape(x)[0]
        mask = ops.floor(keep + keras.random.uniform((batch, 1, 1), seed=self.seed_generator, dtype=x.dtype))
        return x * mask / keep

    def call(self, inputs, training=None):
        x = inputs
        branch = self.attn(self.ln1(x), training=training) * ops.cast(self.gamma_1, x.dtype)
        x = x + self._drop_path(branch, training)
        hidden = ops.gelu(self.fc1(self.ln2(x)), approximate=False)  # torch's nn.GELU: exact
        branch = self.fc2(hidden) * ops.cast(self.gamma_2, x.dtype)
        return x + self._drop_path(branch, training)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "window_size": self.window_size,
                "mlp_ratio": self.mlp_ratio,
                "init_values": self.init_values,
                "drop_path_rate": self.drop_path_rate,
                "attention_dropout": self.attention_dropout,
            }
        )
        return config
