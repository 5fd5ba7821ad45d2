"""`SwinTransformerPyramid`: the four stage outputs of a KerasHub Swin Transformer.

KerasHub 0.32's `keras_hub.models.SwinTransformerBackbone` has no `pyramid_outputs`,
and its stages cannot be tapped in its functional graph: each
`SwinTransformerStage` layer runs its blocks *and then* its patch merging
(downsampling), so the stage outputs in the graph are already merged (strides 8, 16,
32, 32), and the full-resolution map of each stage exists only inside the stage's
`call`. mmsegmentation's `SwinTransformer` (`out_indices=(0, 1, 2, 3)`) returns each
stage's blocks' output *before* the merging, through a LayerNorm per stage
(`norm0`..`norm3`), at strides 4, 8, 16, 32. This layer reproduces that by calling the
backbone's own sublayers (`patch_embedding`, `pos_drop`, each stage's `blocks` and
`downsample`) in order, so it shares the backbone's weights (and loads a preset's);
the backbone is serialised by its own config.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_rr")
class SwinTransformerPyramid(keras.layers.Layer):
    """mmseg's Swin feature pyramid from a `keras_hub.models.SwinTransformerBackbone`.

    Runs the backbone stage by stage and returns, for each stage, its blocks' output
    before the patch merging, through a new LayerNorm (epsilon 1e-5; mmseg's `norm{i}`,
    which mmseg's converted ImageNet checkpoints do not hold either: they start at
    gamma 1, beta 0), reshaped to `(B, H / 2**(i + 2), W / 2**(i + 2), C * 2**i)`.
    The backbone's own final `norm` (the classifier's) is not used: its variables stay
    in the model and get no gradient.

    Args:
        backbone: a `keras_hub.models.SwinTransformerBackbone` (channels_last). Its
            `image_shape` fixes the input size (KerasHub's blocks are built for it).
        **kwargs: `keras.layers.Layer` arguments such as `name`.

    Call arguments:
        inputs: images `(B, H, W, 3)` as the backbone takes them.

    Returns:
        A list of four maps at strides 4, 8, 16, 32 with `embed_dim * 2**i` channels.

    Example:

    >>> backbone = keras_hub.models.Backbone.from_preset("swin_tiny_patch4_window7_224",
    ...                                                  image_shape=(512, 512, 3))
    >>> c1, c2, c3, c4 = SwinTransformerPyramid(backbone)(images)
    """

    def __init__(self, backbone, **kwargs):
        super().__init__(**kwargs)
        import keras_hub

        if isinstance(backbone, dict):
            backbone = keras.saving.deserialize_keras_object(backbone)
        if not isinstance(backbone, keras_hub.models.SwinTransformerBackbone):
            raise ValueError(
                "`backbone` must be a `keras_hub.models.SwinTransformerBackbone`. "
                f"Received: backbone={type(backbone).__name__}"
            )
        if backbone.data_format != "channels_last":
            raise ValueError(
                "`backbone` must be channels_last. Received: backbone.data_format="
                f"{backbone.data_format!r}"
            )
        self.backbone = backbone
        self.norms = [
            keras.layers.LayerNormalization(epsilon=1e-5, dtype=self.dtype_policy, name=f"norm{i}")
            for i in range(len(backbone.stages))
        ]

    def build(self, input_shape):
        for stage, norm in zip(self.backbone.stages, self.norms):
            norm.build((None, None, stage.dim))

    def call(self, inputs):
        x = self.backbone.patch_embedding(inputs)
        x = self.backbone.get_layer("pos_drop")(x)
        outputs = []
        for stage, norm in zip(self.backbone.stages, self.norms):
            for block in stage.blocks:
                x = block(x)
            height, width = stage.input_resolution
            outputs.append(ops.reshape(norm(x), (-1, height, width, stage.dim)))
            if stage.downsample is not None:
                x = stage.downsample(x, H=height, W=width)
        return outputs

    def compute_output_shape(self, input_shape):
        return [
            (input_shape[0], *stage.input_resolution, stage.dim) for stage in self.backbone.stages
        ]

    def get_config(self):
        config = super().get_config()
        config["backbone"] = keras.saving.serialize_keras_object(self.backbone)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)
