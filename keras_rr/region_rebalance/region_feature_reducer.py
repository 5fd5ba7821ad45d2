"""`RegionFeatureReducer`: the authors' 1x1 conv + BatchNorm before region pooling.

The authors' released region branch (docs/method.md, section 3, "The authors' head")
reduces the decoder features with a 1x1 convolution without bias and a BatchNorm before
pooling them. The branch only runs in training, where torch's BatchNorm normalises with
the statistics of the batch; so does this layer, always, and over the *global* batch
under `tf.distribute` (the authors train with SyncBN). It keeps no running statistics:
nothing ever reads them.
"""

import keras
from keras import ops

from keras_rr import validation
from keras_rr import replica_context


def torch_default_kernel_initializer():
    """torch's default `Linear`/`Conv2d` weight init, `kaiming_uniform_(a=sqrt(5))`.

    Its bound is `sqrt(6 / ((1 + a^2) fan_in)) = 1 / sqrt(fan_in)`, i.e. Keras'
    `VarianceScaling(scale=1/3, mode="fan_in", distribution="uniform")`.
    """
    return keras.initializers.VarianceScaling(scale=1.0 / 3.0, mode="fan_in", distribution="uniform")


@keras.saving.register_keras_serializable(package="keras_rr")
class RegionFeatureReducer(keras.layers.Layer):
    """1x1 convolution (no bias) -> normalisation by batch statistics -> scale and shift.

    Args:
        units: int. Output channels (the authors use 128).
        epsilon: float. Added to the variance (torch's default 1e-5). Defaults to `1e-5`.
        **kwargs: `keras.layers.Layer` arguments such as `name` and `trainable`.

    Call arguments:
        features: float tensor `(B, h, w, C)`.

    Returns:
        float tensor `(B, h, w, units)`: `(x - mean) / sqrt(var + epsilon) * gamma + beta`
        with `x` the convolution output and `mean`, `var` (biased) per channel over all
        pixels of the (global) batch.

    Example:

    >>> reducer = RegionFeatureReducer(128)
    >>> reducer(np.random.rand(2, 16, 16, 512).astype("float32")).shape  # (2, 16, 16, 128)
    """

    def __init__(self, units, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.units = validation.check_int(units, "units", minimum=1)
        self.epsilon = validation.check_number(epsilon, "epsilon", minimum=0.0, min_inclusive=False)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer=torch_default_kernel_initializer(), name="kernel"
        )
        self.gamma = self.add_weight(shape=(self.units,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(self.units,), initializer="zeros", name="beta")

    def call(self, features):
        x = ops.cast(ops.matmul(features, ops.cast(self.kernel, features.dtype)), "float32")
        # Two passes (mean, then centred squares) for a stable variance; each pass sums
        # over the replicas, so every replica normalises with the global batch's moments.
        count = ops.cast(ops.prod(ops.shape(x)[:-1]), "float32")
        count = replica_context.cross_replica_sum(count)
        mean = replica_context.cross_replica_sum(ops.sum(x, axis=(0, 1, 2))) / count
        centred = x - mean
        variance = replica_context.cross_replica_sum(ops.sum(ops.square(centred), axis=(0, 1, 2))) / count
        return centred * ops.rsqrt(variance + self.epsilon) * self.gamma + self.beta

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "epsilon": self.epsilon})
        return config
