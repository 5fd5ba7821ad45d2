"""`BackbonePyramid`: a KerasHub backbone's `pyramid_outputs` as one serialisable layer."""

import keras


@keras.saving.register_keras_serializable(package="keras_rr")
class BackbonePyramid(keras.layers.Layer):
    """Returns the listed `pyramid_outputs` maps of a KerasHub backbone.

    `keras.Model(backbone.input, backbone.pyramid_outputs)` shares the backbone's layers,
    but saving it writes each inner layer's own config, which some KerasHub layers
    cannot be rebuilt from (MiT's `HierarchicalTransformerEncoder` in KerasHub 0.32).
    This layer is saved as the backbone's config (`keras.saving.serialize_keras_object`,
    KerasHub's own round trip) plus the level names, and rebuilds the feature model on
    load; the weights are the backbone's.

    Args:
        backbone: a KerasHub `Backbone` with `pyramid_outputs` (e.g. `MiTBackbone`), or
            its serialised config.
        levels: sequence of str. Keys of `backbone.pyramid_outputs`, in output order.
        **kwargs: `keras.layers.Layer` arguments such as `name`.

    Call arguments:
        inputs: images as the backbone takes them.

    Returns:
        A list of the maps named by `levels`.

    Example:

    >>> c1, c2, c3, c4 = BackbonePyramid(mit, ("P1", "P2", "P3", "P4"))(images)
    """

    def __init__(self, backbone, levels, **kwargs):
        super().__init__(**kwargs)
        if isinstance(backbone, dict):
            backbone = keras.saving.deserialize_keras_object(backbone)
        pyramid = getattr(backbone, "pyramid_outputs", None) or {}
        self.levels = tuple(levels)
        missing = [level for level in self.levels if level not in pyramid]
        if missing:
            raise ValueError(
                f"`backbone` has no pyramid levels {missing} (it has {sorted(pyramid)}). Received: levels={levels}"
            )
        self.backbone_config = keras.saving.serialize_keras_object(backbone)
        # Only the feature model is tracked (its layers are the backbone's, once each).
        self.feature_model = keras.Model(
            backbone.input, [pyramid[level] for level in self.levels], name=f"{backbone.name}_pyramid"
        )

    def call(self, inputs):
        return self.feature_model(inputs)

    def compute_output_shape(self, input_shape):
        return [tuple(output.shape) for output in self.feature_model.outputs]

    def get_config(self):
        config = super().get_config()
        config.update({"backbone": self.backbone_config, "levels": list(self.levels)})
        return config
