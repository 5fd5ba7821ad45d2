"""A learned class token prepended to a token sequence (ViT / BEiT `cls_token`)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_rr")
class ClassToken(keras.layers.Layer):
    """Prepends the learned token `cls_token` `(1, 1, dim)` to tokens `(B, N, dim)`.

    The variable is named `cls_token` as in timm and mmseg; BEiT backbones name this layer
    `"cls_token"` too, so its variable path is `cls_token/cls_token` (torch key
    `cls_token`). Initialised N(0, 0.02) truncated (mmseg's `trunc_normal_`).

    Args:
        **kwargs: `keras.layers.Layer` arguments such as `name`.

    Call arguments:
        inputs: tokens `(B, N, dim)`.

    Returns:
        Tokens `(B, N + 1, dim)`, the class token first.

    Example:

    >>> tokens = ClassToken(name="cls_token")(keras.random.normal((2, 196, 768)))
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.cls_token = self.add_weight(
            shape=(1, 1, int(input_shape[-1])),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            name="cls_token",
        )

    def call(self, inputs):
        token = ops.cast(self.cls_token, inputs.dtype)
        token = ops.broadcast_to(token, (ops.shape(inputs)[0], 1, inputs.shape[-1]))
        return ops.concatenate([token, inputs], axis=1)

    def compute_output_shape(self, input_shape):
        tokens = None if input_shape[1] is None else input_shape[1] + 1
        return (input_shape[0], tokens, input_shape[2])
