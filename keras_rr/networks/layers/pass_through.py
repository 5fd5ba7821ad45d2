"""`PassThrough`: keeps a training-only tap point in a functional graph at no cost."""

import keras


@keras.saving.register_keras_serializable(package="keras_rr")
class PassThrough(keras.layers.Layer):
    """Returns its first input unchanged; the other inputs only stay in the graph.

    A functional `keras.Model` keeps only the layers its outputs depend on. A map that
    only a training branch reads (PSPNet's stage-3 map, which the auxiliary FCN head
    reads but the main head does not; see `keras_rr.models.auxiliary_head`) would be
    dropped with the layer naming it. Passing it here as an extra input keeps it, and
    the layer naming it, in the model; the computation is the identity on the first
    input, so outputs, gradients and exports are unchanged.

    Call arguments:
        inputs: a list `[x, *kept]`.

    Returns:
        `x`.

    Example:

    >>> aux = keras.layers.Identity(name="auxiliary_features")(stage3)
    >>> x = PassThrough(name="keep_auxiliary_features")([x, aux])
    """

    def call(self, inputs):
        return inputs[0]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])
